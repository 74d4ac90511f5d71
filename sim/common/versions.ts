/**
 * CockroachDB release series and the version rules the simulator enforces:
 * which cluster versions a binary can run on (reference §5 "Wrong binary"),
 * build metadata per tag (reference §6), and the cluster-version strings
 * shown while a major upgrade is being finalized (reference §2).
 */

export interface Series {
  readonly major: number;
  readonly minor: number;
}

/** Innovation releases may be skipped; every other series is Regular (DOCS `_data/versions.csv`). */
const INNOVATION = new Set(["24.2", "25.1", "25.3", "26.1"]);

/** Every series the simulator knows, oldest first. */
export const KNOWN_SERIES: readonly Series[] = [
  "19.1",
  "19.2",
  "20.1",
  "20.2",
  "21.1",
  "21.2",
  "22.1",
  "22.2",
  "23.1",
  "23.2",
  "24.1",
  "24.2",
  "24.3",
  "25.1",
  "25.2",
  "25.3",
  "25.4",
  "26.1",
  "26.2",
].map(parseSeries);

export function parseSeries(text: string): Series {
  const m = /^v?(\d+)\.(\d+)/.exec(text);
  if (!m) throw new Error(`not a CockroachDB version: ${JSON.stringify(text)}`);
  return { major: Number(m[1]), minor: Number(m[2]) };
}

export function seriesOfTag(tag: string): Series {
  return parseSeries(tag);
}

export function formatSeries(s: Series): string {
  return `${s.major}.${s.minor}`;
}

export function compareSeries(a: Series, b: Series): number {
  return a.major !== b.major ? a.major - b.major : a.minor - b.minor;
}

export function isInnovation(s: Series): boolean {
  return INNOVATION.has(formatSeries(s));
}

function indexOfSeries(s: Series): number {
  return KNOWN_SERIES.findIndex((k) => compareSeries(k, s) === 0);
}

/**
 * The oldest cluster version a binary of series `s` can run on: the latest
 * Regular release before it (so v24.3 runs on 24.1 or 24.2, v25.2 on 24.3 or
 * 25.1), as CockroachDB's MinSupportedVersion.
 */
export function minSupportedSeries(s: Series): Series {
  let i = indexOfSeries(s);
  if (i < 0) return { major: s.major, minor: s.minor - 1 };
  for (i -= 1; i >= 0; i--) {
    if (!isInnovation(KNOWN_SERIES[i])) return KNOWN_SERIES[i];
  }
  return s;
}

/** The series a cluster at `s` finalizes to when every node runs `binary`. */
export function canRunOn(binary: Series, clusterVersion: Series): boolean {
  return compareSeries(binary, clusterVersion) >= 0 && compareSeries(minSupportedSeries(binary), clusterVersion) <= 0;
}

/**
 * Why a binary refuses a store last used at `storeVersion`, or undefined.
 * Messages as CockroachDB's (CR `pkg/kv/kvserver/stores.go`).
 */
export function storeRefusal(binaryTag: string, storeVersion: Series): string | undefined {
  const binary = seriesOfTag(binaryTag);
  if (compareSeries(binary, storeVersion) < 0) {
    return `store last used with cockroach version v${formatSeries(storeVersion)} is too high for running version v${formatSeries(binary)}`;
  }
  const min = minSupportedSeries(binary);
  if (compareSeries(storeVersion, min) < 0) {
    return (
      `store last used with cockroach version v${formatSeries(storeVersion)} is too old for running version ` +
      `v${formatSeries(binary)} (which requires data from v${formatSeries(min)} or later)`
    );
  }
  return undefined;
}

/**
 * The internal steps a finalization from `from` to `to` passes through, as
 * `SHOW CLUSTER SETTING version` prints them: `23.1-2` ... up to v23.2;
 * `23.2-upgrading-to-24.1-step-002` ... then `24.1-upgrading-final-step`
 * from v24.1 (CR `pkg/roachpb/version.go`, #115223).
 */
export function transitionSteps(from: Series, to: Series, steps: number): readonly string[] {
  const out: string[] = [];
  const modern = compareSeries(to, { major: 24, minor: 1 }) >= 0;
  for (let i = 1; i <= steps; i++) {
    const internal = i * 2;
    out.push(
      modern
        ? `${formatSeries(from)}-upgrading-to-${formatSeries(to)}-step-${String(internal).padStart(3, "0")}`
        : `${formatSeries(from)}-${internal}`,
    );
  }
  if (modern) out.push(`${formatSeries(to)}-upgrading-final-step`);
  return out;
}

/** Deterministic build metadata for a tag, as `cockroach version` prints it. */
export interface BuildInfo {
  readonly tag: string;
  readonly goVersion: string;
  /** Unix seconds of the (simulated) build. */
  readonly buildTimestamp: number;
  readonly revision: string;
  readonly cCompiler: string;
  readonly platform: string;
  readonly distribution: string;
  readonly type: string;
  readonly channel: string;
}

const GO_BY_SERIES: Readonly<Record<string, string>> = {
  "22.1": "go1.17.11",
  "22.2": "go1.19.4",
  "23.1": "go1.19.10",
  "23.2": "go1.21.5",
  "24.1": "go1.22.5",
  "24.2": "go1.22.5",
  "24.3": "go1.22.8",
  "25.1": "go1.22.8",
  "25.2": "go1.23.7",
  "25.3": "go1.23.7",
  "25.4": "go1.23.12",
  "26.1": "go1.25.3",
  "26.2": "go1.25.3",
};

export function buildInfo(tag: string): BuildInfo {
  const s = seriesOfTag(tag);
  const patch = Number(/^v?\d+\.\d+\.(\d+)/.exec(tag)?.[1] ?? 0);
  // Series start roughly every six months from 2019; patches about a month apart.
  const seriesStart = Date.UTC(2000 + s.major, (s.minor - 1) * 3, 15) / 1000;
  const buildTimestamp = Math.floor(seriesStart + patch * 30 * 86400 + (hash(tag) % 86400));
  return {
    tag,
    goVersion: GO_BY_SERIES[formatSeries(s)] ?? "go1.22.5",
    buildTimestamp,
    revision: hex40(tag),
    cCompiler: "gcc 6.5.0",
    platform: "linux amd64 (x86_64-pc-linux-gnu)",
    distribution: "CCL",
    type: "release",
    channel: "official-binary",
  };
}

/** Build time as `cockroach version` shows it: `2023/09/27 18:08:33`. */
export function formatBuildTime(unixSecs: number): string {
  const d = new Date(unixSecs * 1000);
  const p = (n: number): string => String(n).padStart(2, "0");
  return `${d.getUTCFullYear()}/${p(d.getUTCMonth() + 1)}/${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}`;
}

function hash(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619) >>> 0;
  return h;
}

function hex40(text: string): string {
  let out = "";
  for (let i = 0; out.length < 40; i++) out += hash(`${text}#${i}`).toString(16).padStart(8, "0");
  return out.slice(0, 40);
}

/** `v23.1.11`, `v24.1.0-rc.1`: what `release` and `start` accept as a tag. */
export function isValidTag(tag: string): boolean {
  return /^v\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/.test(tag);
}
