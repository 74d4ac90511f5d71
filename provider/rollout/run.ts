/**
 * Executes an update: observe -> resume what an interrupted run left ->
 * plan -> pre-flight gate (incl. the release staged and verified on every
 * node) -> hooks -> block finalization (majors) -> per batch: drain, stop,
 * swap, start, await-node, await-cluster, bake -> watch window -> finalize
 * (if asked).
 *
 * On failure (run-failure.ts), the nodes this upgrade moved to the target
 * (this run's and an interrupted earlier run's) go back to
 * `<binaryPath>_old` newest first through the same guarded path and gates.
 * The result always says what happened; lifecycle.ts turns it into outputs
 * or a partial failure. Core code never logs: everything is an event.
 */
import { GateFailed, messageOf } from "../core/errors";
import { blockFinalization } from "../cluster/finalization";
import { finishFinalization } from "./finalize-step";
import { watchWindow } from "./gate-loops";
import { observeCluster, type Observation } from "../cluster/observe";
import { planRollout, renderPlan } from "../plan/plan";
import { paceFrom } from "../plan/pace";
import { journalBelongsTo, recoverInterrupted, restartDrained } from "./resume";
import { rollBack } from "./rollback";
import type { StagedByNode } from "./staging";
import { runHooks } from "./hooks";
import { deadlineSignal } from "../core/timing";
import { ClusterLease } from "./lease";
import { isSingleNode } from "../spec/single-node";
import { verifySingleNodeRoll } from "./single-node-roll";
import { drainedOnly, forceCanary, refuseBroken, unhealthyFirst, type BrokenNode } from "./broken-nodes";
import { judgeUnhealthy } from "./judge-unhealthy";
import { RunState, type UpdateContext, type UpdateResult } from "./run-state";
import { preflight, settleBeforeFirst, settleBeforeResuming } from "./preflight-step";
import { provenNow, rollBatch } from "./roll-batch";
import { ClearanceAhead, nextKnown } from "./clearance-ahead";
import { failRun } from "./run-failure";
import { drainSettingsFor, recordPlannedEta, reestimateAfterCanary } from "./reestimate";
import type { DrainSettingsMs } from "../plan/estimate";
import type { Plan, RolloutRecord } from "../core/types";

export type { UpdateContext, UpdateResult } from "./run-state";

export async function runUpdate(ctx: UpdateContext): Promise<UpdateResult> {
  const dl = deadlineSignal(ctx.spec.strategy.overallDeadlineMs, ctx.signal);
  const run = new RunState({ ...ctx, signal: dl.signal }, ctx.signal);
  const started = Date.now();
  try {
    return result(run, await steps(run), started);
  } catch (e) {
    const failure = await failRun(run, e as Error);
    return result(run, failure.outcome, started, failure.error);
  } finally {
    await run.watch?.stop();
    await run.lease?.release();
    dl.dispose();
  }
}

