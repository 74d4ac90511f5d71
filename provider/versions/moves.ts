/**
 * Which move between two releases CockroachDB allows, and what kind it is
 * (patch, major, their rollbacks): the rules listed in versions.ts, applied.
 */
import * as semver from "semver";
import { withdrawnRelease } from "./withdrawn-releases";
import { UpgradeNotAllowed } from "../core/errors";
import type { UpgradeKind } from "../core/types";
import {
  PRERELEASE_LOCK_FROM,
  allowedNextSeries,
  compareSeries,
  finalizationBlockFor,
  isKnownSeries,
  malformedReason,
  parseClusterVersion,
  parseVersion,
  preReleaseKind,
  unknownSeriesReason,
  upgradePath,
  type ParsedVersion,
} from "./versions";

export interface MoveContext {
  /** `SHOW CLUSTER SETTING version`. */
  readonly clusterVersion?: string;
  /** Whether the last major upgrade was finalized (from stored outputs); refuses major rollbacks when true. */
  readonly finalized?: boolean;
}

/**
 * The kind of move from the running build `from` to the target `to`, or
 * UpgradeNotAllowed with the reason, the versions allowed next and, when the
 * target is several series away, the path to take.
 */
export function classifyMove(from: string, to: string, ctx: MoveContext): UpgradeKind {
  const a = parseOrRefuse(from, to, from, "the running version");
  const b = parseOrRefuse(from, to, to, "the target version");
  for (const s of [a.series, b.series]) {
    if (!isKnownSeries(s)) throw new UpgradeNotAllowed(from, to, unknownSeriesReason(s), allowedNextSeries(a.series));
  }
  refuseDevToProduction(a, b);
  refuseWithdrawn(a, b);
  if (a.series === b.series) return classifyWithinSeries(a, b);
  return compareSeries(b.series, a.series) > 0 ? classifyMajorUpgrade(a, b, ctx) : classifyMajorRollback(a, b, ctx);
}

function parseOrRefuse(from: string, to: string, tag: string, what: string): ParsedVersion {
  const reason = malformedReason(tag);
  if (reason !== undefined) throw new UpgradeNotAllowed(from, to, `${what} ${JSON.stringify(tag)} ${reason}`);
  return parseVersion(tag);
}

/** From v22.2, alpha and master builds leave the cluster unable to run production releases (DOCS v24.1). */
function refuseDevToProduction(a: ParsedVersion, b: ParsedVersion): void {
  const kind = preReleaseKind(a);
  if ((kind !== "alpha" && kind !== "dev") || preReleaseKind(b) !== undefined) return;
  if (compareSeries(a.series, PRERELEASE_LOCK_FROM) < 0) return;
  throw new UpgradeNotAllowed(
    a.tag,
    b.tag,
    `the cluster runs ${kind === "alpha" ? "an alpha" : "a development (master)"} build, and since v22.2 such a cluster cannot move to production releases; restore a backup into a new cluster running ${b.tag}`,
  );
}

/** Cockroach Labs withdrew the release: "do not upgrade to this release" (withdrawn-releases.ts). */
function refuseWithdrawn(a: ParsedVersion, b: ParsedVersion): void {
  if (a.tag === b.tag) return;
  const w = withdrawnRelease(b.tag);
  if (w === undefined) return;
  const next = `pick the next patch release of ${b.series}`;
  throw new UpgradeNotAllowed(a.tag, b.tag, `${b.tag} was ${w.reason}; do not upgrade to it: ${next}`);
}

function classifyWithinSeries(a: ParsedVersion, b: ParsedVersion): UpgradeKind {
  const order = semver.compare(a.tag, b.tag);
  if (order === 0) return "none";
  return order < 0 ? "patch" : "patch-downgrade";
}

