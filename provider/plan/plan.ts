/**
 * Pure: what the cluster runs + the desired Spec -> the ordered rollout plan.
 * "What changes" (kind, finalization) is decided by versions.ts; this module
 * decides "how it rolls out": which nodes, in which batches, with which bakes.
 *
 * In order to roll a node, it must not already be on the target: a node whose
 * running build and binary are both the target is skipped, so a re-run after
 * a partial failure resumes where it stopped.
 */
import { isSingleNode, singleNodePlanNote } from "../spec/single-node";
import { formatDuration } from "../core/duration";
import { UpgradeNotAllowed } from "../core/errors";
import type { FinalizeMode, ObservedCluster, ObservedNode, Plan, PlanBatch, Spec, UpgradeKind } from "../core/types";
import { classifyMove, compareSeries, finalizationBlockFor, parseClusterVersion, seriesOf } from "../versions/versions";
import type { Pace } from "./pace";
import { describeHold } from "./time-model";
import { estimateBasis, estimateRolloutMs, type DrainSettingsMs } from "./estimate";

export { FIRST_ROLL, estimateRolloutMs } from "./estimate";

/** Most significant first: a plan mixing kinds (a resumed roll) is described by the strongest. */
const KIND_RANK: readonly UpgradeKind[] = ["major", "major-rollback", "patch", "patch-downgrade", "none"];

/** For the estimate only: `pace` (pace.ts, from the last rollout record), `drain` (the cluster's drain settings). */
export function planRollout(spec: Spec, observed: ObservedCluster, pace?: Pace, drain?: DrainSettingsMs): Plan {
  const byName = new Map(observed.nodes.map((n) => [n.name, n] as const));
  const onTarget = (name: string): boolean => isOnTarget(byName.get(name), spec.version);
  const skip = spec.strategy.order.filter(onTarget);
  const todo = spec.strategy.order.filter((n) => !onTarget(n));
  const notes: string[] = [];
  const builds = buildsOf(todo, byName, spec.version, notes);
  const kind = classifyAll(builds, spec.version, observed);
  const batches = applyBakes(spec, batchNodes(spec, todo, observed, notes), skip, notes);
  if (observed.unlistedNodeIds.length > 0) {
    notes.push(
      `the cluster has active nodes not in the spec (node ids ${observed.unlistedNodeIds.join(", ")}); they are not rolled, and finalization waits for them`,
    );
  }
  if (spec.strategy.paused && batches.length > 0)
    notes.push("paused: the rollout stops before touching the next node; set strategy.paused to false to continue");
  const finalize: Plan["finalize"] = kind === "major" ? spec.strategy.finalize : { mode: "not-applicable" };
  return {
    from: describeFrom(builds, spec.version),
    to: spec.version,
    kind,
    skip,
    batches,
    ...blockFor(kind, builds, spec.version, observed),
    finalize,
    estimatedMs: estimateRolloutMs(spec, batches, pace, drain),
    estimateBasis: estimateBasis(pace, drain),
    notes,
  };
}

function isOnTarget(n: ObservedNode | undefined, target: string): boolean {
  return n !== undefined && n.build === target && n.binaryBuild === target;
}

/**
 * Build tag -> node names, for nodes still to roll. A node is judged by what
 * it runs, unless it runs the target already (then its binary on disk is what
 * differs) or is stopped (then its binary is what would run).
 */
function buildsOf(
  todo: readonly string[],
  byName: ReadonlyMap<string, ObservedNode>,
  target: string,
  notes: string[],
): ReadonlyMap<string, string[]> {
  const builds = new Map<string, string[]>();
  const unknown: string[] = [];
  for (const name of todo) {
    const obs = byName.get(name);
    const build = obs?.build !== undefined && obs.build !== target ? obs.build : (obs?.binaryBuild ?? obs?.build);
    if (build === undefined) unknown.push(name);
    else builds.set(build, [...(builds.get(build) ?? []), name]);
  }
  if (unknown.length > 0)
    notes.push(`running build unknown for ${unknown.join(", ")}; they are rolled like the others and checked before they are touched`);
  if (todo.length > 0 && builds.size === 0) {
    throw new UpgradeNotAllowed(
      "unknown",
      todo.join(", "),
      `no node to roll (${todo.join(", ")}) reports its build, so the version move cannot be checked`,
    );
  }
  return builds;
}

