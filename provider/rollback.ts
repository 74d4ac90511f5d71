/**
 * Rollback: every node this upgrade moved goes back to the build it ran
 * before (`<binaryPath>_old`), most recent first, through the same
 * drain/stop/swap/start and the same gates as the upgrade. It stops at the
 * first node that will not come back: pushing on could cost quorum.
 *
 * Per node, what is done depends on what is found (the failure may have hit
 * any phase):
 * - binary is the target: stop (drain first if the node is ready), swap
 *   `_old` back in (or, when `_old` is gone or wrong, the previous release
 *   re-staged from the release source first: rollback-material.ts), start.
 * - binary is still the old one and the node is healthy: nothing (it failed
 *   before the swap and was never stopped, e.g. a drain that timed out — but
 *   a draining node is restarted, since drain leaves it refusing clients).
 * - binary is still old but the process is down or draining: stop, start.
 */
import type { ClusterReader } from "./cluster";
import type { Emit, NodePosition } from "./events";
import { type FinalizationBlock, unblockFinalization } from "./finalization";
import { awaitClusterGate, awaitNodeReady, bakeWithGate, type GateContext } from "./gates";
import type { NodeHandle } from "./observe";
import type { RolloutRecorder } from "./record";
import { prepareWayBack, type RollbackMaterial } from "./rollback-material";
import type { Spec } from "./types";

export interface RollbackContext {
  readonly spec: Spec;
  readonly reader: ClusterReader;
  readonly emit: Emit;
  readonly signal?: AbortSignal;
  readonly recorder: RolloutRecorder;
  readonly gate: GateContext;
  /** Disturbed by this run, in order. */
  readonly touched: readonly NodeHandle[];
  /** Found already on the target (an earlier, interrupted run of this upgrade), in roll order. */
  readonly skippedOnTarget: readonly NodeHandle[];
  readonly cause: string;
  readonly block?: FinalizationBlock;
  /** Verified at pre-flight (rollback-material.ts): the build each node goes back to. */
  readonly material?: RollbackMaterial;
}

export interface RollbackResult {
  readonly ok: boolean;
  readonly nodes: readonly string[];
  /** The builds the nodes went back to. */
  readonly builds: readonly string[];
  readonly error?: string;
  readonly block?: FinalizationBlock;
}

export async function rollBack(ctx: RollbackContext): Promise<RollbackResult> {
  const order = [...[...ctx.touched].reverse(), ...[...ctx.skippedOnTarget].reverse().filter((h) => !ctx.touched.includes(h))];
  ctx.emit({ type: "rollback-start", nodes: order.map((h) => h.spec.name), cause: ctx.cause });
  const done: string[] = [];
  const builds = new Set<string>();
  try {
    for (const [i, h] of order.entries()) {
      const at = { node: h.spec.name, index: i + 1, total: order.length };
      const build = await ctx.recorder.phase("rollback", at, () => rollBackNode(h, at, ctx));
      if (build !== undefined) builds.add(build);
      ctx.recorder.node(h.spec.name, { outcome: "rolled-back", to: build });
      done.push(h.spec.name);
    }
    const block = await restoreBlock(ctx);
    ctx.emit({ type: "rollback-end", ok: true, detail: `rolled back ${done.join(", ")}` });
    return { ok: true, nodes: done, builds: [...builds], block };
  } catch (e) {
    const error = (e as Error).message;
    ctx.emit({ type: "rollback-end", ok: false, detail: error });
    return { ok: false, nodes: done, builds: [...builds], error, block: ctx.block };
  }
}

/** Returns the build the node runs afterwards (undefined when it was left untouched). */
async function rollBackNode(h: NodeHandle, at: NodePosition, ctx: RollbackContext): Promise<string | undefined> {
  const { spec, reader, signal, recorder } = ctx;
  const d = spec.strategy.deadlines;
  // The way back, found (and re-staged from the release source if `_old` is gone) before the node is touched.
  const way = await prepareWayBack(h, { spec, expected: ctx.material?.get(h.spec.name)?.build, signal, note: (m) => ctx.recorder.note(m) });
  const { binary, build: oldBuild } = way;
  const onTarget = way.swap !== undefined;
  const state = await h.ops.processState(signal);
  const health = await reader.health(h.spec, true, signal);
  if (!onTarget && state === "running" && health.status === 200) {
    await h.ops.clearJournal(signal);
    return oldBuild;
  }
  await h.ops.writeJournal(
    { target: oldBuild, from: binary, phase: "rollback", at: new Date().toISOString(), direction: "rollback" },
    signal,
  );
  await reader.avoid([h.spec.name]);
  if (state === "running" && health.status === 200) {
    // A failing drain must not stop the rollback: SIGTERM drains gracefully too.
    await recorder.phase("drain", at, () => h.ops.drain(d.drainMs, signal)).catch(() => undefined);
  }
  if (state !== "stopped") await recorder.phase("stop", at, () => h.ops.stop(d.stopMs, signal));
  if (way.swap) {
    const { source, libDir } = way.swap;
    await recorder.phase("swap-binary", at, () => h.ops.swapBinary({ source, keepPrevious: false, libDir }, signal));
  }
  await recorder.phase("start", at, () => h.ops.start(d.startMs, signal));
  await reader.avoid([]);
  await recorder.phase("await-node", at, () => awaitNodeReady(ctx.gate, h.spec, oldBuild, d.readyMs));
  await h.ops.clearJournal(signal);
  await recorder.phase(
    "await-cluster",
    at,
    () => awaitClusterGate(ctx.gate, d.clusterMs, h.spec),
    (s) => s,
  );
  await recorder.phase(
    "bake",
    at,
    () => bakeWithGate(ctx.gate, spec.strategy.waitAfterRejoinMs, h.spec),
    (s) => s,
  );
  return oldBuild;
}

/** After a rollback the old series runs again: the finalization block goes back to what it was. */
async function restoreBlock(ctx: RollbackContext): Promise<FinalizationBlock | undefined> {
  if (!ctx.block) return undefined;
  const block = ctx.block;
  await ctx.recorder.phase("unblock-finalization", undefined, () => unblockFinalization(ctx.reader, block));
  return undefined;
}