async function steps(run: RunState): Promise<RolloutRecord["outcome"]> {
  const obs = await settleWhatEarlierRunsLeft(run);
  run.observation = obs;
  const { spec, handles, reader, signal } = run.ctx;
  run.drainSettings = await drainSettingsFor(run, obs);
  const plan = planFor(run, obs, run.drainSettings);
  run.plan = plan;
  recordPlannedEta(run, plan);
  run.recorder.setHead({ from: plan.from, kind: plan.kind });
  for (const n of obs.nodes)
    run.recorder.node(n.name, { nodeId: n.nodeId, from: n.build, outcome: plan.skip.includes(n.name) ? "skipped" : "untouched" });
  const rolled = plan.batches.reduce((a, b) => a + b.nodes.length, 0);
  run.ctx.emit({
    type: "start",
    from: plan.from,
    to: plan.to,
    kind: plan.kind,
    nodes: rolled,
    estimatedMs: plan.estimatedMs,
    lines: renderPlan(plan, spec),
  });

  if (plan.batches.length === 0) {
    await finalizeIfAsked(run, plan);
    return "noop";
  }
  if (spec.strategy.paused) {
    run.ctx.emit({ type: "note", message: "strategy.paused is set: no node is touched" });
    return "paused";
  }
  const preRoll = async (): Promise<void> => {
    await preflight(run, obs, plan);
    await run.recorder.phase("hooks", undefined, () => runHooks(spec, handles, reader, signal));
    if (plan.blockFinalization) {
      const want = plan.blockFinalization;
      run.block = await run.recorder.phase("block-finalization", undefined, () => blockFinalization(reader, want, run.ctx.priorBlock));
    }
  };
  if (plan.skip.length > 0) {
    await preRoll();
    await settleBeforeResuming(run);
  } else await settleBeforeFirst(run, preRoll());
  const staged = run.staged as StagedByNode;
  let index = 0;
  let ahead: ClearanceAhead | undefined;
  for (const [b, batch] of plan.batches.entries()) {
    if (spec.strategy.paused) {
      ahead?.abandon();
      return "paused";
    }
    const parts = await provenNow(run, batch);
    for (const [p, part] of parts.entries()) {
      const cleared = ahead?.clearanceFor(part);
      // The next batch's guard look begins beside this batch's last bake sample (clearance-ahead.ts).
      const next = nextKnown(parts, p, plan.batches[b + 1]);
      const look = next && new ClearanceAhead(run, next, { node: next.nodes[0], index: index + part.nodes.length + 1, total: rolled });
      ahead = look;
      try {
        await rollBatch(run, part, staged, { first: index + 1, total: rolled }, { cleared, atRelease: look && (() => look.begin()) });
        if (index === 0) reestimateAfterCanary(run, part, [...parts.slice(p + 1), ...plan.batches.slice(b + 1)]);
      } catch (e) {
        look?.abandon();
        throw e;
      }
      index += part.nodes.length;
    }
  }
  ahead?.abandon();
  if (isSingleNode(spec)) await reportDowntime(run, spec.nodes[0].name);
  await holdWatchWindow(run);
  run.rolled = true;
  // Every node passed its gates and the window. Finalization holds its own gate, which names a node that
  // blocks it; the watch would only replace that message (end-report.ts names nodes down at the end).
  await run.watch?.stop();
  await finalizeIfAsked(run, plan);
  return "succeeded";
}

/**
 * An interrupted run's nodes (journal), nodes left drained, nodes left
 * unhealthy on the target: each is settled first, under the lease, and the
 * cluster observed again. Returns the observation the plan is made from.
 */
async function settleWhatEarlierRunsLeft(run: RunState): Promise<Observation> {
  const { spec, reader, handles, signal } = run.ctx;
  const look = { previous: { whenBinaryIs: spec.version }, placement: spec.strategy.batch === "locality" } as const;
  let obs = await observeCluster(reader, handles, signal, look);
  const recovering = obs.nodes.some((n) => n.journal && journalBelongsTo(n.journal, spec.version));
  // One rollout at a time, from here on: the next step may touch a node. Unreachable SQL
  // with nothing to recover is left to pre-flight, which refuses it with the cause.
  if (obs.sqlError === undefined || recovering) await takeLeaseOnce(run);
  // Their journals are cleared once settled: the names stay evidence that a run touched them (earlier-run.ts).
  const journaled = obs.nodes.filter((n) => n.journal && journalBelongsTo(n.journal, spec.version)).map((n) => n.name);
  if (recovering) {
    await recoverInterrupted(obs, { ...run.ctx, recorder: run.recorder });
    obs = await observeCluster(reader, handles, signal, look);
  }
  const drained = obs.nodes.filter((n) => drainedOnly(n, spec.version)).map((n) => n.name);
  if (drained.length > 0) {
    await takeLeaseOnce(run);
    await restartDrained(drained, { ...run.ctx, recorder: run.recorder });
    obs = await observeCluster(reader, handles, signal, look);
  }
  const reobserve = () => observeCluster(reader, handles, signal, look);
  const note = (m: string) => run.recorder.note(m);
  const { broken, obs: judged } = await judgeUnhealthy({ ...run.ctx, obs, journaled, note, reobserve });
  obs = judged;
  run.canaryAgain = broken.length > 0;
  if (broken.length === 0) return obs;
  await takeLeaseOnce(run);
  await repairBroken(run, obs, broken);
  return observeCluster(reader, handles, signal, look);
}

