/**
 * A text Gantt chart of a rollout: one row per node, one column per time
 * slice, one letter per phase. Pure, so the demo, the provider's final log
 * line and the tests all draw the same picture.
 *
 *   n1  DDSWWRRRGGGBBBBBBBBBB.........................
 *   n2  .....................DDSWWRRGGGBBBBBBBBB......
 */
import type { NodeRolloutRecord, Phase, RolloutRecord } from "../core/types";

/** One letter per phase; phases not listed draw as "=". */
export const PHASE_LETTERS: Readonly<Partial<Record<Phase, string>>> = {
  drain: "D",
  stop: "S",
  "swap-binary": "W",
  start: "T",
  "await-node": "R",
  "await-cluster": "G",
  bake: "B",
  rollback: "X",
  finalize: "F",
};

export const TIMELINE_LEGEND = "D drain  S stop  W swap  T start  R ready  G cluster gate  B bake  X rollback  F finalize";

export interface TimelineOptions {
  /** Characters available for the bars. Defaults to 60. */
  readonly width?: number;
}

interface Span {
  readonly start: number;
  readonly end: number;
  readonly letter: string;
}

function spansOf(node: NodeRolloutRecord): Span[] {
  return node.phases
    .filter((p) => PHASE_LETTERS[p.phase] !== undefined)
    .map((p) => {
      const start = Date.parse(p.startedAt);
      return { start, end: start + Math.max(p.durationMs, 0), letter: PHASE_LETTERS[p.phase] ?? "=" };
    });
}

function formatSeconds(ms: number): string {
  return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)}s`;
}

/**
 * Phases in time order, each at least one column wide: a phase shorter than a
 * column pushes the next one right by a column rather than vanishing under it.
 */
function drawBar(spans: readonly Span[], t0: number, slice: number, width: number): string {
  const bar = Array.from({ length: width }, () => ".");
  let cursor = 0;
  for (const s of [...spans].sort((a, b) => a.start - b.start)) {
    const from = Math.max(cursor, Math.floor((s.start - t0) / slice));
    const to = Math.max(from + 1, Math.ceil((s.end - t0) / slice));
    for (let i = from; i < to; i++) bar[i] = s.letter;
    cursor = to;
  }
  return bar.join("");
}

function tookOf(spans: readonly Span[]): string {
  if (spans.length === 0) return "-";
  return formatSeconds(Math.max(...spans.map((s) => s.end)) - Math.min(...spans.map((s) => s.start)));
}

/** Per node, seconds spent in each phase: the numbers behind the bars. */
export function renderPhaseTable(record: RolloutRecord): string[] {
  const phases = Object.keys(PHASE_LETTERS) as Phase[];
  const used = phases.filter((ph) => record.nodes.some((n) => n.phases.some((p) => p.phase === ph)));
  if (used.length === 0) return [];
  const nameWidth = Math.max(4, ...record.nodes.map((n) => n.name.length));
  const header = ["node".padEnd(nameWidth), ...used.map((p) => p.padStart(13))].join(" ");
  const rows = record.nodes.map((n) => {
    const cells = used.map((ph) => {
      const ms = n.phases.filter((p) => p.phase === ph).reduce((sum, p) => sum + p.durationMs, 0);
      return (n.phases.some((p) => p.phase === ph) ? formatSeconds(ms) : "-").padStart(13);
    });
    return [n.name.padEnd(nameWidth), ...cells].join(" ");
  });
  return [header, ...rows];
}

/** Renders the chart; returns lines without trailing newlines. */
export function renderTimeline(record: RolloutRecord, opts: TimelineOptions = {}): string[] {
  const width = Math.max(10, opts.width ?? 60);
  const rows = record.nodes.map((n) => ({ node: n, spans: spansOf(n) }));
  const all = rows.flatMap((r) => r.spans);
  if (all.length === 0) return [`${record.from} -> ${record.to}: no node was touched (${record.outcome})`];
  const t0 = Math.min(...all.map((s) => s.start));
  const t1 = Math.max(...all.map((s) => s.end));
  const total = Math.max(t1 - t0, 1);
  const slice = total / width;
  const nameWidth = Math.max(4, ...rows.map((r) => r.node.name.length));
  const lines = [
    `${record.from} -> ${record.to} (${record.kind}), ${record.outcome}, ${formatSeconds(total)} total, 1 column = ${formatSeconds(slice)}`,
  ];
  for (const { node, spans } of rows) {
    lines.push(`${node.name.padEnd(nameWidth)}  ${drawBar(spans, t0, slice, width)}  ${node.outcome.padEnd(11)} ${tookOf(spans)}`);
  }
  lines.push(TIMELINE_LEGEND);
  return lines;
}
