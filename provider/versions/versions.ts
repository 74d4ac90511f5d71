/**
 * CockroachDB's version rules, as data plus pure functions (reference §5).
 *
 * - Patch: any patch to any patch within a series, both ways.
 * - Major, up to v24.1: one series at a time, from a production release.
 * - From v24.1: a Regular release may go to the next release or skip one
 *   Innovation release; an Innovation release goes only to the next Regular.
 * - Major rollback: only to the series the cluster came from, before finalization.
 * - From v22.2: a cluster that ran an alpha or a development (master) build
 *   cannot move to production releases.
 * - The previous major upgrade must be finalized before the next one.
 *
 * No I/O here; classifyMove (moves.ts) is called from check (without cluster context)
 * and again before rolling (with the observed cluster version).
 */
import * as semver from "semver";

export type ReleaseType = "regular" | "innovation";

/** Every series this provider knows, oldest first (DOCS `_data/versions.csv`). */
export const KNOWN_SERIES: readonly { readonly series: string; readonly type: ReleaseType }[] = [
  { series: "22.1", type: "regular" },
  { series: "22.2", type: "regular" },
  { series: "23.1", type: "regular" },
  { series: "23.2", type: "regular" },
  { series: "24.1", type: "regular" },
  { series: "24.2", type: "innovation" },
  { series: "24.3", type: "regular" },
  { series: "25.1", type: "innovation" },
  { series: "25.2", type: "regular" },
  { series: "25.3", type: "innovation" },
  { series: "25.4", type: "regular" },
  { series: "26.1", type: "innovation" },
  { series: "26.2", type: "regular" },
];

/** The first series whose alpha/dev builds are barred from production releases. */
export const PRERELEASE_LOCK_FROM = "22.2";
/** The first series with `cluster.auto_upgrade.enabled`. */
const AUTO_UPGRADE_SETTING_FROM = "23.2";

export type PreReleaseKind = "alpha" | "beta" | "rc" | "dev";

export interface ParsedVersion {
  readonly tag: string;
  readonly major: number;
  readonly minor: number;
  readonly patch: number;
  readonly prerelease: readonly string[];
  readonly series: string;
}

/** Build tags as `cockroach version --build-tag` prints them: v23.1.12, v24.1.0-rc.1, dev forms. */
export function parseVersion(tag: string): ParsedVersion {
  const reason = malformedReason(tag);
  if (reason !== undefined) throw new Error(`version ${JSON.stringify(tag)}: ${reason}`);
  const v = semver.parse(tag) as semver.SemVer;
  return {
    tag,
    major: v.major,
    minor: v.minor,
    patch: v.patch,
    prerelease: v.prerelease.map(String),
    series: `${v.major}.${v.minor}`,
  };
}

export function malformedReason(tag: unknown): string | undefined {
  if (typeof tag !== "string") return "must be a string like v23.1.12";
  if (!tag.startsWith("v")) return "must be a CockroachDB build tag starting with v, e.g. v23.1.12";
  if (semver.parse(tag) === null || tag.includes("+")) return "is not a version like v23.1.12 or v24.1.0-rc.1";
  return undefined;
}

/** Undefined when `tag` is a well-formed tag of a known series; else why not. */
export function isValidVersionInput(tag: string): string | undefined {
  const malformed = malformedReason(tag);
  if (malformed !== undefined) return malformed;
  const series = seriesOf(tag);
  if (!isKnownSeries(series)) return unknownSeriesReason(series);
  return undefined;
}

export function seriesOf(tag: string): string {
  return parseVersion(tag).series;
}

export function isKnownSeries(series: string): boolean {
  return KNOWN_SERIES.some((s) => s.series === series);
}

export function unknownSeriesReason(series: string): string {
  const oldest = KNOWN_SERIES[0].series;
  const newest = KNOWN_SERIES[KNOWN_SERIES.length - 1].series;
  if (/^\d+\.\d+$/.test(series) && compareSeries(series, oldest) < 0) {
    return `series ${series} is older than the oldest series this provider supports (${oldest}); upgrade the cluster to ${oldest} by hand first`;
  }
  return `series ${series} is not known to this provider (known: ${oldest} to ${newest}), so its upgrade rules cannot be checked; use a newer provider package`;
}

