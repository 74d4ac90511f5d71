/**
 * What one update run knows while it runs: the context, the record, the
 * nodes it disturbed, the watch, the lease. The flow (run.ts) and its steps
 * (preflight-step.ts, roll-batch.ts, run-failure.ts) share it; the helpers
 * here are the ones every step needs: the gate context, a phase told to the
 * watch, the guarded path, the node handle by name.
 */
import * as crypto from "crypto";
import type { ClusterReader } from "../cluster/reader";
import { GateFailed, subjectOf } from "../core/errors";
import type { Emit, NodePosition } from "../core/events";
import type { FinalizationBlock } from "../cluster/finalization";
import type { GateContext } from "./gates";
import type { Observation } from "../cluster/observe";
import type { NodeHandle } from "../node/handle";
import { RolloutRecorder } from "./record";
import type { RollbackMaterial } from "./rollback-material";
import type { StagedByNode } from "./staging";
import type { ClusterLease } from "./lease";
import { clearToDisrupt } from "./guarded";
import { readClusterNow } from "../cluster/now";
import { ClusterWatch, eitherSignal } from "./watch";
import type { DrainSettingsMs } from "../plan/estimate-figures";
import type { Phase, Plan, RolloutRecord, Spec } from "../core/types";

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

export class RunState {
  readonly recorder: RolloutRecorder;
  readonly runId: string;
  /** Nodes this run disturbed, in order. */
  readonly touched: NodeHandle[] = [];
  block?: FinalizationBlock;
  /** Set once every batch is done: from then on only finalization remains. */
  rolled = false;
  plan?: Plan;
  observation?: Observation;
  /** The cluster's server.shutdown.* settings, read once: the plan's drain estimate and the pre-flight's warnings. */
  drainSettings?: DrainSettingsMs;
  lease?: ClusterLease;
  staged?: StagedByNode;
  material?: RollbackMaterial;
  /** The whole-cluster watch, from the first disruption to the end of the run. */
  watch?: ClusterWatch;
  /**
   * Node operations (drain, stop, swap, start) run under the run's own signal,
   * not the watch's: a start cut off halfway could leave a process coming up
   * behind the rollback's back. The watch's failure stops the run at the next
   * step instead (step(), and every wait: gates, guard).
   */
  opSignal?: AbortSignal;
  /** The nodes in hand (being rolled now). */
  inHand: readonly string[] = [];
  /** A node an earlier run left broken was repaired: the next node gets the canary bake again. */
  canaryAgain = false;

  /**
   * `ctx.signal` fires at the overall deadline or when the caller aborts;
   * `callerSignal` only on the caller's abort. After a deadline the rollback
   * still runs (under the caller's signal); after an abort nothing more is
   * done: the caller wants us to stop, and the journal lets the next run resume.
   */
  constructor(
    public ctx: UpdateContext,
    readonly callerSignal?: AbortSignal,
  ) {
    this.block = ctx.priorBlock;
    this.runId = `${new Date().toISOString().replace(/[:.]/g, "")}-${crypto.randomBytes(3).toString("hex")}`;
    this.recorder = new RolloutRecorder(
      { id: this.runId, from: "", to: ctx.spec.version, kind: "none" },
      ctx.spec.nodes.map((n) => n.name),
      ctx.emit,
    );
    // "(host)" in every message is the node's SQL host (core/errors.ts, subjectOf).
    const hosts = new Map(ctx.spec.nodes.map((n) => [n.name, subjectOf(n).host]));
    this.recorder.setHostLookup((node) => hosts.get(node) ?? node);
  }

  /** From the first disruption on, every node is watched; a failure aborts what the run waits on. */
  startWatch(): void {
    if (this.watch) return;
    const { spec, reader, handles } = this.ctx;
    const hosts = new Map(spec.nodes.map((n) => [n.name, n.sqlAddr.host]));
    this.watch = new ClusterWatch({
      read: (signal, held) => readClusterNow(reader, handles, signal, { light: true, held }),
      intervalMs: spec.strategy.gateIntervalMs,
      hostOf: (name) => hosts.get(name) ?? name,
    });
    this.watch.start();
    this.opSignal = this.ctx.signal;
    this.ctx = { ...this.ctx, signal: eitherSignal(this.ctx.signal, this.watch.signal) };
  }

  /**
   * The one guarded path (guarded.ts) before a drain or stop. `ahead`: the
   * look taken beside the previous batch's last bake sample (clearance-ahead.ts),
   * not yet told to the watch (the previous batch is still in hand), and
   * stopped by `signal` when not used.
   */
  async guard(
    nodes: readonly string[],
    action: "drain" | "stop",
    at: NodePosition,
    opts: { readonly signal?: AbortSignal; readonly ahead?: boolean } = {},
  ): Promise<void> {
    if (!opts.ahead) this.watch?.doing(action, at.node);
    // Before the drain the nodes are as the plan saw them (up); before the stop they are ours (draining).
    const targetsWereUp = action === "drain";
    const signal = opts.signal ? eitherSignal(this.ctx.signal, opts.signal) : this.ctx.signal;
    const heldByRun = (n: string): boolean => this.watch?.isHeld(n) ?? false;
    await clearToDisrupt({ ...this.ctx, signal, heldByRun, targetsWereUp }, nodes, action, action);
  }

  /** A phase of the node in hand, told to the watch first (for its failure message). */
  step<T>(phase: Phase, at: NodePosition, fn: () => Promise<T>): Promise<T> {
    if (this.watch?.failure) return Promise.reject(this.watch.failure);
    this.watch?.doing(phase, at.node);
    return this.recorder.phase(phase, at, fn);
  }

  gate(at?: NodePosition, phase: Phase = "await-cluster"): GateContext {
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

  handle(name: string): NodeHandle {
    const h = this.ctx.handles.find((x) => x.spec.name === name);
    if (!h) throw new GateFailed("preflight", `the plan names node ${name}, which is not among nodes[]`);
    return h;
  }
}
