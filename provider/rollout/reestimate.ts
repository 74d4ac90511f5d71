/**
 * The run's estimates in its record, and the re-estimate after the canary.
 *
 * The plan's estimate of a first roll rests on fixed figures for a real
 * cluster (plan/estimate-figures.ts); the drain is the one part the cluster
 * states in advance (its server.shutdown.* settings, read here before the
 * plan). Once the canary (the first batch) has rejoined and passed its gate
 * and bake, this cluster's own drain + restart and catch-up + gate are
 * known: the rest is re-estimated from them (plan/estimate.ts
 * remainingAfterCanaryMs), shown as a progress line with the finish time,
 * used by the progress ETA from then on, and kept in the record
 * (`lastRollout.eta.afterCanary`).
 */
import { readDrainSettings } from "../cluster/lb-drain";
import type { Observation } from "../cluster/observe";
import type { DrainSettingsMs } from "../plan/estimate";
import { remainingAfterCanaryMs } from "../plan/estimate";
import { paceFrom, timesOf, type NodeTimes } from "../plan/pace";
import type { Plan, PlanBatch } from "../core/types";
import type { RunState } from "./run-state";

/** The drain settings for the estimate; undefined (CockroachDB's defaults) when SQL is unreachable or they cannot be read. */
export async function drainSettingsFor(run: RunState, obs: Observation): Promise<DrainSettingsMs | undefined> {
  if (obs.sqlError !== undefined) return undefined;
  const s = await readDrainSettings((name) => run.ctx.reader.showSetting(name)).catch(() => undefined);
  return s && Object.values(s).some((v) => v !== undefined) ? s : undefined;
}

/** The plan's estimate and the watch this run will hold, in the record from the start. */
export function recordPlannedEta(run: RunState, plan: Plan): void {
  run.recorder.eta = { plannedMs: plan.estimatedMs, watchMs: run.ctx.spec.strategy.watchMs };
}

/** After the canary batch: its measured times, the rest re-estimated (an event and the record). */
export function reestimateAfterCanary(run: RunState, canary: PlanBatch, remaining: readonly PlanBatch[]): void {
  if (remaining.length === 0) return; // the canary was the whole roll: nothing left to estimate
  const times = canary.nodes.map((n) => timesOf({ phases: [...run.recorder.phasesOf(n)] })).filter((t): t is NodeTimes => t !== undefined);
  const gates = times.map((t) => t.gateMs).filter((g): g is number => g !== undefined);
  if (times.length === 0 || gates.length === 0) return;
  const measured = { restartMs: Math.max(...times.map((t) => t.restartMs)), gateMs: Math.max(...gates) };
  const remainingMs = remainingAfterCanaryMs(run.ctx.spec, remaining, measured, paceFrom(run.ctx.priorRollout));
  const nodesLeft = remaining.reduce((a, b) => a + b.nodes.length, 0);
  const plannedMs = run.recorder.eta?.plannedMs ?? run.plan?.estimatedMs ?? 0;
  const afterCanary = { at: new Date().toISOString(), nodes: [...canary.nodes], ...measured, nodesLeft, remainingMs };
  run.recorder.eta = { ...(run.recorder.eta ?? { plannedMs }), afterCanary };
  run.ctx.emit({ type: "estimate", nodes: canary.nodes, ...measured, nodesLeft, remainingMs, plannedMs });
}
