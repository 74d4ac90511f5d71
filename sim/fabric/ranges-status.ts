/**
 * `GET /_status/ranges/{node_id}`: the ranges with a replica on one node,
 * each with that replica's Raft state (CR `pkg/server/serverpb/status.proto`
 * `RangesResponse` / `RangeInfo` / `RaftState` / `RaftState.Progress`, built
 * by `pkg/server/status.go` `Ranges` from each replica's `RaftStatus()`).
 *
 * As the gRPC gateway prints it (protoutil.JSONPb: lowerCamelCase names,
 * 64-bit integers as strings, defaults emitted): `raftState.state` is
 * "StateLeader" on the range's leader and "StateFollower" elsewhere;
 * `raftState.progress` is filled on the leader only, keyed by replica ID,
 * with `match`, `next`, `state` ("StateProbe" | "StateReplicate" |
 * "StateSnapshot"), `paused` and `pendingSnapshot`; `hardState.commit` is the
 * replica's commit index. The descriptor is `state.state.desc` (a
 * `kvserverpb.RangeInfo` embedding the `ReplicaState`), its replicas in
 * `internalReplicas` with `nodeId`, `storeId`, `replicaId`, `type`.
 */
import { ClusterState, REPLICATION_FACTOR } from "./cluster";
import { RangeDesc, rangeVerdict, type NodeView } from "./ranges";

type Json = Record<string, unknown>;

/** The term every simulated range is in (the sim has no elections). */
const TERM = "6";

/**
 * `rangeIds` (RangesRequest.range_ids) keeps only those ranges, as `rangesHelper` does with GetReplica.
 * `problems.unavailable` / `underreplicated` are the replica's own `calcRangeCounter` verdict (set on the
 * counting replica only), computed now, as `rangesHelper` calls `rep.Metrics` per request.
 */
export function rangesResponse(cluster: ClusterState, nodeId: number, rangeIds?: readonly number[]): Json {
  cluster.advanceRaft();
  const wanted = rangeIds !== undefined && rangeIds.length > 0 ? new Set(rangeIds) : undefined;
  const ranges = cluster.ranges
    .filter((r) => r.replicas.includes(nodeId) && (wanted === undefined || wanted.has(r.id)))
    .sort((a, b) => a.id - b.id);
  const views = cluster.views();
  return { ranges: ranges.map((r) => rangeInfo(cluster, r, nodeId, views)), next: 0 };
}

function rangeInfo(cluster: ClusterState, r: RangeDesc, nodeId: number, views: readonly NodeView[]): Json {
  const verdict = rangeVerdict(r, views, REPLICATION_FACTOR);
  const counts = verdict.counter === nodeId;
  const raft = cluster.raft;
  const leader = r.leaseholder === nodeId;
  const commit = raft.commitOf(r);
  const own = leader ? commit : (raft.progress(r, nodeId)?.match ?? commit);
  const progress: Json = {};
  if (leader) {
    for (const id of r.replicas) {
      const p = id === nodeId ? { match: commit, next: commit + 1, state: "StateReplicate" as const } : raft.progress(r, id);
      if (p === undefined) continue;
      progress[String(raft.replicaIdOf(r, id))] = {
        match: String(p.match),
        next: String(p.next),
        state: p.state,
        paused: false,
        pendingSnapshot: "0",
      };
    }
  }
  const span = { startKey: prettyKey(r.id), endKey: prettyKey(r.id + 1) };
  return {
    span,
    raftState: {
      replicaId: String(raft.replicaIdOf(r, nodeId)),
      hardState: { term: TERM, vote: String(raft.replicaIdOf(r, r.leaseholder)), commit: String(own) },
      lead: String(raft.replicaIdOf(r, r.leaseholder)),
      state: leader ? "StateLeader" : "StateFollower",
      applied: String(own),
      progress,
      leadTransferee: "0",
    },
    state: {
      state: {
        raftAppliedIndex: String(own),
        leaseAppliedIndex: String(Math.max(0, own - 10)),
        desc: {
          rangeId: String(r.id),
          startKey: keyBytes(r.id),
          endKey: keyBytes(r.id + 1),
          internalReplicas: r.replicas.map((id) => ({ nodeId: id, storeId: id, replicaId: raft.replicaIdOf(r, id), type: 0 })),
          nextReplicaId: raft.nextReplicaIdOf(r),
          generation: "1",
        },
      },
    },
    sourceNodeId: nodeId,
    sourceStoreId: nodeId,
    errorMessage: "",
    leaseHistory: [],
    problems: {
      unavailable: counts && verdict.unavailable,
      leaderNotLeaseHolder: false,
      noRaftLeader: false,
      underreplicated: counts && verdict.underreplicated,
      overreplicated: false,
      noLease: false,
      quiescentEqualsTicking: false,
      raftLogTooLarge: false,
      circuitBreakerError: false,
      pausedFollowers: false,
    },
    quiescent: false,
    ticking: true,
    readLatches: "0",
    writeLatches: "0",
    locks: "0",
    locksWithWaitQueues: "0",
    lockWaitQueueWaiters: "0",
    topKLocksByWaitQueueWaiters: [],
    isLeaseholder: leader,
    leaseValid: true,
  };
}

function prettyKey(id: number): string {
  return id === 1 ? "/Min" : `/Table/${id + 100}`;
}

/** Descriptor keys are bytes: base64 in JSON. */
function keyBytes(id: number): string {
  return Buffer.from(id === 1 ? "" : `\xf6${String.fromCharCode(id + 100)}`, "latin1").toString("base64");
}
