/**
 * The end of a roll: decides from the cluster's own state whether a major
 * upgrade waits to be finalized, and finalizes when `strategy.finalize`
 * asks for it:
 * - manual: leave the block in place; outputs carry a hint how to finalize.
 * - auto: unblock at once and wait until the cluster version is the new series.
 * - afterBake:<d>: hold the cluster gate for <d>, then as auto.
 * When the cluster is already on the target series, a block left by an
 * earlier run (or kept through a major rollback) is lifted: the setting goes
 * back to what it was.
 *
 * Finalization is the point of no return, so it starts only when every node
 * is ready and live (a dead node would stall it inside CockroachDB). When it
 * cannot start or finish, the error names the node and the block stays: the
 * roll itself is done, nothing is rolled back, and the next `up` retries.
 */
import type { ClusterReader } from "../cluster/reader";
import { formatDuration } from "../core/duration";
import { GateFailed, isGateFailed } from "../core/errors";
import type { Emit } from "../core/events";
import {
  autoFinalizationHeld,
  awaitFinalized,
  blockedError,
  blockFinalization,
  type FinalizationBlock,
  finalizationBlockers,
  finalizeHint,
  setClusterVersion,
  unblockFinalization,
} from "../cluster/finalization";
import type { GateContext } from "./gates";
import { bakeWithGate } from "./gate-loops";
import type { RolloutRecorder } from "./record";
import type { Plan, Spec } from "../core/types";
import { compareSeries, parseClusterVersion, seriesOf } from "../versions/versions";

export interface FinalizeContext {
  readonly spec: Spec;
  readonly reader: ClusterReader;
  readonly emit: Emit;
  readonly signal?: AbortSignal;
  readonly recorder: RolloutRecorder;
  readonly plan: Plan;
  readonly block?: FinalizationBlock;
  readonly gate: GateContext;
}

/** Returns the block still in effect afterwards (undefined when none). */
export async function finishFinalization(ctx: FinalizeContext): Promise<FinalizationBlock | undefined> {
  const series = seriesOf(ctx.spec.version);
  const cv = parseClusterVersion(await ctx.reader.showSetting("version"));
  if (!cv.inTransition && cv.series === series) return liftStaleBlock(ctx, series);
  // The cluster version is ahead of the target's series: a major rollback
  // that was refused earlier, or state we do not understand. Leave it.
  if (compareSeries(cv.series, series) > 0) return ctx.block;
  const mode = ctx.spec.strategy.finalize;
  if (mode.mode === "manual") {
    const hint = finalizeHint(ctx.block, series);
    ctx.recorder.finalization = { finalized: false, note: hint };
    ctx.emit({ type: "note", message: `finalization of ${series} left to you (strategy.finalize is manual): ${hint}` });
    return ctx.block;
  }
  if (mode.mode === "afterBake") await bakeBeforeFinalizing(ctx, mode.bakeMs, series);
  const blockers = await finalizationBlockers(ctx.reader, ctx.spec.nodes, ctx.signal);
  if (blockers.length > 0)
    throw blockedError(blockers, `${notFinalized(ctx, series)}; bring the node back (or decommission it) and run pulumi up again`);
  if (ctx.block) await unblock(ctx, ctx.block);
  try {
    const explicit = await autoFinalizationHeld(ctx.reader, cv.series);
    const { migrationMs } = await ctx.recorder.phase("finalize", undefined, () => finalize(ctx, series, explicit));
    ctx.recorder.finalization = { finalized: true, migrationMs };
    return undefined;
  } catch (e) {
    await reblockIfNotStarted(ctx, cv.series);
    throw e;
  }
}

async function unblock(ctx: FinalizeContext, block: FinalizationBlock): Promise<void> {
  await ctx.recorder.phase("unblock-finalization", undefined, () => unblockFinalization(ctx.reader, block));
}

/**
 * Lets CockroachDB finalize (or, when the operator's own setting still
 * blocks it, finalizes explicitly) and waits through the transition
 * versions. The migration time runs from here. The explicit statement
 * RESETs `cluster.preserve_downgrade_option` first (setClusterVersion):
 * CockroachDB refuses any version bump while it is set.
 */