function classifyAll(builds: ReadonlyMap<string, string[]>, target: string, observed: ObservedCluster): UpgradeKind {
  const ctx = observed.clusterVersion === undefined ? {} : { clusterVersion: observed.clusterVersion };
  const kinds = [...builds.keys()].map((b) => classifyMove(b, target, ctx));
  return KIND_RANK.find((k) => kinds.includes(k)) ?? "none";
}

function describeFrom(builds: ReadonlyMap<string, string[]>, target: string): string {
  if (builds.size === 0) return target;
  if (builds.size === 1) return [...builds.keys()][0];
  return `mixed: ${[...builds].map(([b, names]) => `${b} (${names.join(", ")})`).join(", ")}`;
}

/**
 * Majors block auto-finalization for the whole roll; so do major rollbacks,
 * since the block set by the upgrade must stay until every node is back.
 * The series the block names is the cluster version's (it must equal it).
 */
function blockFor(
  kind: UpgradeKind,
  builds: ReadonlyMap<string, string[]>,
  target: string,
  observed: ObservedCluster,
): Pick<Plan, "blockFinalization"> {
  if (kind !== "major" && kind !== "major-rollback") return {};
  const lowest = [...builds.keys(), target].map(seriesOf).sort(compareSeries)[0];
  const current = observed.clusterVersion === undefined ? lowest : parseClusterVersion(observed.clusterVersion).series;
  return { blockFinalization: finalizationBlockFor(current) };
}

/**
 * One node per batch, unless locality batching is asked for: then each
 * locality the observed placement proves may be down as a whole rolls
 * together (at most maxUnavailable at once); a locality not proven rolls one
 * node at a time, and the notes say why.
 */
function batchNodes(
  spec: Spec,
  todo: readonly string[],
  observed: ObservedCluster,
  notes: string[],
): { nodes: string[]; locality?: string }[] {
  const localityOf = new Map(spec.nodes.map((n) => [n.name, n.locality] as const));
  const single = todo.map((n) => ({ nodes: [n], locality: localityOf.get(n) ?? "" }));
  if (spec.strategy.batch !== "locality" || todo.length === 0) return single;
  const groups = new Map<string, string[]>();
  for (const name of todo) {
    const loc = localityOf.get(name) ?? "";
    groups.set(loc, [...(groups.get(loc) ?? []), name]);
  }
  const proven = provenLocalities(observed, [...groups.keys()], notes);
  if (proven.size === 0) return single;
  const size = spec.strategy.maxUnavailable;
  const batches: { nodes: string[]; locality?: string }[] = [];
  for (const [locality, names] of groups) {
    const step = proven.has(locality) ? size : 1;
    for (let i = 0; i < names.length; i += step) batches.push({ nodes: names.slice(i, i + step), locality });
  }
  if ([...groups].some(([loc, g]) => proven.has(loc) && g.length > size)) {
    notes.push(`localities with more than ${size} node(s) are split: strategy.maxUnavailable is ${size}`);
  }
  return batches;
}

/** The localities (of those to roll) that may go down whole; notes why the others may not. */
function provenLocalities(observed: ObservedCluster, localities: readonly string[], notes: string[]): ReadonlySet<string> {
  if (observed.localityProofDeferred === true) {
    notes.push(
      "locality batches: each is proven from replica placement right before it starts; one that cannot be proven rolls one node at a time",
    );
    return new Set(localities);
  }
  const verdicts = observed.localityVerdicts;
  if (verdicts === undefined) {
    if (observed.localitySafe === true) return new Set(localities);
    const why = observed.localityReason ?? "replica placement was not shown to keep a quorum with a whole locality down";
    notes.push(`locality batching fell back to one node at a time: ${why}`);
    return new Set();
  }
  const verdictOf = (loc: string) => verdicts.find((v) => v.locality === loc);
  const proven = new Set(localities.filter((loc) => verdictOf(loc)?.safe === true));
  const unproven = localities.filter((loc) => !proven.has(loc));
  const why = (loc: string): string => verdictOf(loc)?.reason ?? `no placement verdict for ${loc}`;
  if (proven.size === 0) {
    notes.push(`locality batching fell back to one node at a time: ${observed.localityReason ?? unproven.map(why).join(" | ")}`);
  } else {
    for (const loc of unproven) notes.push(`locality ${loc} rolls one node at a time: ${why(loc)}`);
  }
  return proven;
}

