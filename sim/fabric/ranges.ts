/**
 * Replica placement and range counting, pure functions over plain data.
 *
 * Placement keeps `rf` replicas per range on distinct live nodes, preferring
 * localities a range does not use yet (CockroachDB's diversity heuristic),
 * then the least loaded node. Counting follows CockroachDB's
 * `calcRangeCounter` (reference §1 "Range counting"): each range is counted
 * once, by its live leaseholder or else its first live replica; it is
 * under-replicated with fewer live voters than needed, unavailable without a
 * quorum of live replicas. Replicas inside a post-restart catch-up window
 * do not count towards quorum (the lagging-replica unavailability of #101321).
 */

export interface RangeDesc {
  readonly id: number;
  /** Node IDs holding a voter, in placement order. */
  replicas: number[];
  /** Node ID holding the lease. */
  leaseholder: number;
}

export interface NodeView {
  readonly id: number;
  readonly locality: string;
  /** Liveness record unexpired. */
  readonly live: boolean;
  readonly draining: boolean;
  /** Membership is not `active`. */
  readonly decommissioned: boolean;
  /** Non-live for longer than server.time_until_store_dead. */
  readonly storeDead: boolean;
  /** False inside the node's post-restart catch-up window. */
  readonly caughtUp: boolean;
  /** Fault `underreplication-stuck`: the node's replicas never count as up-to-date voters. */
  readonly stuckReplicas: boolean;
  /** Fault `drain-timeout`: while the node is live, its leases cannot be transferred away. */
  readonly stuckLeases?: boolean;
}

export interface StoreCounts {
  replicas: number;
  leaseholders: number;
  unavailable: number;
  underreplicated: number;
}

/** Voters a range needs: the zone's count capped by the cluster size, never an even number below it (GetNeededVoters). */
export function neededVoters(rf: number, clusterNodes: number): number {
  let need = Math.min(rf, clusterNodes);
  if (need === rf) return need;
  if (need % 2 === 0) need -= 1;
  if (need < 3) need = 3;
  return Math.min(need, rf);
}

/** The ranges of a freshly bootstrapped cluster: all on the first node. */
export function bootstrapRanges(count: number, firstNode: number): RangeDesc[] {
  return Array.from({ length: count }, (_, i) => ({ id: i + 1, replicas: [firstNode], leaseholder: firstNode }));
}

function activeCount(nodes: readonly NodeView[]): number {
  return nodes.filter((n) => !n.decommissioned).length;
}

/** Replicas per node. */
export function replicaLoad(ranges: readonly RangeDesc[]): Map<number, number> {
  const load = new Map<number, number>();
  for (const r of ranges) for (const n of r.replicas) load.set(n, (load.get(n) ?? 0) + 1);
  return load;
}

/** Lower is better: how many of the range's replicas already share the candidate's locality (whole, then first tier). */
export function diversityPenalty(candidate: NodeView, holders: readonly NodeView[]): number {
  const tier = (l: string): string => l.split(",")[0] ?? "";
  let penalty = 0;
  for (const h of holders) {
    if (candidate.locality !== "" && h.locality === candidate.locality) penalty += 10;
    else if (candidate.locality !== "" && tier(h.locality) === tier(candidate.locality)) penalty += 1;
  }
  return penalty;
}

function pickTarget(range: RangeDesc, nodes: readonly NodeView[], load: Map<number, number>): NodeView | undefined {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const holders = range.replicas.map((id) => byId.get(id)).filter((n): n is NodeView => n !== undefined);
  const candidates = nodes.filter((n) => n.live && !n.draining && !n.decommissioned && !range.replicas.includes(n.id));
  candidates.sort(
    (a, b) => diversityPenalty(a, holders) - diversityPenalty(b, holders) || (load.get(a.id) ?? 0) - (load.get(b.id) ?? 0) || a.id - b.id,
  );
  return candidates[0];
}

/**
 * Replaces replicas on decommissioned or store-dead nodes and adds missing
 * ones, on live nodes only. Returns the number of replicas added.
 */
export function repairRanges(ranges: RangeDesc[], nodes: readonly NodeView[], rf: number): number {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const need = neededVoters(rf, activeCount(nodes));
  const load = replicaLoad(ranges);
  let added = 0;
  for (const r of ranges) {
    for (const id of [...r.replicas]) {
      const n = byId.get(id);
      const gone = n === undefined || n.decommissioned || n.storeDead;
      if (!gone) continue;
      const target = pickTarget(r, nodes, load);
      if (!target) continue;
      r.replicas = r.replicas.map((x) => (x === id ? target.id : x));
      load.set(id, (load.get(id) ?? 1) - 1);
      load.set(target.id, (load.get(target.id) ?? 0) + 1);
      if (r.leaseholder === id) r.leaseholder = target.id;
      added += 1;
    }
    while (r.replicas.length < need) {
      const target = pickTarget(r, nodes, load);
      if (!target) break;
      r.replicas.push(target.id);
      load.set(target.id, (load.get(target.id) ?? 0) + 1);
      added += 1;
    }
  }
  return added;
}

export { rebalanceReplicas } from "./rebalance";

function canHoldLease(n: NodeView | undefined): n is NodeView {
  return n !== undefined && n.live && !n.draining && !n.decommissioned;
}

/**
 * The allocator moves leases only to replicas that are caught up on the Raft
 * log. A node with the drain-timeout fault is the exception: it is meant to
 * hold leases it cannot give back, also when drained right after a restart.
 */
function canTakeBalancedLease(n: NodeView | undefined): n is NodeView {
  return canHoldLease(n) && (n.caughtUp || n.stuckLeases === true);
}

/**
 * Moves leases off nodes that cannot hold them (dead, draining), preferring
 * caught-up replicas, and evens out lease counts among caught-up nodes (a
 * node inside its catch-up window gets its share once it has caught up).
 */
