/**
 * Pure: the plan's estimate of a roll's wall time, by the time model
 * (time-model.ts), from the cluster's measured pace (pace.ts) where there is
 * one, else from fixed figures.
 */
import type { PlanBatch, Spec } from "../core/types";
import type { Pace } from "./pace";
import { confirmationMs, waitAfterRejoinFloorMs } from "./time-model";

/**
 * Per-batch costs for the estimate (not deadlines) when the cluster has no
 * measured pace yet (pace.ts: the last roll's record). Drain: the default
 * server.shutdown waits plus lease transfers take ~15s on an idle node;
 * restart (stop, swap, start, ready): ~10s; raft catch-up after a node was
 * down a minute: seconds to tens of seconds, 30s taken; setup (pre-flight,
 * staging, the gate before the first node): ~10s. The gate's timing and the
 * bakes come from the Spec.
 */
export const ESTIMATE = { drainMs: 15_000, restartMs: 10_000, catchUpMs: 30_000, setupMs: 10_000 } as const;

/**
 * The time model (time-model.ts): setup, then per batch drain + restart +
 * max(bake, re-check, catch-up + the gate's streak), not their sum; then the
 * post-roll watch window. Measured figures (`pace`) where the cluster has
 * them, else ESTIMATE; a batch of several nodes waits for its slowest.
 */
export function estimateRolloutMs(spec: Spec, batches: readonly PlanBatch[], pace?: Pace): number {
  const s = spec.strategy;
  if (batches.length === 0) return 0;
  const catchUpMs = pace ? Math.max(0, pace.gateMs - confirmationMs(s)) : ESTIMATE.catchUpMs;
  const restartOf = (b: PlanBatch): number =>
    pace ? (b.nodes.length > 1 ? pace.slowestRestartMs : pace.restartMs) : ESTIMATE.drainMs + ESTIMATE.restartMs;
  const setupMs = pace ? pace.setupMs : ESTIMATE.setupMs;
  return batches.reduce((sum, b) => sum + restartOf(b) + waitAfterRejoinFloorMs(b.bakeMs, catchUpMs, s), setupMs + s.watchMs);
}