function classifyMajorUpgrade(a: ParsedVersion, b: ParsedVersion, ctx: MoveContext): UpgradeKind {
  const next = allowedNextSeries(a.series);
  if (preReleaseKind(a) !== undefined && preReleaseKind(b) === undefined) {
    throw new UpgradeNotAllowed(
      a.tag,
      b.tag,
      `major upgrades start from a production release of ${a.series}; move to a production v${a.series}.x patch first`,
    );
  }
  refuseUnfinalized(a, b, ctx);
  if (next.includes(b.series)) return "major";
  const path = upgradePath(a.series, b.series);
  const why =
    next.length === 0 ? `no later series than ${a.series} is known` : `${b.series} cannot be reached from ${a.series} in one step`;
  throw new UpgradeNotAllowed(a.tag, b.tag, why, next, path.length > 2 ? path : []);
}

function refuseUnfinalized(a: ParsedVersion, b: ParsedVersion, ctx: MoveContext): void {
  // Only the cluster version says whether *this* series was finalized; a stored
  // `finalized: false` may belong to the upgrade being resumed.
  if (ctx.clusterVersion === undefined) return;
  const cv = parseClusterVersion(ctx.clusterVersion);
  // CockroachDB refuses any version bump while cluster.preserve_downgrade_option is set
  // (clusterversion/setting.go validateVersionUpgrade): it is reset first, never set to an old value.
  const preserveEra = finalizationBlockFor(cv.series).setting === "cluster.preserve_downgrade_option";
  const explicit = `SET CLUSTER SETTING version = '${a.series}'`;
  const byHand = preserveEra
    ? `RESET CLUSTER SETTING cluster.preserve_downgrade_option (CockroachDB refuses any version change while it is set; auto-finalization follows), or after that reset ${explicit}`
    : `${explicit} (after RESET CLUSTER SETTING cluster.preserve_downgrade_option if it is set: CockroachDB refuses any version change while it is), or re-enable auto-finalization: SET CLUSTER SETTING cluster.auto_upgrade.enabled = true`;
  // The finalize mode belongs to the run that rolls to a.tag: naming it with the new version would not finalize a.series.
  const howTo =
    `finalize the previous upgrade first: ${byHand}, ` +
    `or run pulumi up once with version ${a.tag} and strategy.finalize "auto"; then move to ${b.tag}`;
  if (cv.inTransition) {
    throw new UpgradeNotAllowed(
      a.tag,
      b.tag,
      `finalization is still running (cluster version ${ctx.clusterVersion}); wait until SHOW CLUSTER SETTING version shows ${a.series}`,
    );
  }
  if (compareSeries(cv.series, a.series) < 0) {
    throw new UpgradeNotAllowed(a.tag, b.tag, `the upgrade to ${a.series} is not finalized (cluster version ${cv.series}); ${howTo}`);
  }
}

function classifyMajorRollback(a: ParsedVersion, b: ParsedVersion, ctx: MoveContext): UpgradeKind {
  const restore = `a finalized cluster cannot be downgraded; restore a backup into a new cluster running ${b.tag}`;
  if (!allowedNextSeries(b.series).includes(a.series)) {
    throw new UpgradeNotAllowed(
      a.tag,
      b.tag,
      `a major rollback only goes back to the series the cluster was upgraded from, and ${a.series} is not one step from ${b.series}; ${restore}`,
    );
  }
  if (ctx.finalized === true) throw new UpgradeNotAllowed(a.tag, b.tag, `the upgrade to ${a.series} was finalized; ${restore}`);
  if (ctx.clusterVersion === undefined) return "major-rollback";
  const cv = parseClusterVersion(ctx.clusterVersion);
  if (cv.inTransition) {
    throw new UpgradeNotAllowed(
      a.tag,
      b.tag,
      `finalization to ${a.series} is running (cluster version ${ctx.clusterVersion}); it cannot be undone; ${restore}`,
    );
  }
  if (cv.series === b.series) return "major-rollback";
  if (compareSeries(cv.series, a.series) >= 0) {
    throw new UpgradeNotAllowed(a.tag, b.tag, `the upgrade to ${a.series} was finalized (cluster version ${cv.series}); ${restore}`);
  }
  throw new UpgradeNotAllowed(
    a.tag,
    b.tag,
    `the cluster came from ${cv.series} (cluster version), so it can only roll back to ${cv.series}`,
    [cv.series],
  );
}
