/**
 * Pure diff for the engine: desired inputs against the stored *outputs*.
 * It runs on every preview and up, so it does no I/O: the plan it prints
 * comes from the last recorded node versions, and the cluster is re-read
 * before any node is touched.
 *
 * A version change is never a replacement (that would delete and recreate
 * "the cluster"); `replaces` is always empty.
 */
import { isSpecError, isUpgradeNotAllowed, messageOf } from "../core/errors";
import type {
  CheckFailure,
  ClusterVersionInputs,
  ClusterVersionOutputs,
  FinalizeMode,
  ObservedCluster,
  ObservedNode,
  Plan,
  Spec,
} from "../core/types";
import { UNKNOWN } from "../core/types";
import { isUnknown, parseSpec, refuseIfFinalized } from "../spec/parse";
import { planRollout, renderPlan } from "./plan";
import { paceFrom, type Pace } from "./pace";
import { formatDuration } from "../core/duration";
import { type FinalizationBlock, finalizeHint } from "./finalize-hint";
import { compareSeries, parseClusterVersion, seriesOf } from "../versions/versions";
import { changedInputKeys } from "./input-equivalence";
import { refuseSingleNodeRoll } from "../spec/single-node";

export { COMPARED_KEYS } from "./input-equivalence";

export interface DiffOutcome {
  readonly changes: boolean;
  /** Always empty: the cluster is updated in place, never replaced. */
  readonly replaces: string[];
  readonly deleteBeforeReplace?: boolean;
  /** The plan preview for the lifecycle to print; empty when nothing changes. */
  readonly lines: string[];
  /** Set when the move is one CockroachDB cannot make (e.g. a downgrade after finalization). */
  readonly refusal?: CheckFailure;
}

export function diffResource(olds: Partial<ClusterVersionOutputs>, news: ClusterVersionInputs): DiffOutcome {
  const changed = changedInputKeys(olds, news);
  const lagging = laggingNodes(olds, news.version);
  const pending = pendingFinalization(olds, news);
  const finishes = pending !== undefined && pending.mode.mode !== "manual";
  const changes = changed.length > 0 || lagging.length > 0 || finishes;
  const pendingText = pending ? pendingLines(pending, olds) : [];
  if (!changes) return { changes, replaces: [], lines: pendingText };
  const refusal = refuseIfFinalized(olds, news.version);
  if (refusal !== undefined) return { changes, replaces: [], lines: [`crdb-upgrade: refused: ${refusal.reason}`], refusal };
  // Only the finalization is left: no plan to show, the pending lines say what up does.
  if (changed.length === 0 && lagging.length === 0) return { changes, replaces: [], lines: pendingText };
  const preview = previewLines(olds, news, changed, lagging);
  return { changes, replaces: [], ...preview, lines: [...preview.lines, ...pendingText] };
}

/** Nodes whose last recorded version is not the target: a failed or interrupted roll to resume. */
function laggingNodes(olds: Partial<ClusterVersionOutputs>, target: unknown): string[] {
  if (typeof target !== "string" || target === UNKNOWN || !Array.isArray(olds.nodeStatuses)) return [];
  return olds.nodeStatuses.filter((s) => s.version !== target).map((s) => s.name);
}

function previewLines(
  olds: Partial<ClusterVersionOutputs>,
  news: ClusterVersionInputs,
  changed: readonly string[],
  lagging: readonly string[],
): { lines: string[]; refusal?: CheckFailure } {
  const why = [
    changed.length > 0 ? `inputs changed: ${changed.join(", ")}` : "",
    lagging.length > 0 ? `not yet on the target: ${lagging.join(", ")}` : "",
  ]
    .filter((s) => s !== "")
    .join("; ");
  if (isUnknown(news.version) || isUnknown(news.nodes) || isUnknown(news.strategy)) {
    const to = news.version === UNKNOWN ? "(computed)" : String(news.version);
    return { lines: [`crdb-upgrade: ${olds.version ?? "(unknown)"} -> ${to}: the plan is shown once the inputs are known (${why})`] };
  }
  let spec: Spec;
  try {
    spec = parseSpec(news);
  } catch (e) {
    const what = isSpecError(e) ? e.message : messageOf(e);
    return { lines: [`crdb-upgrade: inputs cannot be used: ${what}`] };
  }
  const observed = observedFromOutputs(olds, spec);
  const planned = planOrRefusal(spec, observed, paceFrom(olds.lastRollout));
  if (planned.refusal !== undefined)
    return { lines: [`crdb-upgrade: refused: ${planned.refusal}`], refusal: { property: "version", reason: planned.refusal } };
  const downtime = refuseSingleNodeRoll(spec, planned.plan);
  if (downtime !== undefined) return { lines: [`crdb-upgrade: refused: ${downtime.reason}`], refusal: downtime };
  const lines = renderPlan(planned.plan, spec);
  if (planned.staleWarning !== undefined)
    lines.push(
      `  warning: by the last recorded state, ${planned.staleWarning}; update re-reads the cluster and refuses unless that changed`,
    );
  if (planned.plan.batches.length === 0) lines.push(`  ${why}; outputs are rewritten, no node is restarted`);
  else lines.push(`  (${why}; from the last recorded state: the cluster is re-read before any node is touched)`);
  return { lines };
}