/** The plan, with the canary bake again after a failed run to this target or a repaired node. */
function planFor(run: RunState, obs: Observation, drain?: DrainSettingsMs): Plan {
  const { spec, priorRollout: prior } = run.ctx;
  const failedBefore = prior !== undefined && prior.to === spec.version && (prior.outcome === "failed" || prior.outcome === "rolled-back");
  const planned = unhealthyFirst(planRollout(spec, obs.cluster, paceFrom(prior), drain), obs);
  return run.canaryAgain || failedBefore ? forceCanary(planned, spec) : planned;
}

async function takeLeaseOnce(run: RunState): Promise<void> {
  const { spec, emit, lease } = run.ctx;
  if (!lease || run.lease) return;
  run.lease = await ClusterLease.acquire({
    sql: spec.sql,
    nodes: spec.nodes,
    ttlMs: spec.strategy.leaseTtlMs,
    run: run.runId,
    resource: lease.resourceId,
    target: spec.version,
    emit,
  });
}

/** Nodes an earlier run left unhealthy on the target: rolled back to `_old` first, or the run refuses. */
async function repairBroken(run: RunState, obs: Observation, broken: readonly BrokenNode[]): Promise<void> {
  const { spec } = run.ctx;
  const names = broken.map((b) => b.name);
  const refusal = refuseBroken(obs, broken, spec);
  if (refusal) throw refusal;
  run.ctx.emit({
    type: "note",
    message: `${names.join(", ")} left unhealthy on ${spec.version} by an earlier run: rolling back to the previous build before anything else; the next node then gets the canary bake`,
  });
  const rb = await rollBack({
    ...run.ctx,
    recorder: run.recorder,
    gate: run.gate(undefined, "rollback"),
    touched: names.map((n) => run.handle(n)),
    skippedOnTarget: [],
    cause: `${names.join(", ")} unhealthy on ${spec.version}`,
    block: run.block,
    keepBlock: true,
  });
  if (!rb.ok)
    throw new GateFailed(
      "rollback",
      `${names.join(", ")} left unhealthy on ${spec.version} by an earlier run could not be rolled back: ${rb.error}`,
    );
}

/** Single-node: the cluster version check, and the downtime measured from the node's phases (single-node.ts). */
async function reportDowntime(run: RunState, node: string): Promise<void> {
  const before = run.observation?.cluster.clusterVersion;
  const report = await verifySingleNodeRoll(run.ctx.reader, node, run.recorder.phasesOf(node), before);
  run.recorder.downtimeMs = report.downtimeMs;
  run.recorder.note(report.message);
}

/**
 * The post-roll watch window (strategy.watch): after the last node, the
 * whole cluster stays watched, with the cluster gate sampled every interval.
 * A crash or a failed sample inside it fails the run, which then rolls back
 * (nothing is finalized yet).
 */
async function holdWatchWindow(run: RunState): Promise<void> {
  const ms = run.ctx.spec.strategy.watchMs;
  if (ms <= 0 || run.touched.length === 0) return;
  run.watch?.doing("watch");
  run.ctx.emit({
    type: "note",
    message: `watching the whole cluster for ${Math.round(ms / 1000)}s (strategy.watch) before the upgrade counts as done`,
  });
  await run.recorder.phase(
    "watch",
    undefined,
    () => watchWindow(run.gate(undefined, "watch"), ms),
    (s) => s,
  );
}

async function finalizeIfAsked(run: RunState, plan: Plan): Promise<void> {
  run.block = await finishFinalization({ ...run.ctx, recorder: run.recorder, plan, block: run.block, gate: run.gate() });
}

function result(run: RunState, outcome: RolloutRecord["outcome"], started: number, error?: Error): UpdateResult {
  const record = run.recorder.finish(outcome, error ? messageOf(error) : undefined);
  run.ctx.emit({ type: "done", outcome, durationMs: Date.now() - started, error: error?.message });
  return { record, plan: run.plan, block: run.block, error };
}
