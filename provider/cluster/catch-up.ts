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
 * What we read instead: `GET /_status/ranges/local` on every live node
 * (`pkg/server/serverpb/status.proto` `RangesResponse` -> `RangeInfo` ->
 * `RaftState`, filled by `pkg/server/status.go` `Ranges` from the replica's
 * Raft status). On the replica that leads a range (`raftState.state`
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
 * Missing is never healthy: a node that does not answer, a body without
 * ranges, a range without a leader in view, or a leader without progress for
 * a follower makes the sample fail with that reason.
 *
 * On a secure cluster CockroachDB serves `/_status/ranges` to an
 * authenticated admin (or VIEWCLUSTERMETADATA) session only; see README.
 */
import type { ClusterReader } from "./reader";
import { sleep } from "../core/timing";
import type { NodeSpec } from "../core/types";

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

/**
 * `roachpb.ReplicaType` LEARNER (1) and NON_VOTER (5): not part of any quorum, so their lag cannot cost a
 * range its availability (a replica being added by the rebalancer is a LEARNER while its snapshot streams).
 * An absent type is VOTER_FULL (0).
 */
const NOT_VOTING = new Set([1, 5]);

/** One range as one node's replica reports it. */
export interface RangeReport {
  readonly rangeId: string;
  /** Node IDs of the voters by replica ID, from the descriptor (learners and non-voters left out). */
  readonly replicas: ReadonlyMap<string, number>;
  readonly leader: boolean;
  readonly commit: number;
  /**
   * `problems.pausedFollowers`: the leader has paused replication to a follower whose store is
   * I/O-overloaded (admission control; `admission.raft.paused_replicas`), as a just-restarted node
   * catching up can be (#96521).
   */
  readonly pausedFollowers: boolean;
  /** Leader only: per replica ID. */
  readonly progress: ReadonlyMap<string, { match: number; state: string; paused: boolean; pendingSnapshot: number }>;
}

/** A follower replica that has not caught up, as its leader sees it. */
export interface LaggingReplica {
  readonly rangeId: string;
  readonly nodeId: number;
  readonly behind: number;
  readonly state: string;
}

/** Something that keeps catch-up from being proven: `key` names the range, replica or node. */
export interface Unproven {
  readonly key: string;
  readonly text: string;
}

export interface CatchUpVerdict {
  readonly ok: boolean;
  readonly lagging: readonly LaggingReplica[];
  /** What could not be read or proven (each makes the verdict not ok). */
  readonly missing: readonly Unproven[];
}

/** Parses a `/_status/ranges` body; throws naming what is missing. */
export function parseRangesResponse(body: unknown): RangeReport[] {
  const ranges = (body as { ranges?: unknown } | null)?.ranges;
  if (!Array.isArray(ranges)) throw new Error("no `ranges` in the /_status/ranges answer");
  return ranges.map((r, i) => parseRange(r as Record<string, unknown>, i));
}

function parseRange(r: Record<string, unknown>, i: number): RangeReport {
  const raft = r.raftState as Record<string, unknown> | undefined;
  const desc = ((r.state as Record<string, unknown> | undefined)?.state as Record<string, unknown> | undefined)?.desc as
    Record<string, unknown> | undefined;
  const rangeId = desc?.rangeId;
  const internal = desc?.internalReplicas;
  const commit = Number((raft?.hardState as Record<string, unknown> | undefined)?.commit);
  if (raft === undefined || typeof raft.state !== "string" || !Array.isArray(internal) || rangeId === undefined || !Number.isFinite(commit))
    throw new Error(`range entry ${i} lacks raftState.state, raftState.hardState.commit or state.state.desc`);
  const replicas = new Map<string, number>();
  for (const x of internal as Record<string, unknown>[])
    if (!NOT_VOTING.has(Number(x.type ?? 0))) replicas.set(String(x.replicaId), Number(x.nodeId));
  const progress = new Map<string, { match: number; state: string; paused: boolean; pendingSnapshot: number }>();
  for (const [id, p] of Object.entries((raft.progress as Record<string, Record<string, unknown>> | undefined) ?? {})) {
    progress.set(id, {
      match: Number(p.match),
      state: String(p.state ?? ""),
      paused: p.paused === true,
      pendingSnapshot: Number(p.pendingSnapshot ?? 0),
    });
  }
  const pausedFollowers = (r.problems as Record<string, unknown> | undefined)?.pausedFollowers === true;
  return { rangeId: String(rangeId), replicas, leader: raft.state === "StateLeader", commit, pausedFollowers, progress };
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

/**
 * Reads `/_status/ranges/local` on each live node and judges it; what is wrong is read again after
 * CONFIRM_AFTER_MS and only what both reads show counts. Never throws: what cannot be read is unproven.
 */
export async function sampleCatchUp(reader: ClusterReader, live: readonly NodeSpec[], signal?: AbortSignal): Promise<CatchUpVerdict> {
  if (live.length === 0) return { ok: false, lagging: [], missing: [{ key: "cluster", text: "no live node to read raft state from" }] };
  const first = await readOnce(reader, live, signal);
  if (first.ok) return first;
  await sleep(CONFIRM_AFTER_MS, signal);
  const second = await readOnce(reader, live, signal);
  const lagged = new Set(first.lagging.map((l) => `${l.rangeId}/${l.nodeId}`));
  const unproven = new Set(first.missing.map((m) => `${m.key} ${m.text}`));
  const lagging = second.lagging.filter((l) => lagged.has(`${l.rangeId}/${l.nodeId}`));
  const missing = second.missing.filter((m) => unproven.has(`${m.key} ${m.text}`) || m.text.startsWith(UNREAD));
  return { ok: lagging.length === 0 && missing.length === 0, lagging, missing };
}

async function readOnce(reader: ClusterReader, live: readonly NodeSpec[], signal?: AbortSignal): Promise<CatchUpVerdict> {
  const reports: RangeReport[] = [];
  const unread: Unproven[] = [];
  await Promise.all(
    live.map(async (n) => {
      try {
        reports.push(...parseRangesResponse(await reader.ranges(n, signal)));
      } catch (e) {
        unread.push({ key: n.name, text: `${UNREAD}: ${(e as Error).message}` });
      }
    }),
  );
  const v = judgeCatchUp(reports);
  const missing = [...unread.sort((a, b) => a.key.localeCompare(b.key)), ...v.missing];
  return { ok: v.ok && unread.length === 0, lagging: v.lagging, missing };
}
