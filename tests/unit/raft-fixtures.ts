/**
 * CockroachDB `RangeInfo` entries (`pkg/server/serverpb/status.proto`) in the
 * gateway's JSON, as `/_status/ranges` lists them and `/_status/raft` merges
 * them per range (`RaftDebugResponse`), for the catch-up and gate unit tests.
 */

export interface Follower {
  readonly node: number;
  readonly match: number;
  readonly state?: string;
  readonly paused?: boolean;
  readonly pendingSnapshot?: string;
}

/** Range-level problems of one replica; the gateway always prints every field. */
export const NO_PROBLEMS = { unavailable: false, underreplicated: false, pausedFollowers: false };

/** One range as the node `source` reports it; progress only when `source` leads. */
export function range(
  id: number,
  source: number,
  leader: number,
  commit: number,
  followers: readonly Follower[],
  problems: Record<string, unknown> = NO_PROBLEMS,
): Record<string, unknown> {
  const nodes = [leader, ...followers.map((f) => f.node)].sort();
  const replicaId = (n: number): number => nodes.indexOf(n) + 1;
  const progress: Record<string, unknown> = {};
  if (source === leader) {
    progress[String(replicaId(leader))] = {
      match: String(commit),
      next: String(commit + 1),
      state: "StateReplicate",
      paused: false,
      pendingSnapshot: "0",
    };
    for (const f of followers)
      progress[String(replicaId(f.node))] = {
        match: String(f.match),
        next: String(commit + 1),
        state: f.state ?? "StateReplicate",
        paused: f.paused ?? false,
        pendingSnapshot: f.pendingSnapshot ?? "0",
      };
  }
  return {
    raftState: {
      replicaId: String(replicaId(source)),
      hardState: { term: "6", vote: "1", commit: String(commit) },
      state: source === leader ? "StateLeader" : "StateFollower",
      progress,
    },
    state: {
      state: {
        desc: { rangeId: String(id), internalReplicas: nodes.map((n) => ({ nodeId: n, storeId: n, replicaId: replicaId(n), type: 0 })) },
      },
    },
    sourceNodeId: source,
    problems,
  };
}

/** A `/_status/ranges` body. */
export const body = (...ranges: Record<string, unknown>[]): unknown => ({ ranges, next: 0 });

/** A `/_status/raft` body: the entries merged per range (by each entry's sourceNodeId), and the fan-out's errors. */
export function raftBody(entries: readonly Record<string, unknown>[], errors: readonly string[] = []): unknown {
  const ranges: Record<string, { rangeId: string; errors: unknown[]; nodes: unknown[] }> = {};
  for (const e of entries) {
    const id = String(((e.state as Record<string, Record<string, Record<string, unknown>>>).state.desc as { rangeId: string }).rangeId);
    (ranges[id] ??= { rangeId: id, errors: [], nodes: [] }).nodes.push({ nodeId: e.sourceNodeId, range: e });
  }
  return { ranges, errors: errors.map((message) => ({ message })) };
}

/** A healthy 3-node cluster: range 1 led by n1, every follower current. */
export const HEALTHY_RAFT = raftBody([
  range(1, 1, 1, 100, [
    { node: 2, match: 100 },
    { node: 3, match: 99 },
  ]),
  range(1, 2, 1, 100, []),
  range(1, 3, 1, 99, []),
]);
