/**
 * Executes an update: observe -> resume what an interrupted run left ->
 * plan -> pre-flight gate (incl. the release staged and verified on every
 * node) -> hooks -> block finalization (majors) -> per batch: drain, stop,
 * swap, start, await-node, await-cluster, bake -> finalize (if asked).
 *
 * On failure, the nodes this upgrade moved to the target (this run's and an
 * interrupted earlier run's) go back to `<binaryPath>_old` in reverse order
 * through the same drain/stop/swap/start and gates. The result always says
 * what happened; lifecycle.ts turns it into outputs or a partial failure.
 *
 * Core code never logs: everything is an event (see events.ts).
 */
import * as crypto from "crypto";
import type { ClusterReader } from "../cluster/reader";
import { GateFailed, isLeaseLost, messageOf } from "../core/errors";
import type { Emit, NodePosition } from "../core/events";
import { blockFinalization, type FinalizationBlock } from "../cluster/finalization";
import { finishFinalization } from "./finalize-step";
import { awaitClusterGate, awaitNodeReady, bakeWithGate, preflightProblems, watchWindow, type GateContext } from "./gates";
import { blockerContextFor, preflightBlockers } from "../cluster/preflight-blockers";
import { observeCluster, type NodeHandle, type Observation } from "../cluster/observe";
import { oneAtATime, planRollout, renderPlan } from "../plan/plan";
import { proveDown } from "../cluster/placement";
import { RolloutRecorder } from "./record";
import { journalBelongsTo, recoverInterrupted, restartDrained } from "./resume";
import { rollBack } from "./rollback";
import { verifyRollbackMaterial, type RollbackMaterial } from "./rollback-material";
import { captureDebugZipOnFailure, withEvidence } from "./failure-evidence";
import { isDowngrade, stageEverywhere, type StagedByNode } from "./staging";
import { runHooks } from "./hooks";
import { drainWarnings } from "../cluster/lb-drain";
import { deadlineSignal } from "../core/timing";
import { ClusterLease } from "./lease";
import { isSingleNode, verifySingleNodeRoll } from "../spec/single-node";
import { clearToDisrupt } from "./guarded";
import { readClusterNow } from "../cluster/now";
import { ClusterWatch, eitherSignal } from "./watch";
import { brokenOnTarget, drainedOnly, forceCanary, refuseBroken, unhealthyFirst } from "./broken-nodes";
import type { Phase, Plan, PlanBatch, RolloutRecord, Spec } from "../core/types";

export interface UpdateContext {
  readonly spec: Spec;
  readonly handles: readonly NodeHandle[];
  readonly reader: ClusterReader;
  readonly emit: Emit;
  readonly signal?: AbortSignal;
  /** The finalization block a previous run recorded (from stored outputs). */
  readonly priorBlock?: FinalizationBlock;
  /** The previous run's record (stored outputs): a failed run to this target makes the next node a canary again. */
  readonly priorRollout?: RolloutRecord;
  /** Take the cluster's upgrade lease (lease.ts) for this resource; without it, no lease (tools, benches). */
  readonly lease?: { readonly resourceId: string };
}

export interface UpdateResult {
  readonly record: RolloutRecord;
  readonly plan?: Plan;
  /** The finalization block in effect after the run (undefined when none). */
  readonly block?: FinalizationBlock;
  /** Set when the update failed (after any rollback). Its message names node, phase and cause. */
  readonly error?: Error;
}

export async function runUpdate(ctx: UpdateContext): Promise<UpdateResult> {
  const dl = deadlineSignal(ctx.spec.strategy.overallDeadlineMs, ctx.signal);
  try {
    return await new Run({ ...ctx, signal: dl.signal }, ctx.signal).execute();
  } finally {
    dl.dispose();
  }
}

class Run {
  private readonly recorder: RolloutRecorder;
  /** Nodes this run disturbed, in order. */
  private readonly touched: NodeHandle[] = [];
  private block?: FinalizationBlock;
  /** Set once every batch is done: from then on only finalization remains. */
  private rolled = false;
  private plan?: Plan;
  private observation?: Observation;
  private lease?: ClusterLease;
  private readonly runId: string;
  /** The whole-cluster watch, from the first disruption to the end of the run. */
  private watch?: ClusterWatch;
  /**
   * Node operations (drain, stop, swap, start) run under the run's own signal,
   * not the watch's: a start cut off halfway could leave a process coming up
   * behind the rollback's back. The watch's failure stops the run at the next
   * step instead (step(), and every wait: gates, guard).
   */
  private opSignal?: AbortSignal;
  /** The nodes in hand (being rolled now). */
  private inHand: readonly string[] = [];