/**
 * A refusal that depends only on the recorded cluster version ("not finalized
 * yet") may be stale: finalization can happen after the state was written
 * (auto-finalization, or an operator's SET CLUSTER SETTING version). Such a
 * refusal becomes a warning; the version rules themselves stay a refusal.
 * (The opposite never goes stale: a finalized cluster stays finalized.)
 */
function planOrRefusal(
  spec: Spec,
  observed: ObservedCluster,
  pace?: Pace,
): { plan: Plan; staleWarning?: string; refusal?: undefined } | { refusal: string } {
  try {
    return { plan: planRollout(spec, observed, pace) };
  } catch (e) {
    if (!isUpgradeNotAllowed(e)) throw e;
    if (observed.clusterVersion === undefined) return { refusal: e.message };
    const { clusterVersion: _dropped, ...withoutVersion } = observed;
    try {
      const plan = planRollout(spec, withoutVersion, pace);
      // Only "finalize the previous upgrade first" can go stale; rollback refusals cannot.
      return plan.kind === "major" ? { plan, staleWarning: e.reason } : { refusal: e.message };
    } catch {
      return { refusal: e.message };
    }
  }
}

/**
 * What the stored outputs say each node ran. The binary is assumed to match
 * the running build, and nodes without a status are assumed on the last
 * desired version; update re-reads both from the hosts.
 */
export function observedFromOutputs(olds: Partial<ClusterVersionOutputs>, spec: Spec): ObservedCluster {
  const statuses = new Map((Array.isArray(olds.nodeStatuses) ? olds.nodeStatuses : []).map((s) => [s.name, s] as const));
  const nodes: ObservedNode[] = spec.nodes.map((n) => {
    const s = statuses.get(n.name);
    const build = s?.version ?? (typeof olds.version === "string" ? olds.version : undefined);
    const running = (s?.state ?? "running") === "running";
    return {
      name: n.name,
      ...(s?.nodeId !== undefined && { nodeId: s.nodeId }),
      ...(build !== undefined && { build, binaryBuild: build }),
      process: s?.state ?? "unknown",
      live: running,
      draining: s?.state === "draining",
      ready: running,
    };
  });
  return {
    nodes,
    ...(typeof olds.clusterVersion === "string" && { clusterVersion: olds.clusterVersion }),
    unlistedNodeIds: [],
    // Placement is read (and each locality batch proven) at update time.
    localityProofDeferred: true,
  };
}

export { canonical } from "../core/canonical";

/** A major upgrade whose roll is done and whose finalization is not, by the stored outputs. */
export interface PendingFinalization {
  readonly series: string;
  readonly clusterVersion: string;
  readonly mode: FinalizeMode;
}

/**
 * Pure: the finalization still to do when every node runs the target (by
 * the outputs) and the cluster version is below the target's series. Under
 * `auto` or `afterBake` that is a difference (`up` finishes it); under
 * `manual` it is only shown, with the way to do it.
 */
export function pendingFinalization(olds: Partial<ClusterVersionOutputs>, news: ClusterVersionInputs): PendingFinalization | undefined {
  if (olds.finalized !== false || typeof olds.clusterVersion !== "string" || typeof news.version !== "string") return undefined;
  if (isUnknown(news.strategy) || isUnknown(news.nodes)) return undefined;
  if (!Array.isArray(olds.nodeStatuses) || olds.nodeStatuses.length === 0) return undefined;
  if (olds.nodeStatuses.some((s) => s.version !== news.version)) return undefined;
  let mode: FinalizeMode;
  let series: string;
  try {
    mode = parseSpec(news).strategy.finalize;
    series = seriesOf(news.version);
    const cv = parseClusterVersion(olds.clusterVersion);
    if (!cv.inTransition && compareSeries(cv.series, series) >= 0) return undefined;
  } catch {
    return undefined;
  }
  return { series, clusterVersion: olds.clusterVersion, mode };
}

/** What preview and up print about a pending finalization. */
export function pendingLines(p: PendingFinalization, olds: Partial<ClusterVersionOutputs>): string[] {
  const head = `crdb-upgrade: finalization of ${p.series} is pending (cluster version ${p.clusterVersion}; every node runs the target)`;
  if (p.mode.mode === "manual") {
    const hint = olds.finalizeHint ?? finalizeHint(toBlock(olds.finalizationBlock), p.series);
    return [head, `  strategy.finalize is manual, so pulumi up leaves it: ${hint}`];
  }
  const bake = p.mode.mode === "afterBake" ? `holds the cluster gate for ${formatDuration(p.mode.bakeMs)}, then ` : "";
  return [
    head,
    `  pulumi up finishes it (strategy.finalize is ${p.mode.mode}): ${bake}checks that every node is live and ready, lifts the block and finalizes (no rollback after this)`,
  ];
}

function toBlock(b: ClusterVersionOutputs["finalizationBlock"]): FinalizationBlock | undefined {
  return b && typeof b.setting === "string" ? b : undefined;
}