export function balanceLeases(ranges: RangeDesc[], nodes: readonly NodeView[]): void {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const leases = new Map<number, number>();
  for (const r of ranges) leases.set(r.leaseholder, (leases.get(r.leaseholder) ?? 0) + 1);
  const bump = (id: number, d: number): void => void leases.set(id, (leases.get(id) ?? 0) + d);
  const pinned = (id: number): boolean => byId.get(id)?.stuckLeases === true && byId.get(id)?.live === true;
  for (const r of ranges) {
    if (canHoldLease(byId.get(r.leaseholder)) || pinned(r.leaseholder)) continue;
    const candidates = r.replicas.map((id) => byId.get(id));
    const target = candidates.find(canTakeBalancedLease) ?? candidates.find(canHoldLease);
    if (!target) continue;
    bump(r.leaseholder, -1);
    bump(target.id, 1);
    r.leaseholder = target.id;
  }
  const holders = nodes.filter(canTakeBalancedLease);
  if (holders.length === 0) return;
  const fair = Math.ceil(ranges.length / holders.length);
  for (const r of ranges) {
    if ((leases.get(r.leaseholder) ?? 0) <= fair || pinned(r.leaseholder)) continue;
    const target = r.replicas
      .map((id) => byId.get(id))
      .filter(canTakeBalancedLease)
      .sort((a, b) => (leases.get(a.id) ?? 0) - (leases.get(b.id) ?? 0))[0];
    if (!target || (leases.get(target.id) ?? 0) + 1 >= (leases.get(r.leaseholder) ?? 0)) continue;
    bump(r.leaseholder, -1);
    bump(target.id, 1);
    r.leaseholder = target.id;
  }
}

/** Leases `nodeId` holds right now: the drain's remaining work. */
export function leasesHeldBy(ranges: readonly RangeDesc[], nodeId: number): number {
  return ranges.filter((r) => r.leaseholder === nodeId).length;
}

/**
 * Leases a drain of `nodeId` still has to move: those of ranges with more
 * than one voter. A single-voter range's lease has nowhere to go and does
 * not hold the drain up (Store.SetDraining's transferAllAway, in
 * pkg/kv/kvserver/store.go: `needsLeaseTransfer := len(VoterDescriptors()) > 1 && ...`),
 * so a one-node cluster drains to 0 remaining.
 */
export function leasesToShed(ranges: readonly RangeDesc[], nodeId: number): number {
  return ranges.filter((r) => r.leaseholder === nodeId && r.replicas.length > 1).length;
}

/** Transfers every lease `nodeId` holds to another live, non-draining replica. Returns the number moved. */
export function transferLeasesAway(ranges: RangeDesc[], nodes: readonly NodeView[], nodeId: number): number {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  if (byId.get(nodeId)?.stuckLeases) return 0;
  let moved = 0;
  for (const r of ranges) {
    if (r.leaseholder !== nodeId) continue;
    const target = r.replicas
      .filter((id) => id !== nodeId)
      .map((id) => byId.get(id))
      .find(canHoldLease);
    if (!target) continue;
    r.leaseholder = target.id;
    moved += 1;
  }
  return moved;
}

/** Which replica counts a range for the range-level metrics, and what it finds (`calcRangeCounter`). */
export interface RangeVerdict {
  /** The counting node: the live leaseholder, else the first live replica; undefined when none is live. */
  readonly counter?: number;
  readonly unavailable: boolean;
  readonly underreplicated: boolean;
}

/**
 * CockroachDB's `calcRangeCounter` (pkg/kv/kvserver/replica_metrics.go) for one range: the verdict that the
 * counting replica reports live in `/_status/ranges` `problems` and that its store sums into the
 * `ranges.unavailable` / `ranges.underreplicated` gauges.
 */
export function rangeVerdict(r: RangeDesc, nodes: readonly NodeView[], rf: number): RangeVerdict {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const need = neededVoters(rf, activeCount(nodes));
  const isLive = (id: number): boolean => byId.get(id)?.live === true;
  const counter = isLive(r.leaseholder) ? r.leaseholder : r.replicas.find(isLive);
  if (counter === undefined) return { unavailable: false, underreplicated: false }; // no live replica reports the range
  const liveVoters = r.replicas.filter((id) => isLive(id) && !byId.get(id)?.stuckReplicas).length;
  // A single-voter range has no leader to catch up from: its one replica is the log, available once live.
  const counts = (id: number): boolean => isLive(id) && (r.replicas.length === 1 || byId.get(id)?.caughtUp !== false);
  const quorumMembers = r.replicas.filter(counts).length;
  return { counter, unavailable: quorumMembers < Math.floor(r.replicas.length / 2) + 1, underreplicated: liveVoters < need };
}

/** Per-node counts as each node's store reports them (reference §1): the verdicts summed per counting node. */
export function countRanges(ranges: readonly RangeDesc[], nodes: readonly NodeView[], rf: number): Map<number, StoreCounts> {
  const out = new Map<number, StoreCounts>();
  const at = (id: number): StoreCounts => {
    let c = out.get(id);
    if (!c) out.set(id, (c = { replicas: 0, leaseholders: 0, unavailable: 0, underreplicated: 0 }));
    return c;
  };
  for (const n of nodes) at(n.id);
  for (const r of ranges) {
    for (const id of r.replicas) at(id).replicas += 1;
    at(r.leaseholder).leaseholders += 1;
    const v = rangeVerdict(r, nodes, rf);
    if (v.counter === undefined) continue;
    if (v.unavailable) at(v.counter).unavailable += 1;
    if (v.underreplicated) at(v.counter).underreplicated += 1;
  }
  return out;
}
