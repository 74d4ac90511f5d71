/**
 * Pure: the plan's estimate of a roll's wall time, by the time model
 * (time-model.ts), from the cluster's measured pace (pace.ts) where there is
 * one, else from the first-roll figures (estimate-figures.ts) with the drain
 * taken from the cluster's drain settings; and, after the canary, the
 * re-estimate of the rest from what the canary measured.
 */
import { formatDuration } from "../core/duration";
import type { PlanBatch, Spec } from "../core/types";
import { drainEstimateMs, FIRST_ROLL, type DrainSettingsMs } from "./estimate-figures";
import type { Pace } from "./pace";
import { confirmationMs, waitAfterRejoinFloorMs } from "./time-model";

export { COCKROACH_DRAIN_DEFAULTS, drainEstimateMs, FIRST_ROLL, type DrainSettingsMs } from "./estimate-figures";

/** What one batch costs: its drain + restart (to the rejoin), and the catch-up before the gate's streak. */
interface BatchCosts {
  readonly restartOf: (b: PlanBatch) => number;
  readonly catchUpMs: number;
  /** A batch's release to the next one's drain. */
  readonly betweenMs: number;
  /** The last release to the run's end, besides the watch window. */
  readonly tailMs: number;
}

/** The time model over `batches`: per batch restart + max(bake, re-check, catch-up + streak), the gaps, the tail, the watch. */
function rollMs(spec: Spec, batches: readonly PlanBatch[], c: BatchCosts): number {
  const s = spec.strategy;
  if (batches.length === 0) return 0;
  const perBatch = batches.reduce((sum, b) => sum + c.restartOf(b) + waitAfterRejoinFloorMs(b.bakeMs, c.catchUpMs, s), 0);
  return perBatch + (batches.length - 1) * c.betweenMs + c.tailMs + s.watchMs;
}

/**
 * The whole run: setup, then the batches (rollMs), not their sums of waits.
 * Measured figures (`pace`) where the cluster has them; else FIRST_ROLL,
 * the drain by the cluster's `drain` settings (CockroachDB's defaults when
 * they could not be read). A batch of several nodes waits for its slowest.
 */
export function estimateRolloutMs(spec: Spec, batches: readonly PlanBatch[], pace?: Pace, drain?: DrainSettingsMs): number {
  const s = spec.strategy;
  if (batches.length === 0) return 0;
  if (pace) {
    const costs: BatchCosts = {
      restartOf: (b) => (b.nodes.length > 1 ? pace.slowestRestartMs : pace.restartMs),
      catchUpMs: Math.max(0, pace.gateMs - confirmationMs(s)),
      betweenMs: pace.betweenMs,
      tailMs: pace.tailMs,
    };
    return pace.setupMs + rollMs(spec, batches, costs);
  }
  const restartMs = drainEstimateMs(drain) + FIRST_ROLL.restartMs;
  const costs: BatchCosts = { restartOf: () => restartMs, catchUpMs: FIRST_ROLL.catchUpMs, betweenMs: FIRST_ROLL.betweenMs, tailMs: 0 };
  // The gate before the first node needs its streak too (rollout/preflight-step.ts settleBeforeFirst).
  return FIRST_ROLL.stagingMs + confirmationMs(s) + rollMs(spec, batches, costs);
}

const secs = (ms: number): string => formatDuration(Math.round(ms / 1000) * 1000);

/** The plan line's reason for its estimate: which figures it rests on, per node. */
export function estimateBasis(pace?: Pace, drain?: DrainSettingsMs): string {
  if (pace) return `by this cluster's last roll: drain + restart ${secs(pace.restartMs)}, catch-up + gate ${secs(pace.gateMs)} per node`;
  const settings = drain ? "by the cluster's server.shutdown settings" : "by default server.shutdown settings";
  return (
    `first roll, per node: drain ${secs(drainEstimateMs(drain))} ${settings}, restart ${secs(FIRST_ROLL.restartMs)}, ` +
    `catch-up ${secs(FIRST_ROLL.catchUpMs)}; refined after the canary`
  );
}

/** What the canary (the first batch) measured: its slowest node's drain + restart, and its gate. */
export interface CanaryMeasure {
  /** First drain to the rejoin, slowest node of the batch. */
  readonly restartMs: number;
  /** The rejoin to the end of the gate's first streak (catch-up + confirmation). */
  readonly gateMs: number;
}

/**
 * After the canary: the rest of the run (`remaining` batches, then the
 * watch) by this cluster's own drain, restart and catch-up as the canary
 * measured them. Gaps and tail from the last roll's pace where there is one.
 */
export function remainingAfterCanaryMs(spec: Spec, remaining: readonly PlanBatch[], canary: CanaryMeasure, pace?: Pace): number {
  const s = spec.strategy;
  const costs: BatchCosts = {
    restartOf: () => canary.restartMs,
    catchUpMs: Math.max(0, canary.gateMs - confirmationMs(s)),
    betweenMs: pace?.betweenMs ?? FIRST_ROLL.betweenMs,
    tailMs: pace?.tailMs ?? 0,
  };
  if (remaining.length === 0) return costs.tailMs + s.watchMs;
  // The gap from the canary's release to the next batch's drain is still ahead too.
  return costs.betweenMs + rollMs(spec, remaining, costs);
}
