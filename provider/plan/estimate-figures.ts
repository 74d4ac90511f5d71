/**
 * Pure: the figures of a first roll's estimate, when the cluster has no
 * measured pace yet (pace.ts), each with its reason. The drain comes from
 * the cluster's own drain settings (read before the plan, rollout/run.ts);
 * the rest are fixed figures for a real cluster, replaced after the canary
 * by what the canary measured (reestimate.ts) and on later rolls by the last
 * roll's pace.
 */

/** The cluster's server.shutdown.* settings, ms (cluster/lb-drain.ts readDrainSettings); a field left out is unknown. */
export interface DrainSettingsMs {
  /** server.shutdown.initial_wait (alias drain_wait). */
  readonly initialWaitMs?: number;
  /** server.shutdown.connections.timeout (alias connection_wait). */
  readonly connectionsTimeoutMs?: number;
  /** server.shutdown.transactions.timeout (alias query_wait). */
  readonly transactionsTimeoutMs?: number;
  /** server.shutdown.jobs.timeout (alias jobs_wait). */
  readonly jobsTimeoutMs?: number;
  /** server.shutdown.lease_transfer_iteration.timeout (alias lease_transfer_wait). */
  readonly leaseTransferIterationMs?: number;
}

/**
 * CockroachDB's defaults (pkg/server/drain.go registers them; docs
 * `_data/v25.4/cluster-settings.csv`): initial_wait 0s, connections.timeout
 * 0s, transactions.timeout 10s, jobs.timeout 10s,
 * lease_transfer_iteration.timeout 5s. Used where the settings could not be
 * read (the preview plans from the recorded state, without the cluster).
 */
export const COCKROACH_DRAIN_DEFAULTS: Required<DrainSettingsMs> = {
  initialWaitMs: 0,
  connectionsTimeoutMs: 0,
  transactionsTimeoutMs: 10_000,
  jobsTimeoutMs: 10_000,
  leaseTransferIterationMs: 5_000,
};

export const FIRST_ROLL = {
  /**
   * The drain's own work after its waits: the lease-transfer phase
   * (pkg/server/drain.go drainNode -> Node.SetDraining: the stores move
   * their leases away in iterations bounded by
   * lease_transfer_iteration.timeout until none is left; one transfer per
   * lease, so a node with a few hundred leases is done inside the first
   * iteration) plus `cockroach node drain`'s own RPC round trips
   * (pkg/cli/rpc_node_shutdown.go doDrain repeats the Drain RPC until
   * "remaining: 0"). transactions.timeout and jobs.timeout bound waits
   * that end as soon as nothing is in flight (drain.go drainClients:
   * pgServer.Drain, distSQLServer.Drain, the job registry): an OLTP
   * transaction lasts milliseconds, so they count for nothing here.
   */
  drainWorkMs: 2_000,
  /**
   * Stop + swap + start + ready: after a completed drain SIGTERM finds
   * nothing left to drain and the process exits at once (pkg/cli/start.go);
   * the swap is a local copy of one binary; a node on a small store opens it,
   * joins gossip and heartbeats liveness before it answers ready=1
   * (pkg/server/server.go PreStart), a few seconds; the gate also waits for
   * the peers to see it live, renewed every TTL/2 = 4.5s.
   */
  restartMs: 6_000,
  /**
   * Raft catch-up after the node was down: a just-restarted node lags on
   * the writes it missed and is IO-loaded while it catches up; restarting the
   * next one inside that window risks unavailability (cockroachdb/cockroach
   * #101321, the reason cockroach-operator re-checks after 22s and the
   * runbook waits a minute). 30s is the order of that window; the gate
   * measures the real one (cluster/catch-up.ts).
   */
  catchUpMs: 30_000,
  /**
   * Before the first node, besides the gate's streak (which the estimate
   * takes from the Spec): pre-flight reads (a few SQL and HTTP reads per
   * node, in parallel), staging (download, checksum and `cockroach version`
   * of the release on every node in parallel), hooks. Seconds on a LAN.
   */
  stagingMs: 5_000,
  /**
   * From one batch's release to the next one's drain. The lease check and
   * the guard's fresh read of every node run beside the bake's last sample
   * (rollout/clearance-ahead.ts), so what is left is the journal write over
   * SSH and the drain command's start: 0.3 s measured between nodes
   * (bench/phase-profile.ts); 1 s before the look-ahead overestimated the
   * re-estimate after the canary by 25% (1 s of ~4 s per node at 30 nodes).
   */
  betweenMs: 300,
} as const;

/**
 * The drain of one node by its settings (pkg/server/drain.go
 * drainClients): initial_wait is slept in full on the first drain request
 * (the node answers ready=503 that long, for load balancers to notice);
 * then WaitForSQLConnsToClose waits until every client has closed its
 * connection or connections.timeout elapsed. Pooled connections close only
 * when their pool recycles them, so a timeout an operator set is counted in
 * full (the default, 0s, adds nothing). Then the drain's own work.
 */
export function drainEstimateMs(s: DrainSettingsMs | undefined): number {
  const initial = s?.initialWaitMs ?? COCKROACH_DRAIN_DEFAULTS.initialWaitMs;
  const connections = s?.connectionsTimeoutMs ?? COCKROACH_DRAIN_DEFAULTS.connectionsTimeoutMs;
  return initial + connections + FIRST_ROLL.drainWorkMs;
}
