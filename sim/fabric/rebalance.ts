/**
 * Replica rebalancing when a node joins, as CockroachDB's allocator ranks
 * candidates: locality diversity first (a range should not keep two
 * replicas in one locality while a live node elsewhere could hold one),
 * then replica counts (move from busier to idler nodes until they differ by
 * at most one, never making a range less diverse). Only live, non-draining
 * nodes give or take replicas: a stopped node's replicas stay where they
 * are (under-replication, not movement, is what its absence causes until
 * its store is dead).
 */
import { NodeView, RangeDesc, diversityPenalty, replicaLoad } from "./ranges";

interface Move {
  readonly range: RangeDesc;
  readonly from: number;
  readonly to: number;
}

function apply(m: Move, load: Map<number, number>): void {
  m.range.replicas = m.range.replicas.map((x) => (x === m.from ? m.to : x));
  if (m.range.leaseholder === m.from) m.range.leaseholder = m.to;
  load.set(m.from, (load.get(m.from) ?? 1) - 1);
  load.set(m.to, (load.get(m.to) ?? 0) + 1);
}

function othersOf(range: RangeDesc, except: number, byId: ReadonlyMap<number, NodeView>): NodeView[] {
  return range.replicas
    .filter((x) => x !== except)
    .map((x) => byId.get(x))
    .filter((n): n is NodeView => n !== undefined);
}

/** Replaces replicas that share a locality with another replica of their range by one on a more diverse node. */
function improveDiversity(
  ranges: readonly RangeDesc[],
  eligible: readonly NodeView[],
  byId: ReadonlyMap<number, NodeView>,
  load: Map<number, number>,
): number {
  const movable = new Set(eligible.map((n) => n.id));
  let moved = 0;
  for (const range of ranges) {
    for (const from of [...range.replicas]) {
      const holder = byId.get(from);
      if (holder === undefined || !movable.has(from)) continue;
      const others = othersOf(range, from, byId);
      const current = diversityPenalty(holder, others);
      if (current === 0) continue;
      const better = eligible
        .filter((c) => !range.replicas.includes(c.id))
        .map((c) => ({ c, penalty: diversityPenalty(c, others) }))
        .filter((x) => x.penalty < current)
        .sort((a, b) => a.penalty - b.penalty || (load.get(a.c.id) ?? 0) - (load.get(b.c.id) ?? 0) || a.c.id - b.c.id)[0];
      if (better === undefined) continue;
      apply({ range, from, to: better.c.id }, load);
      moved += 1;
    }
  }
  return moved;
}

/** A move from a node with at least two more replicas to a less loaded one that keeps the range as diverse. */
function balancingMove(
  ranges: readonly RangeDesc[],
  eligible: readonly NodeView[],
  byId: ReadonlyMap<number, NodeView>,
  load: ReadonlyMap<number, number>,
): Move | undefined {
  const sorted = [...eligible].sort((a, b) => (load.get(a.id) ?? 0) - (load.get(b.id) ?? 0) || a.id - b.id);
  for (const low of sorted) {
    for (const high of [...sorted].reverse()) {
      if ((load.get(high.id) ?? 0) - (load.get(low.id) ?? 0) <= 1) break;
      const range = ranges.find(
        (r) =>
          r.replicas.includes(high.id) &&
          !r.replicas.includes(low.id) &&
          diversityPenalty(low, othersOf(r, high.id, byId)) <= diversityPenalty(high, othersOf(r, high.id, byId)),
      );
      if (range) return { range, from: high.id, to: low.id };
    }
  }
  return undefined;
}

/** Makes ranges as diverse as the live nodes allow, then evens out replica counts. Returns the replicas moved. */
export function rebalanceReplicas(ranges: RangeDesc[], nodes: readonly NodeView[]): number {
  const eligible = nodes.filter((n) => n.live && !n.draining && !n.decommissioned);
  if (eligible.length === 0) return 0;
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const load = replicaLoad(ranges);
  let moved = improveDiversity(ranges, eligible, byId, load);
  for (let guard = 0; guard < ranges.length * 3; guard++) {
    const move = balancingMove(ranges, eligible, byId, load);
    if (move === undefined) break;
    apply(move, load);
    moved += 1;
  }
  return moved;
}
