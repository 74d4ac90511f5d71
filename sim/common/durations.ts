/**
 * Go-style durations, as CockroachDB prints and parses them in cluster
 * settings and flags: "10s", "1m30s", "5m0s", "250ms", "0s".
 */

const UNIT_MS: Readonly<Record<string, number>> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1, us: 0.001, µs: 0.001, ns: 0.000001 };

/** Parses "1h2m3.5s" / "250ms" / "0" into milliseconds; undefined when malformed. */
export function parseGoDuration(text: string): number | undefined {
  const t = text.trim();
  if (t === "0") return 0;
  const re = /(\d+(?:\.\d+)?)(h|ms|m|s|us|µs|ns)/gy;
  let total = 0;
  let matched = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(t)) !== null) {
    total += Number(m[1]) * UNIT_MS[m[2]];
    matched = re.lastIndex;
  }
  return matched === t.length && matched > 0 ? total : undefined;
}

/** Formats milliseconds like Go's time.Duration.String(): 300000 -> "5m0s", 10000 -> "10s", 0 -> "0s". */
export function formatGoDuration(ms: number): string {
  if (ms === 0) return "0s";
  if (ms < 1000) return `${trimFloat(ms)}ms`;
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const s = (ms % 60_000) / 1000;
  if (h > 0) return `${h}h${m}m${trimFloat(s)}s`;
  if (m > 0) return `${m}m${trimFloat(s)}s`;
  return `${trimFloat(s)}s`;
}

function trimFloat(n: number): string {
  return String(Number(n.toFixed(9)));
}
