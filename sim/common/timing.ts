/**
 * Every duration the simulator uses, in wall-clock milliseconds after the
 * time scale is applied. Durations are written here in "sim seconds" (what a
 * real cluster would take); `--time-scale 0.1` makes all of them 10x shorter,
 * so tests exercise the same behaviour faster. Durations that come from
 * cluster settings (`server.shutdown.*`, `server.time_until_store_dead`) are
 * shown unscaled in SQL and scaled when the simulator waits on them.
 */

export interface TimingOptions {
  /** Wall seconds per sim second. Defaults to 1. */
  readonly timeScale?: number;
  /** Liveness record lifetime in sim seconds. Defaults to 9 (CockroachDB's default). */
  readonly livenessTtlS?: number;
}

export interface SimTiming {
  readonly timeScale: number;
  readonly livenessTtlMs: number;
  /** Heartbeats renew liveness at half the TTL, as CockroachDB does. */
  readonly heartbeatMs: number;
  /** Store metrics and node status `updated_at` refresh this often (CockroachDB: 10s). */
  readonly metricsRefreshMs: number;
  /** After a restart, the node's replicas lag for this long (raft catch-up, #101321). */
  readonly catchUpMs: number;
  /** Time from process start until the node accepts SQL. */
  readonly startupMs: number;
  /** One internal step of a cluster-version finalization. */
  readonly finalizeStepMs: number;
  readonly autoUpgradeInitialBackoffMs: number;
  readonly autoUpgradeMaxBackoffMs: number;
  /** Converts sim milliseconds to wall milliseconds. */
  scale(simMs: number): number;
}

export const DEFAULT_LIVENESS_TTL_S = 9;
export const FINALIZE_STEPS = 8;

export function makeTiming(opts: TimingOptions = {}): SimTiming {
  const timeScale = opts.timeScale ?? 1;
  if (!(timeScale > 0)) throw new Error(`time scale must be a positive number, got ${timeScale}`);
  const ttlS = opts.livenessTtlS ?? DEFAULT_LIVENESS_TTL_S;
  if (!(ttlS > 0)) throw new Error(`liveness TTL must be a positive number of seconds, got ${ttlS}`);
  const scale = (simMs: number): number => Math.max(1, Math.round(simMs * timeScale));
  return {
    timeScale,
    livenessTtlMs: scale(ttlS * 1000),
    heartbeatMs: scale((ttlS * 1000) / 2),
    metricsRefreshMs: scale(10_000),
    catchUpMs: scale(30_000),
    startupMs: scale(800),
    finalizeStepMs: scale(1_000),
    autoUpgradeInitialBackoffMs: scale(1_000),
    autoUpgradeMaxBackoffMs: scale(30_000),
    scale,
  };
}