  /**
   * `ctx.signal` fires at the overall deadline or when the caller aborts;
   * `callerSignal` only on the caller's abort. After a deadline the rollback
   * still runs (under the caller's signal); after an abort nothing more is
   * done: the caller wants us to stop, and the journal lets the next run resume.
   */
  constructor(
    private ctx: UpdateContext,
    private readonly callerSignal?: AbortSignal,
  ) {
    this.block = ctx.priorBlock;
    const id = `${new Date().toISOString().replace(/[:.]/g, "")}-${crypto.randomBytes(3).toString("hex")}`;
    this.runId = id;
    this.recorder = new RolloutRecorder(
      { id, from: "", to: ctx.spec.version, kind: "none" },
      ctx.spec.nodes.map((n) => n.name),
      ctx.emit,
    );
    const hosts = new Map(ctx.spec.nodes.map((n) => [n.name, n.connection.kind === "ssh" ? n.connection.host : n.sqlAddr.host]));
    this.recorder.setHostLookup((node) => hosts.get(node) ?? node);
  }

  async execute(): Promise<UpdateResult> {
    const started = Date.now();
    try {
      const outcome = await this.steps();
      return this.result(outcome, started);
    } catch (e) {
      const failure = await this.fail(e as Error);
      return this.result(failure.outcome, started, failure.error);
    } finally {
      await this.watch?.stop();
      await this.lease?.release();
    }
  }

  private async steps(): Promise<RolloutRecord["outcome"]> {
    const { spec, reader, handles, signal } = this.ctx;
    const look = { previous: { whenBinaryIs: spec.version }, placement: spec.strategy.batch === "locality" } as const;
    let obs = await observeCluster(reader, handles, signal, look);
    const recovering = obs.nodes.some((n) => n.journal && journalBelongsTo(n.journal, spec.version));
    // One rollout at a time, from here on: the next step may touch a node. Unreachable SQL
    // with nothing to recover is left to pre-flight, which refuses it with the cause.
    if (obs.sqlError === undefined || recovering) await this.takeLeaseOnce();
    if (recovering) {
      await recoverInterrupted(obs, { ...this.ctx, recorder: this.recorder });
      obs = await observeCluster(reader, handles, signal, look);
    }
    const drained = obs.nodes.filter((n) => drainedOnly(n, spec.version)).map((n) => n.name);
    if (drained.length > 0) {
      await this.takeLeaseOnce();
      await restartDrained(drained, { ...this.ctx, recorder: this.recorder });
      obs = await observeCluster(reader, handles, signal, look);
    }
    const broken = brokenOnTarget(obs, spec.version);
    let canaryAgain = false;
    if (broken.length > 0) {
      await this.takeLeaseOnce();
      await this.repairBroken(
        obs,
        broken.map((n) => n.name),
      );
      obs = await observeCluster(reader, handles, signal, look);
      canaryAgain = true;
    }
    this.observation = obs;
    const prior = this.ctx.priorRollout;
    const failedBefore =
      prior !== undefined && prior.to === spec.version && (prior.outcome === "failed" || prior.outcome === "rolled-back");
    const planned = unhealthyFirst(planRollout(spec, obs.cluster), obs);
    const plan = canaryAgain || failedBefore ? forceCanary(planned, spec) : planned;
    this.plan = plan;
    this.recorder.setHead({ from: plan.from, kind: plan.kind });
    for (const n of obs.nodes)
      this.recorder.node(n.name, { nodeId: n.nodeId, from: n.build, outcome: plan.skip.includes(n.name) ? "skipped" : "untouched" });
    const rolled = plan.batches.reduce((a, b) => a + b.nodes.length, 0);
    this.ctx.emit({
      type: "start",
      from: plan.from,
      to: plan.to,
      kind: plan.kind,
      nodes: rolled,
      estimatedMs: plan.estimatedMs,
      lines: renderPlan(plan, spec),
    });

    if (plan.batches.length === 0) {
      await this.finalizeIfAsked(plan);
      return "noop";
    }
    if (spec.strategy.paused) {
      this.ctx.emit({ type: "note", message: "strategy.paused is set: no node is touched" });
      return "paused";
    }
    await this.preflight(obs, plan);
    await this.recorder.phase("hooks", undefined, () => runHooks(spec, handles, reader, signal));
    if (plan.blockFinalization) {
      const want = plan.blockFinalization;
      this.block = await this.recorder.phase("block-finalization", undefined, () => blockFinalization(reader, want, this.ctx.priorBlock));
    }
    if (plan.skip.length > 0) await this.settleBeforeResuming();
    else await this.settleBeforeFirst();
    const staged = this.staged as StagedByNode;
    let index = 0;
    for (const batch of plan.batches) {
      if (spec.strategy.paused) return "paused";
      for (const part of await this.provenNow(batch)) {
        await this.rollBatch(part, staged, { first: index + 1, total: rolled });
        index += part.nodes.length;
      }
    }
    if (isSingleNode(spec)) await this.reportDowntime(spec.nodes[0].name);
    await this.watchWindow();
    this.rolled = true;
    // Every node passed its gates and the window. Finalization holds its own gate, which names a node that
    // blocks it; the watch would only replace that message (end-report.ts names nodes down at the end).
    await this.watch?.stop();
    await this.finalizeIfAsked(plan);
    return "succeeded";
  }

