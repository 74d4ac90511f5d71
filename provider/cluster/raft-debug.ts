/**
 * The whole cluster's replicas in one request: `GET /_status/raft`
 * (CockroachDB `pkg/server/serverpb/status.proto` `RaftDebug` ->
 * `RaftDebugResponse`; `pkg/server/status.go` `RaftDebug`, the same in
 * v22.x..v26.x). The node asked lists every node with a status record
 * (`ListNodesInternal`: decommissioned nodes have none) and calls `Ranges`
 * on each in parallel — its own stores locally, the others over RPC — then
 * merges the `RangeInfo` entries per range: `ranges` maps a range ID to
 * `{rangeId, errors, nodes: [{nodeId, range}]}`. A node it could not ask
 * leaves only `failed to get ranges from <id>: <cause>` in the top-level
 * `errors`; the answer is still 200. So one request carries what
 * `/_status/ranges/local` on every node carried, and says which node is
 * missing.
 *
 * Missing is never healthy: each top-level error makes the read unproven
 * for that node; a body with no ranges at all is unproven too.
 *
 * Range health from the same answer: each replica's `problems.underreplicated`
 * / `problems.unavailable` is its `calcRangeCounter` verdict (set on the one
 * replica that counts the range), and the store gauges
 * `ranges.underreplicated` / `ranges.unavailable` of `/_status/vars` are
 * exactly these flags summed per store (`pkg/kv/kvserver` store metrics,
 * `updateReplicationGauges`). Summed over every replica they are the
 * cluster totals the gate summed from each node's `/_status/vars` — computed
 * when asked rather than at the last 10 s metrics tick.
 *
 * Access: a web session of an admin (older releases, `requireAdminUser`) or
 * of a VIEWCLUSTERMETADATA holder (`RequireViewClusterMetadataPermission`),
 * as for `/_status/ranges`. The endpoint, its `errors` and the
 * `problems` flags exist on every release the provider supports, so there
 * is no per-node path left for old releases.
 */
import { ReadFailed } from "../core/errors";
import { parseRangeInfo, type RangeReport } from "./raft-state";

/** What keeps something from being proven: `key` names the range, replica or node. */
export interface Unproven {
  readonly key: string;
  readonly text: string;
}

export interface ClusterRaft {
  readonly reports: readonly RangeReport[];
  /** Nodes the fan-out could not ask (the answer's top-level `errors`). */
  readonly unreachable: readonly Unproven[];
}

export interface RangeHealth {
  /** Undefined when some replica did not report the flag (never counted as 0). */
  readonly underReplicated?: number;
  readonly unavailable?: number;
  /** Σ over leaders of how far followers trail the commit index (`calcBehindCount`): reported, not gated. */
  readonly raftLogBehind: number;
}

/** Parses a `/_status/raft` body; throws naming what is missing. */
export function parseRaftDebug(body: unknown): ClusterRaft {
  const b = body as { ranges?: unknown; errors?: unknown } | null;
  if (b === null || typeof b.ranges !== "object" || b.ranges === null || Array.isArray(b.ranges))
    throw new ReadFailed("no `ranges` in the /_status/raft answer");
  const reports: RangeReport[] = [];
  let i = 0;
  for (const status of Object.values(b.ranges as Record<string, { nodes?: unknown }>)) {
    if (!Array.isArray(status?.nodes)) throw new ReadFailed("a range of the /_status/raft answer has no `nodes`");
    for (const n of status.nodes as { range?: unknown }[]) reports.push(parseRangeInfo((n.range ?? {}) as Record<string, unknown>, i++));
  }
  const unreachable = (Array.isArray(b.errors) ? (b.errors as { message?: unknown }[]) : []).map(nodeError);
  return { reports, unreachable };
}

/** "failed to get ranges from 3: <cause>" -> key n3 (the node ID: the names are the caller's). */
function nodeError(e: { message?: unknown }): Unproven {
  const text = String(e.message ?? "unknown error");
  const m = /failed to get ranges from (\d+)/.exec(text);
  return { key: m ? `n${m[1]}` : "cluster", text: `no raft state: ${text}` };
}

/** Under-replicated and unavailable ranges, and the informational raft log lag, over every replica reported (pure). */
export function judgeRangeHealth(reports: readonly RangeReport[]): RangeHealth {
  let under = 0;
  let unavail = 0;
  let complete = reports.length > 0;
  let behind = 0;
  for (const r of reports) {
    if (r.underreplicated === undefined || r.unavailable === undefined) complete = false;
    if (r.underreplicated === true) under += 1;
    if (r.unavailable === true) unavail += 1;
    if (r.leader) for (const p of r.progress.values()) if (p.match > 0 && p.match < r.commit) behind += r.commit - p.match;
  }
  return complete ? { underReplicated: under, unavailable: unavail, raftLogBehind: behind } : { raftLogBehind: behind };
}