async function finalize(ctx: FinalizeContext, series: string, explicit: boolean): Promise<{ readonly migrationMs: number }> {
  const started = Date.now();
  if (explicit) {
    // The statement returns when the migrations are done, which can outlast the
    // query timeout; then the polling below sees it through. A refusal is final.
    const refused = await setClusterVersion(ctx.reader, series).then(
      () => undefined,
      (e: Error) => (e.message.startsWith("SQL on ") ? e.message : undefined),
    );
    if (refused !== undefined) throw new GateFailed("finalize", `SET CLUSTER SETTING version = '${series}' was refused: ${refused}`);
  }
  await awaitFinalized(ctx.reader, ctx.spec.nodes, series, ctx.spec.strategy.deadlines.finalizeMs, ctx.signal, (v) =>
    ctx.emit({ type: "note", message: `cluster version ${v}` }),
  );
  return { migrationMs: Date.now() - started };
}

/**
 * The cluster is on the target series already: finalized by CockroachDB or
 * by hand, or this run rolled a major upgrade back. A block still recorded
 * has done its job; the setting goes back to what it was.
 */
async function liftStaleBlock(ctx: FinalizeContext, series: string): Promise<undefined> {
  if (!ctx.block) return undefined;
  const block = ctx.block;
  // A preserve_downgrade_option value of the old series is stale now: it is RESET, never written back.
  const { stale } = await ctx.recorder.phase("unblock-finalization", undefined, () => unblockFinalization(ctx.reader, block));
  const restored = stale
    ? `reset ${block.setting} (its earlier value '${block.previous}' pinned the old cluster version, which CockroachDB no longer accepts)`
    : `restored ${block.setting} to ${block.previous === "" ? "its default" : `'${block.previous}'`}`;
  ctx.recorder.finalization =
    ctx.plan.kind === "major-rollback"
      ? { finalized: true, note: `rolled back to ${series} before finalization; ${restored}` }
      : { finalized: true, note: `finalized outside this run; ${restored}` };
  return undefined;
}

/** afterBake: the gate must hold for the whole bake; a failure names the node and finalization does not start. */
async function bakeBeforeFinalizing(ctx: FinalizeContext, bakeMs: number, series: string): Promise<void> {
  try {
    await ctx.recorder.phase("bake", undefined, () => bakeWithGate(ctx.gate, bakeMs));
  } catch (e) {
    if (!isGateFailed(e)) throw e;
    const why = `the cluster gate failed during the ${formatDuration(bakeMs)} bake before finalization (${e.what}); ${notFinalized(ctx, series)}`;
    const blockers = await finalizationBlockers(ctx.reader, ctx.spec.nodes, ctx.signal);
    if (blockers.length > 0) throw blockedError(blockers, `${why}; bring the node back (or decommission it) and run pulumi up again`);
    throw new GateFailed("finalize", `${why}; run pulumi up again once the gate holds`);
  }
}

/** What the user reads after a finalization that did not start. */
function notFinalized(ctx: FinalizeContext, series: string): string {
  const held = ctx.block ? `; ${ctx.block.setting} stays '${ctx.block.value}'` : "";
  return `${series} is not finalized (the roll to ${ctx.spec.version} is complete and is not rolled back${held})`;
}

/**
 * Finalization was unblocked but did not complete. While the cluster version
 * has not moved, the block goes back on, so the cluster does not finalize
 * unattended when the blocker clears; the next `up` decides. Once migrations
 * started nothing can stop them, and the setting is left alone.
 */
async function reblockIfNotStarted(ctx: FinalizeContext, fromSeries: string): Promise<void> {
  if (!ctx.block) return;
  const block = ctx.block;
  try {
    const now = parseClusterVersion(await ctx.reader.showSetting("version"));
    if (now.inTransition || now.series !== fromSeries) return;
    await blockFinalization(ctx.reader, block, block);
  } catch {
    // Best effort: the error being reported matters more; outputs keep the block recorded either way.
  }
}
