/**
 * A small parser for the Prometheus text exposition format, as served by
 * CockroachDB's `/_status/vars`. Only what the gates need: series name,
 * labels and value. Comment lines (# HELP, # TYPE) and blank lines are
 * skipped; a malformed line is skipped too, because one odd series must not
 * hide the rest — callers treat a MISSING series as a gate failure, so
 * skipping can only make a gate stricter, never let it pass.
 */

export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

const SERIES_RE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)(\s+\S+)?\s*$/;
const LABEL_RE = /\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"\s*,?/y;

/**
 * `only`: the series to keep; every other line is skipped before it is split
 * or matched. CockroachDB exports thousands of series per node and the gates
 * read five, every gate interval on every node: parsing them all is most of
 * the provider's garbage during a roll (bench/TARGETS-METHOD.md, RSS).
 */
export function parsePrometheusText(text: string, only?: ReadonlySet<string>): Sample[] {
  const samples: Sample[] = [];
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf("\n", start);
    if (end < 0) end = text.length;
    const lineStart = start;
    start = end + 1;
    if (only && !only.has(seriesNameAt(text, lineStart, end))) continue;
    const line = text.slice(lineStart, end).trim();
    if (line === "" || line.startsWith("#")) continue;
    const sample = parseLine(line);
    if (sample) samples.push(sample);
  }
  return samples;
}

/** The series name a line starts with (after leading blanks): up to `{`, a blank or the end; "" for comments. */
function seriesNameAt(text: string, from: number, end: number): string {
  let i = from;
  while (i < end && (text[i] === " " || text[i] === "\t")) i++;
  let j = i;
  while (j < end && text[j] !== "{" && text[j] !== " " && text[j] !== "\t" && text[j] !== "\r") j++;
  return text.slice(i, j);
}

function parseLine(line: string): Sample | undefined {
  const m = SERIES_RE.exec(line);
  if (!m) return undefined;
  const labels = m[3] !== undefined ? parseLabels(m[3]) : {};
  if (!labels) return undefined;
  const value = parseValue(m[4]);
  if (value === undefined) return undefined;
  return { name: m[1], labels, value };
}

function parseLabels(body: string): Record<string, string> | undefined {
  const labels: Record<string, string> = {};
  LABEL_RE.lastIndex = 0;
  while (LABEL_RE.lastIndex < body.length) {
    const start = LABEL_RE.lastIndex;
    const m = LABEL_RE.exec(body);
    if (!m) return body.slice(start).trim() === "" ? labels : undefined;
    labels[m[1]] = unescapeLabel(m[2]);
  }
  return labels;
}

function unescapeLabel(v: string): string {
  return v.replace(/\\(.)/g, (_, c: string) => (c === "n" ? "\n" : c));
}

function parseValue(v: string): number | undefined {
  if (v === "+Inf") return Infinity;
  if (v === "-Inf") return -Infinity;
  if (v === "NaN") return NaN;
  const n = Number(v);
  return Number.isNaN(n) ? undefined : n;
}

/** Every sample of a series, e.g. one per store for `ranges_underreplicated`. */
export function seriesOf(samples: readonly Sample[], name: string): Sample[] {
  return samples.filter((s) => s.name === name);
}

/**
 * The sum of a series over all its label sets (one per store), or undefined
 * when the series is absent — "absent" must stay distinguishable from 0.
 */
export function sumSeries(samples: readonly Sample[], name: string): number | undefined {
  const found = seriesOf(samples, name);
  if (found.length === 0) return undefined;
  return found.reduce((acc, s) => acc + s.value, 0);
}

/** The `tag` label of `build_timestamp`: the build the running process reports. */
export function buildTagOf(samples: readonly Sample[]): string | undefined {
  const s = seriesOf(samples, "build_timestamp").find((x) => x.labels.tag !== undefined);
  return s?.labels.tag;
}
