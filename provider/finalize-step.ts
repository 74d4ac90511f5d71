/**
 * The end of a roll: decides from the cluster's own state whether a major
 * upgrade waits to be finalized, and finalizes when `strategy.finalize`
 * asks for it:
 * - manual: leave the block in place; outputs carry a hint how to finalize.
 * - auto: unblock at once and wait until the cluster version is the new series.
 * - afterBake:<d>: hold the cluster gate for <d>, then as auto.
 * When the cluster is already on the target series, a block left by an
 * earlier run is stale and the setting is restored.
 */
import type { ClusterReader } from "./cluster";
import type { Emit } from "./events";
import { awaitFinalized, type FinalizationBlock, finalizeHint, setClusterVersion, unblockFinalization } from "./finalization";
import { bakeWithGate, type GateContext } from "./gates";
import type { RolloutRecorder } from "./record";
import type { Plan, Spec } from "./types";
import { compareSeries, parseClusterVersion, seriesOf } from "./versions";

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
  if (!cv.inTransition && cv.series === series) {
    // Finalized (by CockroachDB, or by hand): a block we left is stale; put the setting back.
    if (ctx.block) {
      const block = ctx.block;
      await ctx.recorder.phase("unblock-finalization", undefined, () => unblockFinalization(ctx.reader, block));
      ctx.recorder.finalization = { finalized: true, note: "finalized outside this run; restored the finalization setting" };
    }
    return undefined;
  }
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
  if (mode.mode === "afterBake") {
    await ctx.recorder.phase("bake", undefined, () => bakeWithGate(ctx.gate, mode.bakeMs));
  }
  if (ctx.block) {
    const block = ctx.block;
    const r = await ctx.recorder.phase("unblock-finalization", undefined, () => unblockFinalization(ctx.reader, block));
    if (r.stillBlocked) await setClusterVersion(ctx.reader, series);
  }
  const { migrationMs } = await ctx.recorder.phase("finalize", undefined, () =>
    awaitFinalized(ctx.reader, ctx.spec.nodes, series, ctx.spec.strategy.deadlines.finalizeMs, ctx.signal, (v) =>
      ctx.emit({ type: "note", message: `cluster version ${v}` }),
    ),
  );
  ctx.recorder.finalization = { finalized: true, migrationMs };
  return undefined;
}
