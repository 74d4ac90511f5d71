/**
 * Resume after an interrupted run. A node whose in-flight journal survived
 * was disturbed by a run that did not finish (pulumi killed, host rebooted,
 * connection lost). What is found is handled explicitly and logged:
 *
 * | found                                  | done                                  |
 * |----------------------------------------|---------------------------------------|
 * | process stopped (binary old or target) | start it, await ready on that binary  |
 * | process running but draining/unready   | stop, start, await ready              |
 * | process running, live and ready        | nothing (interrupted after the start) |
 *
 * then the journal is removed and, if anything was restarted, the cluster
 * gate must hold before the normal pre-flight runs. A node that is down
 * WITHOUT a journal is not ours to restart: pre-flight refuses it.
 */
import type { ClusterReader } from "../cluster/reader";
import type { Emit } from "../core/events";
import { awaitClusterGate, awaitNodeReady, bakeWithGate } from "./gate-loops";
import { clearToDisrupt } from "./guarded";
import type { NodeHandle, Observation } from "../cluster/observe";
import type { NodeJournal } from "../node/ops";
import type { RolloutRecorder } from "./record";
import type { Spec } from "../core/types";

export interface ResumeContext {
  readonly spec: Spec;
  readonly reader: ClusterReader;
  readonly handles: readonly NodeHandle[];
  readonly recorder: RolloutRecorder;
  readonly emit: Emit;
  readonly signal?: AbortSignal;
}

/**
 * A journal is this update's to act on when it was written by a move to or
 * from this version: resuming it, or reverting it. A journal of some other
 * move makes pre-flight refuse (the user must finish or revert that first).
 */
export function journalBelongsTo(j: NodeJournal, version: string): boolean {
  return j.target === version || j.from === version;
}

/** Handles every journaled node of this move; returns the names of nodes it restarted. */
export async function recoverInterrupted(obs: Observation, ctx: ResumeContext): Promise<string[]> {
  const restarted: string[] = [];
  for (const n of obs.nodes) {
    if (!n.journal || !journalBelongsTo(n.journal, ctx.spec.version)) continue;
    const h = ctx.handles.find((x) => x.spec.name === n.name);
    if (!h) continue;
    const binary = n.binaryBuild ?? "(unknown build)";
    const found = `an interrupted ${n.journal.direction} to ${n.journal.target} (last phase ${n.journal.phase}, ${n.journal.at})`;
    if (await startedOnTargetButUnready(n, h, found, ctx)) {
      // Not restarted on the same build blindly: it had its start. Ready by now, or left to the
      // rollback of broken nodes (broken-nodes.ts), which the journal would hide.
    } else if (n.process === "running" && n.live && n.ready && !n.draining) {
      ctx.emit({ type: "note", node: n.name, message: `found ${found}; the node runs ${n.build ?? binary} and is ready: nothing to redo` });
      ctx.recorder.annotate(n.name, "await-node", `resume: ${found}; node was already running and ready`);
    } else {
      const state = n.process === "running" ? (n.draining ? "running but draining" : "running but not ready") : n.process;
      ctx.emit({
        type: "note",
        node: n.name,
        message: `found ${found}; the node is ${state} with binary ${binary}: restarting it on that binary`,
      });
      ctx.recorder.annotate(n.name, "start", `resume: ${found}; node was ${state} with binary ${binary}`);
      await restartInPlace(h, binary, ctx);
      restarted.push(n.name);
    }
    await h.ops.clearJournal(ctx.signal);
  }
  if (restarted.length > 0) {
    const gate = { reader: ctx.reader, nodes: ctx.spec.nodes, strategy: ctx.spec.strategy, signal: ctx.signal };
    await ctx.recorder.phase("await-cluster", undefined, () => awaitClusterGate(gate, ctx.spec.strategy.deadlines.clusterMs));
    await ctx.recorder.phase("bake", undefined, () => bakeWithGate(gate, ctx.spec.strategy.waitAfterRejoinMs));
  }
  return restarted;
}

/**
 * A node an interrupted upgrade already started on the target, running but
 * not ready: it may still be coming up, or the release may never get ready
 * there. Restarting it on the same build would repeat a failure blindly, so
 * it gets the ready wait it would have had; if it does not make it, it is
 * reported and left (journal cleared) for the rollback of broken nodes.
 * Returns whether the node was handled here.
 */
async function startedOnTargetButUnready(
  n: Observation["nodes"][number],
  h: NodeHandle,
  found: string,
  ctx: ResumeContext,
): Promise<boolean> {
  const target = ctx.spec.version;
  if (n.journal?.direction !== "upgrade" || n.binaryBuild !== target || n.process !== "running" || n.draining || n.ready) return false;
  const gate = { reader: ctx.reader, nodes: ctx.spec.nodes, strategy: ctx.spec.strategy, signal: ctx.signal };
  const at = { node: n.name, index: 0, total: 0 };
  const why = await ctx.recorder
    .phase("await-node", at, () => awaitNodeReady(gate, h.spec, target, ctx.spec.strategy.deadlines.readyMs))
    .then(
      () => undefined,
      (e: Error) => e.message,
    );
  ctx.emit({
    type: "note",
    node: n.name,
    message:
      why === undefined
        ? `found ${found}; the node runs ${target} and became ready: nothing to redo`
        : `found ${found}; the node runs ${target} but did not become ready (${why}): not restarted on the same build; it is rolled back before anything else`,
  });
  return true;
}

/**
 * A node left draining on the build it should run, with no journal (a drain
 * that a stopped rollback could not follow up, an operator's drain): drained
 * nodes stay unready until restarted, so it is restarted in place, through
 * the guard, and the cluster gate must hold before anything else.
 */
export async function restartDrained(names: readonly string[], ctx: ResumeContext): Promise<void> {
  for (const name of names) {
    const h = ctx.handles.find((x) => x.spec.name === name);
    if (!h) continue;
    ctx.emit({ type: "note", node: name, message: `found draining on ${ctx.spec.version} with no journal: restarting it on that build` });
    await restartInPlace(h, ctx.spec.version, ctx);
  }
  const gate = { reader: ctx.reader, nodes: ctx.spec.nodes, strategy: ctx.spec.strategy, signal: ctx.signal };
  await ctx.recorder.phase("await-cluster", undefined, () => awaitClusterGate(gate, ctx.spec.strategy.deadlines.clusterMs));
}

async function restartInPlace(h: NodeHandle, build: string, ctx: ResumeContext): Promise<void> {
  const d = ctx.spec.strategy.deadlines;
  const at = { node: h.spec.name, index: 0, total: 0 };
  // Stopping a running (draining, unready) node goes through the guarded path; a stopped one only starts.
  if ((await h.ops.processState(ctx.signal)) !== "stopped") await clearToDisrupt(ctx, [h.spec.name], "stop", "restart");
  await ctx.reader.avoid([h.spec.name]);
  await ctx.recorder.phase("stop", at, () => h.ops.stop(d.stopMs, ctx.signal));
  await ctx.recorder.phase("start", at, () => h.ops.start(d.startMs, ctx.signal));
  await ctx.reader.avoid([]);
  const gate = { reader: ctx.reader, nodes: ctx.spec.nodes, strategy: ctx.spec.strategy, signal: ctx.signal };
  await ctx.recorder.phase("await-node", at, () => awaitNodeReady(gate, h.spec, build, d.readyMs));
}