  private staged?: StagedByNode;
  private material?: RollbackMaterial;

  /** Read-only checks, then the release staged and verified on every node. Nothing is touched before this passes. */
  private async preflight(obs: Observation, plan: Plan): Promise<void> {
    const { spec, handles, signal } = this.ctx;
    await this.recorder.phase("preflight", undefined, async () => {
      const problems = preflightProblems(obs, {
        target: spec.version,
        resuming: plan.skip.length > 0,
        allowDowntime: spec.strategy.allowDowntime,
      });
      if (problems.length > 0) throw new GateFailed("preflight", `refused, no node was touched: ${problems.join("; ")}`);
      // What would make CockroachDB refuse to finalize (licence, invalid objects, decommissioning nodes, jobs).
      const found = await preflightBlockers(this.ctx.reader, blockerContextFor(spec, plan, obs.cluster.clusterVersion, Date.now()));
      for (const w of found.warnings) this.recorder.note(w);
      if (found.refusals.length > 0) throw new GateFailed("preflight", `refused, no node was touched: ${found.refusals.join("; ")}`);
    });
    for (const w of await drainWarnings(spec.strategy, (name) => this.ctx.reader.showSetting(name))) this.recorder.note(w);
    const refuse = (e: Error): never => {
      throw new GateFailed("preflight", `refused, no node was touched: ${e.message}`);
    };
    const mctx = { spec, handles, signal, note: (m: string) => this.recorder.note(m) };
    await this.recorder.phase("stage-release", undefined, async () => {
      this.staged = await stageEverywhere(spec, handles, signal, spec.version, { fromOld: isDowngrade(plan) }).catch(refuse);
      // The way back, verified as the target is (rollback-material.ts).
      this.material = await verifyRollbackMaterial(mctx, obs, plan).catch(refuse);
    });
  }

  /**
   * A node restarted shortly before this run (by hand, a crash, a host
   * reboot) may still be catching up its Raft log, which the pre-flight
   * snapshot cannot see; restarting the first node now could lose quorum
   * (#101321). The cluster gate, on repeated samples, must hold first.
   */
  private async settleBeforeFirst(): Promise<void> {
    const { spec } = this.ctx;
    await this.recorder.phase("await-cluster", undefined, () =>
      awaitClusterGate(this.gate(), spec.strategy.deadlines.clusterMs).catch((e: Error) => {
        throw new GateFailed("preflight", `refused, no node was touched: ${e.message}`);
      }),
    );
  }

  /**
   * Resuming: the interrupted run may have restarted its last node moments
   * ago, and that node may still be catching up; restarting the next one now
   * could lose quorum (#101321). Hold the gate for one bake first.
   */
  private async settleBeforeResuming(): Promise<void> {
    const { spec } = this.ctx;
    this.ctx.emit({
      type: "note",
      message: `resuming (${this.plan?.skip.join(", ")} already on ${spec.version}): holding the cluster gate for ${Math.round(spec.strategy.waitAfterRejoinMs / 1000)}s before touching the next node`,
    });
    await this.recorder.phase("await-cluster", undefined, () => awaitClusterGate(this.gate(), spec.strategy.deadlines.clusterMs));
    await this.recorder.phase("bake", undefined, () => bakeWithGate(this.gate(undefined, "bake"), spec.strategy.waitAfterRejoinMs));
  }

