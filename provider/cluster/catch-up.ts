/**
 * The catch-up signal of the cluster gate: has every replica on every live
 * node caught up with its range's Raft leader?
 *
 * Why not `raftlog_behind`: that store gauge sums, over the ranges a store
 * leads, how far each follower's match index trails the commit index
 * (CockroachDB `pkg/kv/kvserver/replica_metrics.go`, `calcBehindCount`), and
 * its own help text (`pkg/kv/kvserver/metrics.go`, `metaRaftLogFollowerBehindCount`)
 * says followers are expected to be behind and the aggregate is hard to
 * interpret. Under any write load it is above 0 on a healthy cluster, so
 * "Σ = 0" would never hold, and it cannot say which node is behind.
 *
 * What we read instead: every replica's `RangeInfo` -> `RaftState`
 * (`pkg/server/serverpb/status.proto`, filled by `pkg/server/status.go`
 * `Ranges` from the replica's Raft status), all nodes at once through
 * `GET /_status/raft` (`RaftDebug`, which fans `Ranges` out to every node;
 * raft-debug.ts) — one request per read whatever the node count, where it
 * was `/_status/ranges/local` on each node. On the replica that leads a range (`raftState.state`
 * "StateLeader"), `raftState.progress` holds, per follower replica ID, the
 * leader's view of it: `match`, `next`, `state` ("StateProbe",
 * "StateReplicate", "StateSnapshot"), `paused`, `pendingSnapshot`; the
 * commit index is `raftState.hardState.commit`, and the descriptor
 * (`state.state.desc.internalReplicas`: nodeId, replicaId) maps replica IDs
 * to nodes. A follower has caught up when its leader streams to it
 * (StateReplicate, not paused, no snapshot pending) and its match index is
 * within MAX_ENTRIES_BEHIND of the commit index. That holds on a busy
 * healthy cluster — followers trail by the entries in flight — and fails for
 * a restarted node until it has applied what it missed (#101321), which is
 * the danger: restarting the next node before then can cost ranges their
 * quorum. It is judged per replica, for every node, so it also sees a node
 * someone else restarted.
 *
 * A leader that reports `problems.pausedFollowers` (replication paused to a
 * follower whose store admission control sees as I/O-overloaded, the other
 * half of the danger: #96521) fails the sample too.
 *
 * Missing is never healthy: a node the fan-out could not ask, a body without
 * ranges, a range without a leader in view, or a leader without progress for
 * a follower makes the sample fail with that reason.
 *
 * On a secure cluster CockroachDB serves `/_status/raft` to an
 * authenticated admin (or VIEWCLUSTERMETADATA) session only; see README.
 */
import type { ClusterReader } from "./reader";
import { sleep } from "../core/timing";
import type { NodeSpec } from "../core/types";
import { parseRaftDebug, type ClusterRaft, type Unproven } from "./raft-debug";
import type { RangeReport } from "./raft-state";

export { parseRangesResponse, type RangeReport } from "./raft-state";
export type { Unproven } from "./raft-debug";

/**
 * The most entries a caught-up follower may trail its leader's commit index
 * by. A follower in StateReplicate trails by what is in flight to it, a few
 * entries at a time per range even under heavy load; a restarted node's
 * replicas start hundreds or thousands behind. Generous on purpose: a bake
 * fails on one bad sample.
 */
export const MAX_ENTRIES_BEHIND = 64;

/**
 * A failed read is confirmed by a second one this much later: a lease or leadership transfer between
 * the per-node reads shows a range with no leader, and a new leader knows its followers only after a
 * heartbeat round. A restarted node lags in both reads. A node that cannot be read counts either way.
 */
export const CONFIRM_AFTER_MS = 1_000;
const UNREAD = "no raft state";

/** A follower replica that has not caught up, as its leader sees it. */
export interface LaggingReplica {
  readonly rangeId: string;
  readonly nodeId: number;
  readonly behind: number;
  readonly state: string;
}

export interface CatchUpVerdict {
  readonly ok: boolean;
  readonly lagging: readonly LaggingReplica[];
  /** What could not be read or proven (each makes the verdict not ok). */
  readonly missing: readonly Unproven[];
}

