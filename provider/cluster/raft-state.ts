/**
 * Parsing of CockroachDB's `RangeInfo` (`pkg/server/serverpb/status.proto`),
 * the per-replica entry of both `/_status/ranges/{node_id}` (`RangesResponse`)
 * and `/_status/raft` (`RaftDebugResponse` -> `RaftRangeStatus.nodes[].range`),
 * reduced to what the cluster gate judges: the Raft state of the replica (on
 * the leader, its view of every follower) and the replica's range-level
 * `problems`. Pure; throws naming what is missing.
 */
import { ReadFailed } from "../core/errors";

/**
 * `roachpb.ReplicaType` LEARNER (1) and NON_VOTER (5): not part of any quorum, so their lag cannot cost a
 * range its availability (a replica being added by the rebalancer is a LEARNER while its snapshot streams).
 * An absent type is VOTER_FULL (0).
 */
const NOT_VOTING = new Set([1, 5]);

/** One range as one node's replica reports it. */
export interface RangeReport {
  readonly rangeId: string;
  /**
   * Leader only (empty on a follower, whose view nobody judges): node IDs of the voters by replica ID, from
   * the descriptor (learners and non-voters left out).
   */
  readonly replicas: ReadonlyMap<string, number>;
  readonly leader: boolean;
  readonly commit: number;
  /**
   * `problems.pausedFollowers`: the leader has paused replication to a follower whose store is
   * I/O-overloaded (admission control; `admission.raft.paused_replicas`), as a just-restarted node
   * catching up can be (#96521).
   */
  readonly pausedFollowers: boolean;
  /**
   * `problems.underreplicated` / `problems.unavailable`: the replica's own `calcRangeCounter` verdict
   * (pkg/kv/kvserver/replica_metrics.go), set only on the one replica that counts the range (its live
   * leaseholder, else its first live replica). The store gauges `ranges.underreplicated` /
   * `ranges.unavailable` are these flags summed over the store's replicas (`updateReplicationGauges`), so
   * summed over every replica they are the cluster's totals, computed when asked. Undefined when absent.
   */
  readonly underreplicated?: boolean;
  readonly unavailable?: boolean;
  /** Leader only (empty on a follower): per replica ID. */
  readonly progress: ReadonlyMap<string, ReplicaProgress>;
}

/** A leader's view of one replica's log (raft `Progress`). */
export interface ReplicaProgress {
  readonly match: number;
  readonly state: string;
  readonly paused: boolean;
  readonly pendingSnapshot: number;
}

/** Parses a `/_status/ranges` body; throws naming what is missing. */
export function parseRangesResponse(body: unknown): RangeReport[] {
  const ranges = (body as { ranges?: unknown } | null)?.ranges;
  if (!Array.isArray(ranges)) throw new ReadFailed("no `ranges` in the /_status/ranges answer");
  return ranges.map((r, i) => parseRangeInfo(r as Record<string, unknown>, i));
}

export function parseRangeInfo(r: Record<string, unknown>, i: number): RangeReport {
  const raft = r.raftState as Record<string, unknown> | undefined;
  const desc = ((r.state as Record<string, unknown> | undefined)?.state as Record<string, unknown> | undefined)?.desc as
    Record<string, unknown> | undefined;
  const rangeId = desc?.rangeId;
  const internal = desc?.internalReplicas;
  const commit = Number((raft?.hardState as Record<string, unknown> | undefined)?.commit);
  if (raft === undefined || typeof raft.state !== "string" || !Array.isArray(internal) || rangeId === undefined || !Number.isFinite(commit))
    throw new ReadFailed(`range entry ${i} lacks raftState.state, raftState.hardState.commit or state.state.desc`);
  const leader = raft.state === "StateLeader";
  const problems = r.problems as Record<string, unknown> | undefined;
  const flag = (v: unknown): boolean | undefined => (typeof v === "boolean" ? v : undefined);
  return {
    rangeId: String(rangeId),
    // Two of every three replicas are followers: their tables were built on every gate sample and never read.
    replicas: leader ? votersOf(internal as Record<string, unknown>[]) : NONE,
    leader,
    commit,
    pausedFollowers: problems?.pausedFollowers === true,
    underreplicated: flag(problems?.underreplicated),
    unavailable: flag(problems?.unavailable),
    progress: leader ? progressOf(raft.progress) : NONE,
  };
}

const NONE: ReadonlyMap<string, never> = new Map<string, never>();

function votersOf(internal: readonly Record<string, unknown>[]): Map<string, number> {
  const replicas = new Map<string, number>();
  for (const x of internal) if (!NOT_VOTING.has(Number(x.type ?? 0))) replicas.set(String(x.replicaId), Number(x.nodeId));
  return replicas;
}

function progressOf(raw: unknown): Map<string, ReplicaProgress> {
  const progress = new Map<string, ReplicaProgress>();
  for (const [id, p] of Object.entries((raw as Record<string, Record<string, unknown>> | undefined) ?? {})) {
    progress.set(id, {
      match: Number(p.match),
      state: String(p.state ?? ""),
      paused: p.paused === true,
      pendingSnapshot: Number(p.pendingSnapshot ?? 0),
    });
  }
  return progress;
}