  /**
   * Several nodes go down together only if replica placement proves it right
   * now: it moves between batches (rebalancing, a node lost), so the plan's
   * proof is re-checked before each batch. Not proven: one node at a time.
   */
  private async provenNow(batch: PlanBatch): Promise<readonly PlanBatch[]> {
    if (batch.nodes.length < 2) return [batch];
    const { spec, reader, emit } = this.ctx;
    const verdict = await proveDown(reader, spec.nodes, batch.nodes);
    const what = `locality ${batch.locality ?? "(none)"} (${batch.nodes.join(", ")})`;
    if (verdict.safe) {
      emit({ type: "note", message: `${what} proven safe to stop together: ${verdict.reason}` });
      return [batch];
    }
    this.recorder.note(`${what} rolls one node at a time: not provably safe to stop together now: ${verdict.reason}`);
    return oneAtATime(batch, spec.strategy.waitAfterRejoinMs);
  }

  private async takeLeaseOnce(): Promise<void> {
    const { spec, emit, lease } = this.ctx;
    if (!lease || this.lease) return;
    this.lease = await ClusterLease.acquire({
      sql: spec.sql,
      nodes: spec.nodes,
      ttlMs: spec.strategy.leaseTtlMs,
      run: this.runId,
      resource: lease.resourceId,
      target: spec.version,
      emit,
    });
  }

  private async rollBatch(batch: PlanBatch, staged: StagedByNode, pos: { first: number; total: number }): Promise<void> {
    const { spec, reader } = this.ctx;
    const d = spec.strategy.deadlines;
    const members = batch.nodes.map((name, i) => ({
      h: this.handle(name),
      at: { node: name, index: pos.first + i, total: pos.total } as NodePosition,
    }));
    // The node boundary: only the lease holder may touch the next node.
    await this.lease?.confirm("drain", members[0].h.spec);
    this.startWatch();
    const started = Date.now();
    this.inHand = batch.nodes;
    // The guarded path: the budget counts every node down now, whoever took it down.
    await this.guard(batch.nodes, "drain", members[0].at);
    const each = (fn: (m: (typeof members)[number]) => Promise<unknown>) => Promise.all(members.map(fn));
    await each(async ({ h }) => {
      this.touched.push(h);
      await h.ops.writeJournal(
        { target: spec.version, from: this.plan?.from, phase: "drain", at: new Date().toISOString(), direction: "upgrade" },
        this.opSignal,
      );
    });
    this.watch?.hold(batch.nodes);
    await reader.avoid(batch.nodes);
    await each(({ h, at }) => this.step("drain", at, () => h.ops.drain(d.drainMs, this.opSignal)));
    // Draining nodes still vote: stopping them is checked again (a peer may have died meanwhile).
    await this.guard(batch.nodes, "stop", members[0].at);
    await each(({ h, at }) =>
      this.step("stop", at, async () => {
        const r = await h.ops.stop(d.stopMs, this.opSignal);
        if (r.escalated)
          this.recorder.annotate(h.spec.name, "stop", `no exit within ${Math.round(d.stopMs / 1000)}s of SIGTERM: sent SIGKILL`);
      }),
    );
    await each(({ h, at }) => {
      const s = staged.get(h.spec.name);
      if (!s) throw new GateFailed("swap-binary", "release not staged", { name: h.spec.name, host: h.spec.sqlAddr.host });
      return this.step("swap-binary", at, () =>
        h.ops.swapBinary({ source: s.binary, keepPrevious: true, libDir: s.libDir }, this.opSignal),
      );
    });
    await each(({ h, at }) => this.step("start", at, () => h.ops.start(d.startMs, this.opSignal)));
    await reader.avoid([]);
    const gate = this.gate();
    await each(({ h, at }) => this.step("await-node", at, () => awaitNodeReady(gate, h.spec, spec.version, d.readyMs)));
    this.watch?.release(batch.nodes);
    await each(({ h }) => h.ops.clearJournal(this.opSignal));
    const lead = members[0];
    this.watch?.doing("await-cluster", lead.at.node);
    await this.recorder.phase(
      "await-cluster",
      lead.at,
      () => awaitClusterGate(this.gate(lead.at), d.clusterMs, lead.h.spec),
      (s) => s,
    );
    this.watch?.doing("bake", lead.at.node);
    await this.recorder.phase(
      "bake",
      lead.at,
      () => bakeWithGate(this.gate(lead.at, "bake"), batch.bakeMs, lead.h.spec),
      (s) => s,
    );
    this.inHand = [];
    for (const { h, at } of members) {
      this.recorder.node(h.spec.name, { outcome: "upgraded" });
      this.ctx.emit({ type: "node-done", at, outcome: "upgraded", durationMs: Date.now() - started });
    }
  }

