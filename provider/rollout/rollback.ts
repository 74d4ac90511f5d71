/**
 * Rollback: every node this upgrade moved goes back to the build it ran
 * before (`<binaryPath>_old`), through the same drain/stop/swap/start and the
 * same gates as the upgrade, and every drain or stop through the guarded
 * path (guarded.ts).
 *
 * Order: nodes that are already down go first — restarting them on the
 * previous build costs no availability, and while they are down no other
 * node may go down — then the others, most recent first. It stops at the
 * first node that will not come back: pushing on could cost quorum. When a
 * node the run did not touch is down, the guard refuses to take another
 * node down: the rollback stops there and says what the operator should
 * do; the cluster is left as it is, resumable (what runs is what `read`
 * reports).
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
import type { ClusterReader } from "../cluster/reader";
import { conditionOf, describeCluster, readClusterNow } from "../cluster/now";
import type { Emit, NodePosition } from "../core/events";
import { type FinalizationBlock, unblockFinalization } from "../cluster/finalization";
import type { GateContext } from "./gates";
import { awaitClusterGate, awaitNodeReady, bakeWithGate } from "./gate-loops";
import { clearToDisrupt } from "./guarded";
import type { NodeHandle } from "../cluster/observe";
import type { RolloutRecorder } from "./record";
import { prepareWayBack, type RollbackMaterial } from "./rollback-material";
import type { Spec } from "../core/types";

export interface RollbackContext {
  readonly spec: Spec;
  readonly reader: ClusterReader;
  /** Every listed node (the guard reads them all). */
  readonly handles: readonly NodeHandle[];
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
  /** Leave the finalization block as it is (a repair before a roll, not the end of one). */
  readonly keepBlock?: boolean;
}

export interface RollbackResult {
  readonly ok: boolean;
  readonly nodes: readonly string[];
  /** The builds the nodes went back to. */
  readonly builds: readonly string[];
  readonly error?: string;
  /** Set when it stopped because a node it did not take down is down: what the operator should do. */
  readonly advice?: string;
  readonly block?: FinalizationBlock;
}

export async function rollBack(ctx: RollbackContext): Promise<RollbackResult> {
  const newestFirst = [...[...ctx.touched].reverse(), ...[...ctx.skippedOnTarget].reverse().filter((h) => !ctx.touched.includes(h))];
  const { order, notUp } = await downFirst(newestFirst, ctx);
  ctx.emit({ type: "rollback-start", nodes: order.map((h) => h.spec.name), cause: ctx.cause });
  const done: string[] = [];
  const builds = new Set<string>();
  try {
    for (const [i, h] of order.entries()) {
      const at = { node: h.spec.name, index: i + 1, total: order.length };
      // While a node still to roll back is down, draining or unready, the cluster gate cannot hold:
      // it runs after the last of them (the guard still checks before each one is touched).
      const gates = !order.slice(i + 1).some((o) => notUp.has(o.spec.name));
      const build = await ctx.recorder.phase("rollback", at, () => rollBackNode(h, at, ctx, gates));
      if (build !== undefined) builds.add(build);
      ctx.recorder.node(h.spec.name, { outcome: "rolled-back", to: build });
      done.push(h.spec.name);
    }
    const block = ctx.keepBlock ? ctx.block : await restoreBlock(ctx);
    ctx.emit({ type: "rollback-end", ok: true, detail: `rolled back ${done.join(", ")}` });
    return { ok: true, nodes: done, builds: [...builds], block };
  } catch (e) {
    const advice = await adviceIfPeerDown(ctx, newestFirst).catch(() => undefined);
    const error = advice ? `${(e as Error).message}; ${advice}` : (e as Error).message;
    ctx.emit({ type: "rollback-end", ok: false, detail: error });
    return { ok: false, nodes: done, builds: [...builds], error, advice, block: ctx.block };
  }
}

/** The nodes already down first (in newest-first order among them), then the rest newest first. */
async function downFirst(order: readonly NodeHandle[], ctx: RollbackContext): Promise<{ order: NodeHandle[]; notUp: ReadonlySet<string> }> {
  const now = await readClusterNow(ctx.reader, order, ctx.signal);
  const down = new Set(now.nodes.filter((n) => conditionOf(n) === "down").map((n) => n.name));
  const notUp = new Set(now.nodes.filter((n) => conditionOf(n) !== "up").map((n) => n.name));
  const isDown = (h: NodeHandle) => down.has(h.spec.name);
  return { order: [...order.filter(isDown), ...order.filter((h) => !isDown(h))], notUp };
}

/**
 * When the rollback stopped while a node the run did not touch is down: the
 * report and what to do. undefined when no such node is down.
 */
async function adviceIfPeerDown(ctx: RollbackContext, ours: readonly NodeHandle[]): Promise<string | undefined> {
  const now = await readClusterNow(ctx.reader, ctx.handles, ctx.signal);
  const mine = new Set(ours.map((h) => h.spec.name));
  const peers = now.nodes.filter((n) => !mine.has(n.name) && conditionOf(n) !== "up").map((n) => n.name);
  if (peers.length === 0) return undefined;
  return (
    `rollback stopped without taking another node down: ${peers.join(", ")} ${peers.length > 1 ? "are" : "is"} down and ${peers.length > 1 ? "were" : "was"} not taken down by this run. ` +
    `What to do: bring ${peers.join(", ")} back (start it, check its log and host), then run the update again: with version at the previous release it completes the rollback, at ${ctx.spec.version} it resumes the upgrade. ` +
    `Cluster now: ${describeCluster(now)}`
  );
}

/** Returns the build the node runs afterwards (undefined when it was left untouched). */
async function rollBackNode(h: NodeHandle, at: NodePosition, ctx: RollbackContext, gates: boolean): Promise<string | undefined> {
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
  const guarded = { ...ctx, heldByRun: (n: string) => ctx.touched.some((t) => t.spec.name === n) };
  if (state !== "stopped") await clearToDisrupt(guarded, [h.spec.name], "rollback", state === "running" ? "drain" : "stop");
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
  const rejoinedAt = Date.now(); // the bake counts from here, as rolling forward (plan/time-model.ts)
  await h.ops.clearJournal(signal);
  if (!gates) return oldBuild;
  await recorder.phase(
    "await-cluster",
    at,
    () => awaitClusterGate(ctx.gate, d.clusterMs, h.spec),
    (s) => s,
  );
  await recorder.phase(
    "bake",
    at,
    () => bakeWithGate(ctx.gate, spec.strategy.waitAfterRejoinMs, h.spec, rejoinedAt),
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