/** The first batch is the canary unless some node already runs the target (the canary already happened). */
function applyBakes(
  spec: Spec,
  batches: readonly { nodes: string[]; locality?: string }[],
  skip: readonly string[],
  notes: string[],
): PlanBatch[] {
  const { canary, canaryBakeMs, waitAfterRejoinMs } = spec.strategy;
  const canaryFirst = canary && skip.length === 0;
  if (canary && skip.length > 0 && batches.length > 0) notes.push(`no canary: already on ${spec.version}: ${skip.join(", ")}`);
  return batches.map((b, i) => ({
    nodes: b.nodes,
    bakeMs: canaryFirst && i === 0 ? canaryBakeMs : waitAfterRejoinMs,
    canary: canaryFirst && i === 0,
    ...(b.locality !== undefined && b.locality !== "" && { locality: b.locality }),
  }));
}

/** A batch split into single nodes (a locality no longer provably safe); only the first keeps a canary's bake. */
export function oneAtATime(batch: PlanBatch, waitAfterRejoinMs: number): PlanBatch[] {
  return batch.nodes.map((name, i) => ({
    nodes: [name],
    bakeMs: i === 0 ? batch.bakeMs : waitAfterRejoinMs,
    canary: batch.canary && i === 0,
    ...(batch.locality !== undefined && { locality: batch.locality }),
  }));
}

/** The human lines shown in preview and logs. */
export function renderPlan(plan: Plan, spec: Spec): string[] {
  const total = spec.nodes.length;
  if (plan.batches.length === 0) {
    return [`crdb-upgrade: all ${total} node(s) already run ${plan.to}; nothing to roll`, ...plan.notes.map((n) => `  note: ${n}`)];
  }
  const pace = plan.batches.every((b) => b.nodes.length === 1) ? "one at a time" : `in ${plan.batches.length} batches by locality`;
  const labels = plan.batches.map((b) => `${b.nodes.join(", ")}${b.locality ? ` [${b.locality}]` : ""}${b.canary ? " (canary)" : ""}`);
  const width = Math.max(...labels.map((l) => l.length));
  const steps = "drain -> stop -> swap -> start -> ready";
  const lines = [`crdb-upgrade: ${plan.from} -> ${plan.to} (${plan.kind}), ${total} node(s), ${pace}`];
  plan.batches.forEach((b, i) =>
    lines.push(`  ${i + 1}. ${labels[i].padEnd(width)}  ${steps} -> ${describeHold(b.bakeMs, spec.strategy, formatDuration)}`),
  );
  const watchMs = spec.strategy.watchMs;
  lines.push(
    watchMs > 0
      ? `  then: watch the whole cluster for ${formatDuration(watchMs)} (strategy.watch); a crash or failed gate inside it rolls back${plan.kind === "major" ? ", finalization waits for it" : ""}`
      : "  then: no post-roll watch window (strategy.watch is 0)",
  );
  if (plan.blockFinalization) {
    lines.push(`  finalization held during the roll: ${plan.blockFinalization.setting} = ${plan.blockFinalization.value}`);
  }
  const rollback = spec.strategy.rollbackOnFailure ? "yes" : "no";
  lines.push(
    `  skip: ${plan.skip.length > 0 ? plan.skip.join(", ") : "(none)"}   rollback on failure: ${rollback}   finalize: ${describeFinalize(plan)}`,
  );
  lines.push(...plan.notes.map((n) => `  note: ${n}`));
  if (isSingleNode(spec)) lines.push(`  ${singleNodePlanNote(spec.nodes[0].name)}`);
  lines.push(`  estimated duration: ~${formatDuration(Math.ceil(plan.estimatedMs / 1000) * 1000)} (${plan.estimateBasis})`);
  return lines;
}

function describeFinalize(plan: Plan): string {
  const f: FinalizeMode | { readonly mode: "not-applicable" } = plan.finalize;
  const series = seriesOf(plan.to);
  switch (f.mode) {
    case "not-applicable":
      return `n/a (${plan.kind})`;
    case "manual":
      // The held preserve_downgrade_option must be reset first: CockroachDB refuses any version change while it is set.
      return plan.blockFinalization?.setting === "cluster.preserve_downgrade_option"
        ? `manual (when satisfied: RESET CLUSTER SETTING cluster.preserve_downgrade_option, then SET CLUSTER SETTING version = '${series}'; until then rollback stays possible)`
        : `manual (when satisfied: SET CLUSTER SETTING version = '${series}'; until then rollback stays possible)`;
    case "auto":
      return "auto, after the last bake";
    case "afterBake":
      return `after a further ${formatDuration(f.bakeMs)} bake`;
  }
}