  /** Single-node: the cluster version check, and the downtime measured from the node's phases (single-node.ts). */
  private async reportDowntime(node: string): Promise<void> {
    const before = this.observation?.cluster.clusterVersion;
    const report = await verifySingleNodeRoll(this.ctx.reader, node, this.recorder.phasesOf(node), before);
    this.recorder.downtimeMs = report.downtimeMs;
    this.recorder.note(report.message);
  }

  /** From the first disruption on, every node is watched; a failure aborts what the run waits on. */
  private startWatch(): void {
    if (this.watch) return;
    const { spec, reader, handles } = this.ctx;
    const hosts = new Map(spec.nodes.map((n) => [n.name, n.sqlAddr.host]));
    this.watch = new ClusterWatch({
      read: (signal) => readClusterNow(reader, handles, signal),
      intervalMs: spec.strategy.gateIntervalMs,
      hostOf: (name) => hosts.get(name) ?? name,
    });
    this.watch.start();
    this.opSignal = this.ctx.signal;
    this.ctx = { ...this.ctx, signal: eitherSignal(this.ctx.signal, this.watch.signal) };
  }

  /** The one guarded path (guarded.ts) before a drain or stop. */
  private async guard(nodes: readonly string[], action: "drain" | "stop", at: NodePosition): Promise<void> {
    this.watch?.doing(action, at.node);
    await clearToDisrupt({ ...this.ctx, heldByRun: (n) => this.watch?.isHeld(n) ?? false }, nodes, action, action);
  }

  /** A phase of the node in hand, told to the watch first (for its failure message). */
  private step<T>(phase: Phase, at: NodePosition, fn: () => Promise<T>): Promise<T> {
    if (this.watch?.failure) return Promise.reject(this.watch.failure);
    this.watch?.doing(phase, at.node);
    return this.recorder.phase(phase, at, fn);
  }

  /**
   * The post-roll watch window (strategy.watch): after the last node, the
   * whole cluster stays watched, with the cluster gate sampled every interval.
   * A crash or a failed sample inside it fails the run, which then rolls back
   * (nothing is finalized yet).
   */
  private async watchWindow(): Promise<void> {
    const ms = this.ctx.spec.strategy.watchMs;
    if (ms <= 0 || this.touched.length === 0) return;
    this.watch?.doing("watch");
    this.ctx.emit({
      type: "note",
      message: `watching the whole cluster for ${Math.round(ms / 1000)}s (strategy.watch) before the upgrade counts as done`,
    });
    await this.recorder.phase(
      "watch",
      undefined,
      () => watchWindow(this.gate(undefined, "watch"), ms),
      (s) => s,
    );
  }

  /** Nodes an earlier run left unhealthy on the target: rolled back to `_old` first, or the run refuses. */
  private async repairBroken(obs: Observation, names: readonly string[]): Promise<void> {
    const { spec } = this.ctx;
    const refusal = refuseBroken(obs, names, spec);
    if (refusal) throw refusal;
    this.ctx.emit({
      type: "note",
      message: `${names.join(", ")} left unhealthy on ${spec.version} by an earlier run: rolling back to the previous build before anything else; the next node then gets the canary bake`,
    });
    const rb = await rollBack({
      ...this.ctx,
      recorder: this.recorder,
      gate: this.gate(undefined, "rollback"),
      touched: names.map((n) => this.handle(n)),
      skippedOnTarget: [],
      cause: `${names.join(", ")} unhealthy on ${spec.version}`,
      block: this.block,
      keepBlock: true,
    });
    if (!rb.ok)
      throw new GateFailed(
        "rollback",
        `${names.join(", ")} left unhealthy on ${spec.version} by an earlier run could not be rolled back: ${rb.error}`,
      );
  }

  private async finalizeIfAsked(plan: Plan): Promise<void> {
    this.block = await finishFinalization({ ...this.ctx, recorder: this.recorder, plan, block: this.block, gate: this.gate() });
  }

