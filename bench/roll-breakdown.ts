/**
 * Where a roll's wall time went, from the provider's own record (the phases
 * provider/rollout/timeline.ts draws), per batch: each phase's span over the
 * batch's nodes (first start to last end: the nodes of a batch run each
 * phase together), and the gaps between them, which the record has no phase
 * for: before the drain (the batch's proof of placement, the lease, the
 * guard, the journals), between drain and stop (the guard again), between
 * the rejoin and the cluster gate. And the run's fixed overhead: from its
 * start to the first drain (observation, plan, pre-flight, staging, the
 * gate before the first node) and from the last bake to its end
 * (finalization, the watch window). Pure.
 */
import type { Phase, RolloutRecord } from "../provider/core/types";
import { batchesOf } from "./roll-metrics";

export interface BatchBreakdown {
  readonly nodes: number;
  /** Previous batch's end (or the first drain's wait) to this batch's first drain. */
  readonly beforeMs: number;
  readonly drainMs: number;
  /** Last drain end to first stop: the guard before the stop. */
  readonly guardStopMs: number;
  readonly stopMs: number;
  readonly swapMs: number;
  readonly startMs: number;
  /** await-node: ready, live, target build. */
  readonly readyMs: number;
  /** Last rejoin to the cluster gate's first sample. */
  readonly toGateMs: number;
  /** await-cluster: catch-up + the gate's streak. */
  readonly gateMs: number;
  /** What the bake held on after the gate. */
  readonly bakeMs: number;
}

export interface RollBreakdown {
  /** Run start to the first drain: observation, plan, pre-flight, staging, first gate (and the first batch's guard). */
  readonly beforeFirstMs: number;
  /** Last bake's end to the run's end: watch window, finalization. */
  readonly afterLastMs: number;
  readonly batches: readonly BatchBreakdown[];
}

type Span = { from: number; to: number };

export function breakdownOf(record: RolloutRecord): RollBreakdown {
  const t0 = Date.parse(record.startedAt);
  const spans = batchesOf(record).map((batch) => {
    const span = (phase: Phase): Span | undefined => {
      const ps = batch.flatMap((n) => n.phases.filter((p) => p.phase === phase && p.durationMs > 0));
      if (ps.length === 0) return undefined;
      const from = Math.min(...ps.map((p) => Date.parse(p.startedAt)));
      return { from, to: Math.max(...ps.map((p) => Date.parse(p.startedAt) + p.durationMs)) };
    };
    const phases = {
      drain: span("drain"),
      stop: span("stop"),
      swap: span("swap-binary"),
      start: span("start"),
      ready: span("await-node"),
      gate: span("await-cluster"),
      bake: span("bake"),
    };
    return { nodes: batch.length, ...phases };
  });
  const len = (s?: Span): number => (s ? s.to - s.from : 0);
  const gap = (a?: Span, b?: Span): number => (a && b ? Math.max(0, b.from - a.to) : 0);
  const endOf = (b: (typeof spans)[number]): number | undefined => (b.bake ?? b.gate ?? b.ready)?.to;
  const batches = spans.map((b, i) => {
    const prevEnd = i === 0 ? undefined : endOf(spans[i - 1]);
    return {
      nodes: b.nodes,
      beforeMs: prevEnd !== undefined && b.drain ? Math.max(0, b.drain.from - prevEnd) : 0,
      drainMs: len(b.drain),
      guardStopMs: gap(b.drain, b.stop),
      stopMs: len(b.stop),
      swapMs: len(b.swap),
      startMs: len(b.start),
      readyMs: len(b.ready),
      toGateMs: gap(b.ready, b.gate),
      gateMs: len(b.gate),
      bakeMs: b.bake && b.gate ? Math.max(0, b.bake.to - b.gate.to) : len(b.bake),
    };
  });
  const first = spans[0]?.drain?.from;
  const last = spans.length ? endOf(spans[spans.length - 1]) : undefined;
  return {
    beforeFirstMs: first !== undefined ? first - t0 : 0,
    afterLastMs: last !== undefined ? Date.parse(record.finishedAt) - last : 0,
    batches,
  };
}

/** Sums of each phase over the batches, for one line of a report. */
export function totalsOf(b: RollBreakdown): Record<keyof Omit<BatchBreakdown, "nodes">, number> {
  const keys = ["beforeMs", "drainMs", "guardStopMs", "stopMs", "swapMs", "startMs", "readyMs", "toGateMs", "gateMs", "bakeMs"] as const;
  return Object.fromEntries(keys.map((k) => [k, b.batches.reduce((a, x) => a + x[k], 0)])) as Record<(typeof keys)[number], number>;
}