/** Judges the reports of every live node (pure). */
export function judgeCatchUp(reports: readonly RangeReport[]): CatchUpVerdict {
  const lagging: LaggingReplica[] = [];
  const missing: Unproven[] = [];
  const leaders = new Map<string, RangeReport>();
  const seen = new Set<string>();
  for (const r of reports) {
    seen.add(r.rangeId);
    if (r.leader) leaders.set(r.rangeId, r);
  }
  for (const id of seen) if (!leaders.has(id)) missing.push({ key: `r${id}`, text: "no Raft leader in view" });
  for (const l of leaders.values()) {
    if (l.pausedFollowers) missing.push({ key: `r${l.rangeId}`, text: "replication paused to an I/O-overloaded follower" });
    for (const [replicaId, nodeId] of l.replicas) {
      const p = l.progress.get(replicaId);
      if (p === undefined) {
        missing.push({ key: `r${l.rangeId}/n${nodeId}`, text: "no leader progress for the replica" });
        continue;
      }
      const behind = Math.max(0, l.commit - p.match);
      const streaming = p.state === "StateReplicate" && !p.paused && !(p.pendingSnapshot > 0);
      if (!streaming || !Number.isFinite(behind) || behind > MAX_ENTRIES_BEHIND)
        lagging.push({ rangeId: l.rangeId, nodeId, behind: Number.isFinite(behind) ? behind : Infinity, state: p.state });
    }
  }
  return { ok: lagging.length === 0 && missing.length === 0, lagging, missing };
}

/** "n2: 12 replicas, raft log behind 800 entries (max), 3 not streaming". */
export function describeLagging(lagging: readonly LaggingReplica[]): string {
  const byNode = new Map<number, LaggingReplica[]>();
  for (const l of lagging) byNode.set(l.nodeId, [...(byNode.get(l.nodeId) ?? []), l]);
  return [...byNode.entries()]
    .sort(([a], [b]) => a - b)
    .map(([id, ls]) => {
      const max = Math.max(...ls.map((l) => l.behind));
      const notStreaming = ls.filter((l) => l.state !== "StateReplicate").length;
      return `n${id}: ${ls.length} replicas, raft log behind ${max} entries (max)${notStreaming > 0 ? `, ${notStreaming} not streaming` : ""}`;
    })
    .join("; ");
}

/** "r7: no Raft leader in view; r9: ...; and 12 more", at most three named. */
export function describeUnproven(missing: readonly Unproven[]): string {
  const named = missing.slice(0, 3).map((m) => `${m.key}: ${m.text}`);
  return named.join("; ") + (missing.length > 3 ? `; and ${missing.length - 3} more` : "");
}

/** A catch-up verdict, and what the first read saw of the whole cluster (range health comes from it too). */
export interface CatchUpSample extends CatchUpVerdict {
  /** Undefined when `/_status/raft` could not be read at all. */
  readonly raft?: ClusterRaft;
}

/**
 * Reads `/_status/raft` (one request: the cluster fans it out to every node; raft-debug.ts) through the
 * first of `gateways` that answers, and judges it; what is wrong is read again after CONFIRM_AFTER_MS and
 * only what both reads show counts. Never throws: what cannot be read is unproven.
 */
export async function sampleCatchUp(reader: ClusterReader, gateways: readonly NodeSpec[], signal?: AbortSignal): Promise<CatchUpSample> {
  if (gateways.length === 0) return { ok: false, lagging: [], missing: [{ key: "cluster", text: "no live node to read raft state from" }] };
  const first = await readOnce(reader, gateways, signal);
  if (first.ok) return first;
  await sleep(CONFIRM_AFTER_MS, signal);
  const second = await readOnce(reader, gateways, signal);
  const lagged = new Set(first.lagging.map((l) => `${l.rangeId}/${l.nodeId}`));
  const unproven = new Set(first.missing.map((m) => `${m.key} ${m.text}`));
  const lagging = second.lagging.filter((l) => lagged.has(`${l.rangeId}/${l.nodeId}`));
  const missing = second.missing.filter((m) => unproven.has(`${m.key} ${m.text}`) || m.text.startsWith(UNREAD));
  return { ok: lagging.length === 0 && missing.length === 0, lagging, missing, raft: first.raft ?? second.raft };
}

async function readOnce(reader: ClusterReader, gateways: readonly NodeSpec[], signal?: AbortSignal): Promise<CatchUpSample> {
  let raft: ClusterRaft;
  try {
    raft = parseRaftDebug(await reader.raftDebug(gateways, signal));
  } catch (e) {
    return { ok: false, lagging: [], missing: [{ key: "cluster", text: `${UNREAD}: ${(e as Error).message}` }] };
  }
  const empty: Unproven[] = raft.reports.length === 0 ? [{ key: "cluster", text: `${UNREAD}: no node reported any range` }] : [];
  const v = judgeCatchUp(raft.reports);
  const missing = [...raft.unreachable, ...empty, ...v.missing];
  return { ok: v.ok && missing.length === 0, lagging: v.lagging, missing, raft };
}