export function releaseType(series: string): ReleaseType {
  const entry = KNOWN_SERIES.find((s) => s.series === series);
  if (entry === undefined) throw new Error(unknownSeriesReason(series));
  return entry.type;
}

/** alpha, beta, rc, or dev (a master build like v19.2.0-alpha.20190606-2479-gd98e0839dc); undefined for production. */
export function preReleaseKind(v: ParsedVersion): PreReleaseKind | undefined {
  if (v.prerelease.length === 0) return undefined;
  if (/-\d+-g[0-9a-f]+$/.test(v.prerelease.join("."))) return "dev";
  const first = v.prerelease[0];
  return first === "alpha" || first === "beta" || first === "rc" ? first : "dev";
}

/** Numeric comparison of "X.Y" series strings. */
export function compareSeries(a: string, b: string): number {
  const [am, an] = a.split(".").map(Number);
  const [bm, bn] = b.split(".").map(Number);
  return am !== bm ? am - bm : an - bn;
}

/**
 * `SHOW CLUSTER SETTING version`: "23.1" when final; "23.1-8" (to v23.2) or
 * "23.2-upgrading-to-24.1-step-008" / "24.1-upgrading-final-step" (v24.1+)
 * while migrating. Any suffix after X.Y means "in transition".
 */
export function parseClusterVersion(v: string): { series: string; inTransition: boolean } {
  const m = /^(\d+)\.(\d+)(.*)$/.exec(typeof v === "string" ? v.trim() : "");
  if (m === null) throw new Error(`cluster version ${JSON.stringify(v)} is not of the form X.Y or a transition string like 23.1-8`);
  return { series: `${Number(m[1])}.${Number(m[2])}`, inTransition: m[3] !== "" };
}

/** Series reachable by one major upgrade from `fromSeries`, nearest first. */
export function allowedNextSeries(fromSeries: string): readonly string[] {
  const i = KNOWN_SERIES.findIndex((s) => s.series === fromSeries);
  if (i < 0 || i + 1 >= KNOWN_SERIES.length) return [];
  const next = KNOWN_SERIES[i + 1];
  const afterNext = KNOWN_SERIES[i + 2];
  // A Regular release may skip the Innovation release that follows it.
  const canSkip = KNOWN_SERIES[i].type === "regular" && next.type === "innovation" && afterNext !== undefined;
  return canSkip ? [next.series, afterNext.series] : [next.series];
}

/**
 * The shortest chain of allowed major upgrades, both ends included, e.g.
 * 23.1 -> 23.2 -> 24.1 -> 24.3. Empty when there is none (unknown series or a downgrade).
 */
export function upgradePath(fromSeries: string, toSeries: string): readonly string[] {
  if (!isKnownSeries(fromSeries) || !isKnownSeries(toSeries) || compareSeries(fromSeries, toSeries) >= 0) return [];
  const previous = new Map<string, string>([[fromSeries, ""]]);
  const queue = [fromSeries];
  while (queue.length > 0) {
    const at = queue.shift() as string;
    if (at === toSeries) break;
    for (const next of allowedNextSeries(at)) {
      if (previous.has(next) || compareSeries(next, toSeries) > 0) continue;
      previous.set(next, at);
      queue.push(next);
    }
  }
  if (!previous.has(toSeries)) return [];
  const path: string[] = [];
  for (let s = toSeries; s !== ""; s = previous.get(s) as string) path.unshift(s);
  return path;
}

/**
 * What stops CockroachDB from finalizing on its own while nodes are rolled:
 * `cluster.auto_upgrade.enabled = false` where it exists (v23.2+, the
 * recommended way), else `cluster.preserve_downgrade_option` = the current
 * cluster version (it must equal it, or the SET is refused).
 */
export function finalizationBlockFor(
  currentSeries: string,
): { setting: "cluster.auto_upgrade.enabled"; value: "false" } | { setting: "cluster.preserve_downgrade_option"; value: string } {
  if (compareSeries(currentSeries, AUTO_UPGRADE_SETTING_FROM) >= 0) return { setting: "cluster.auto_upgrade.enabled", value: "false" };
  return { setting: "cluster.preserve_downgrade_option", value: currentSeries };
}

/** What the cluster knows about finalization; both optional (check has neither). */

export { classifyMove, type MoveContext } from "./moves";