  /** Rolls back what this upgrade moved (when allowed), and says what happened. */
  private async fail(thrown: Error): Promise<{ outcome: RolloutRecord["outcome"]; error: Error }> {
    const { spec } = this.ctx;
    const e = await this.blame(thrown);
    // Nothing touched (pre-flight, staging, hooks refused): nothing to undo, not even an earlier run's nodes.
    if (this.touched.length === 0) return { outcome: "failed", error: e };
    // Every node passed its gates: a finalization that cannot start or finish is reported, not undone.
    if (this.rolled) return { outcome: "failed", error: e };
    // Another run holds the cluster now: undoing our nodes would fight it.
    if (isLeaseLost(e)) return { outcome: "failed", error: e };
    // Nodes an earlier, interrupted run of this upgrade moved: on the target, with an older build kept as _old.
    const skippedOnTarget = (this.plan?.skip ?? [])
      .filter((n) => {
        const prev = this.observation?.nodes.find((o) => o.name === n)?.previousBuild;
        return this.material?.has(n) || (prev !== undefined && prev !== spec.version);
      })
      .map((n) => this.handle(n));
    if (this.callerSignal?.aborted) {
      return { outcome: "failed", error: new Error(`${e.message}; interrupted: nodes left as they are (run the update again to resume)`) };
    }
    this.ctx = { ...this.ctx, signal: this.callerSignal };
    // Evidence before any rollback (the procedure's step 3.1); never blocks what follows.
    const zip = await captureDebugZipOnFailure({ ...this.ctx, runId: this.runId, failed: e, note: (m) => this.recorder.note(m) });
    this.recorder.debugZip = zip;
    if (!spec.strategy.rollbackOnFailure) {
      return { outcome: "failed", error: withEvidence(new Error(`${e.message}; rollbackOnFailure is false: nodes left as they are`), zip) };
    }
    const held = await this.lease?.confirm("rollback").then(
      () => undefined,
      (lost: Error) => lost,
    );
    if (held) return { outcome: "failed", error: withEvidence(new Error(`${e.message}; no rollback: ${held.message}`), zip) };
    const rb = await rollBack({
      ...this.ctx,
      recorder: this.recorder,
      gate: this.gate(undefined, "rollback"),
      touched: this.touched,
      skippedOnTarget,
      cause: e.message,
      block: this.block,
      material: this.material,
    });
    this.block = rb.block;
    // The outcome goes before any log tail the cause carries, so the first line says it all.
    const [head, ...tail] = e.message.split("\n");
    const outcome = rb.ok
      ? `rolled back ${rb.nodes.join(", ") || "nothing"} to ${rb.builds.join(", ")}`
      : rb.advice
        ? `ROLLBACK STOPPED (no node taken down beyond the budget; resumable): ${rb.error}`
        : `ROLLBACK FAILED: ${rb.error}`;
    const error = withEvidence(new Error([`${head}; ${outcome}`, ...tail].join("\n")), zip);
    return { outcome: rb.ok ? "rolled-back" : "failed", error };
  }

  /**
   * The real cause: the watch's failure when it aborted the run, or a node
   * other than the one in hand found down now (an upgraded node that crashed,
   * a peer that died) when a gate failed because of it.
   */
  private async blame(e: Error): Promise<Error> {
    const w = this.watch;
    // After the roll, a failure is finalization's own, and its message already names the blocking node.
    if (!w || this.rolled) return e;
    if (w.failure) return w.failure;
    if (this.callerSignal?.aborted) return e;
    const other = await w.blameOther(this.inHand).catch(() => undefined);
    if (!other) return e;
    return Object.assign(new Error(`${other.message}\n(the step that failed: ${e.message.split("\n")[0]})`), { cause: e });
  }

  private gate(at?: NodePosition, phase: Phase = "await-cluster"): GateContext {
    const { reader, spec, signal, emit } = this.ctx;
    return {
      reader,
      nodes: spec.nodes,
      strategy: spec.strategy,
      signal,
      onSample: (sample) => emit({ type: "gate-sample", phase, at, sample }),
      failOnUnavailable: phase !== "rollback",
    };
  }

  private handle(name: string): NodeHandle {
    const h = this.ctx.handles.find((x) => x.spec.name === name);
    if (!h) throw new Error(`plan names unknown node ${name}`);
    return h;
  }

  private result(outcome: RolloutRecord["outcome"], started: number, error?: Error): UpdateResult {
    const record = this.recorder.finish(outcome, error ? messageOf(error) : undefined);
    this.ctx.emit({ type: "done", outcome, durationMs: Date.now() - started, error: error?.message });
    return { record, plan: this.plan, block: this.block, error };
  }
}
