/**
 * Validation and defaults of `strategy`: order, canary, bakes, gate timing,
 * deadlines, batching limits and finalization mode.
 *
 * maxUnavailable is capped so that quorum is never at risk: with 3x
 * replication a range survives one replica down, so without locality
 * batching only one node may be down at a time. Larger batches are allowed
 * only with `batch: "locality"`, where the plan also needs the observed
 * replica placement to prove each range keeps a quorum.
 */
import { formatDuration } from "../core/duration";
import type { Deadlines, FinalizeMode, Strategy } from "../core/types";
import { Reader, join, readBool, readDuration, readInt, readObject, readOneOf, readStringArray, shown } from "./read";
import type { NodesRead } from "./nodes";
import { durationMsOrReason } from "../core/duration";

const STRATEGY_KEYS = [
  "order",
  "canary",
  "canaryBake",
  "waitAfterRejoin",
  "gateSamples",
  "gateInterval",
  "gateRecheckAfter",
  "deadlines",
  "overallDeadline",
  "maxUnavailable",
  "batch",
  "rollbackOnFailure",
  "finalize",
  "paused",
  "loadBalancer",
  "leaseTtl",
  "allowDowntime",
  "watch",
] as const;
const DEADLINE_KEYS = ["drain", "stop", "start", "ready", "cluster", "finalize", "probe", "swap"] as const;

/** Defaults, as documented on StrategyInput in types.ts. */
export const STRATEGY_DEFAULTS = {
  waitAfterRejoinMs: 60_000,
  canary: true,
  gateSamples: 3,
  gateIntervalMs: 5_000,
  gateRecheckAfterMs: 10_000,
  overallDeadlineMs: 6 * 3_600_000,
  maxUnavailable: 1,
  batch: "node",
  rollbackOnFailure: true,
  paused: false,
  leaseTtlMs: 60_000,
  allowDowntime: false,
  /**
   * The post-roll watch window. 5 minutes: CockroachDB's own patience for a
   * dead node (server.time_until_store_dead defaults to 5m0s before its
   * replicas move), and long enough for the faults that show only after the
   * last bake (a release that crashes minutes after start, a job that runs
   * after startup), short enough not to hold a routine patch for long.
   */
  watchMs: 5 * 60_000,
} as const;

/** Below this the heartbeat (every quarter of the TTL) would race the SQL round trips it makes. */
const MIN_LEASE_TTL_MS = 2_000;

export const DEADLINE_DEFAULTS: Deadlines = {
  drainMs: 10 * 60_000,
  stopMs: 5 * 60_000,
  startMs: 5 * 60_000,
  readyMs: 10 * 60_000,
  clusterMs: 10 * 60_000,
  finalizeMs: 30 * 60_000,
  /** One command on a node's host that only reads (process state, build tags, the journal, pids, signals). */
  probeMs: 30_000,
  /** Installing a binary and its lib/ in place (cp + rename), or copying `_old` into the staging area. */
  swapMs: 2 * 60_000,
};

export function readStrategy(r: Reader, v: unknown, nodes: NodesRead): Strategy {
  const raw = readObject(r, "strategy", v, STRATEGY_KEYS) ?? {};
  const at = (k: string): string => join("strategy", k);
  const waitAfterRejoinMs = readDuration(r, at("waitAfterRejoin"), raw.waitAfterRejoin, false) ?? STRATEGY_DEFAULTS.waitAfterRejoinMs;
  const batch = readOneOf(r, at("batch"), raw.batch, ["node", "locality"] as const) ?? STRATEGY_DEFAULTS.batch;
  if (batch === "locality") refuseMissingLocalities(r, nodes);
  return {
    order: readOrder(r, raw.order, nodes),
    canary: readBool(r, at("canary"), raw.canary) ?? STRATEGY_DEFAULTS.canary,
    canaryBakeMs: readDuration(r, at("canaryBake"), raw.canaryBake, false) ?? 2 * waitAfterRejoinMs,
    waitAfterRejoinMs,
    gateSamples: readInt(r, at("gateSamples"), raw.gateSamples, 1, 100) ?? STRATEGY_DEFAULTS.gateSamples,
    gateIntervalMs: readDuration(r, at("gateInterval"), raw.gateInterval, true) ?? STRATEGY_DEFAULTS.gateIntervalMs,
    gateRecheckAfterMs: readDuration(r, at("gateRecheckAfter"), raw.gateRecheckAfter, false) ?? STRATEGY_DEFAULTS.gateRecheckAfterMs,
    deadlines: readDeadlines(r, raw.deadlines),
    overallDeadlineMs: readDuration(r, at("overallDeadline"), raw.overallDeadline, true) ?? STRATEGY_DEFAULTS.overallDeadlineMs,
    maxUnavailable: readMaxUnavailable(r, raw.maxUnavailable, batch, nodes),
    batch,
    rollbackOnFailure: readBool(r, at("rollbackOnFailure"), raw.rollbackOnFailure) ?? STRATEGY_DEFAULTS.rollbackOnFailure,
    finalize: readFinalize(r, at("finalize"), raw.finalize) ?? { mode: "manual" },
    paused: readBool(r, at("paused"), raw.paused) ?? STRATEGY_DEFAULTS.paused,
    allowDowntime: readBool(r, at("allowDowntime"), raw.allowDowntime) ?? STRATEGY_DEFAULTS.allowDowntime,
    ...readLoadBalancer(r, raw.loadBalancer),
    leaseTtlMs: readLeaseTtl(r, raw.leaseTtl),
    watchMs: readWatch(r, raw.watch, raw.overallDeadline),
  };
}

/** A duration, "0s" turning the window off; it must fit well inside the overall deadline. */
function readWatch(r: Reader, v: unknown, overall: unknown): number {
  const p = "strategy.watch";
  const ms = readDuration(r, p, v, false);
  if (ms === undefined) return STRATEGY_DEFAULTS.watchMs;
  const overallMs = (overall === undefined ? STRATEGY_DEFAULTS.overallDeadlineMs : durationMsOrReason(overall)) as number | string;
  if (typeof overallMs === "number" && ms >= overallMs) {
    return (
      r.fail(
        p,
        `must be shorter than strategy.overallDeadline (${formatDuration(overallMs)}; got ${shown(v)}): the window runs inside the update; "0s" turns it off`,
      ),
      STRATEGY_DEFAULTS.watchMs
    );
  }
  return ms;
}

function readLeaseTtl(r: Reader, v: unknown): number {
  const ms = readDuration(r, "strategy.leaseTtl", v, true);
  if (ms === undefined) return STRATEGY_DEFAULTS.leaseTtlMs;
  if (ms < MIN_LEASE_TTL_MS)
    return (
      r.fail("strategy.leaseTtl", `must be at least 2s (got ${shown(v)}): the lease is renewed every quarter of it`),
      STRATEGY_DEFAULTS.leaseTtlMs
    );
  return ms;
}

/** `{ checkInterval, fall }`, both required; absent stays absent (no warning at pre-flight). */
function readLoadBalancer(r: Reader, v: unknown): Pick<Strategy, "loadBalancer"> {
  const p = "strategy.loadBalancer";
  const raw = readObject(r, p, v, ["checkInterval", "fall"]);
  if (raw === undefined) return {};
  if (raw.checkInterval === undefined)
    r.fail(join(p, "checkInterval"), 'is required: the health-check interval, e.g. "2s" for HAProxy inter 2000');
  if (raw.fall === undefined) r.fail(join(p, "fall"), "is required: failed checks before the node is taken out, e.g. 3 for HAProxy fall 3");
  const checkIntervalMs = readDuration(r, join(p, "checkInterval"), raw.checkInterval, true);
  const fall = readInt(r, join(p, "fall"), raw.fall, 1, 100);
  return checkIntervalMs === undefined || fall === undefined ? {} : { loadBalancer: { checkIntervalMs, fall } };
}

function readDeadlines(r: Reader, v: unknown): Deadlines {
  const raw = readObject(r, "strategy.deadlines", v, DEADLINE_KEYS) ?? {};
  const d = (k: (typeof DEADLINE_KEYS)[number], dflt: number): number =>
    readDuration(r, join("strategy.deadlines", k), raw[k], true) ?? dflt;
  return {
    drainMs: d("drain", DEADLINE_DEFAULTS.drainMs),
    stopMs: d("stop", DEADLINE_DEFAULTS.stopMs),
    startMs: d("start", DEADLINE_DEFAULTS.startMs),
    readyMs: d("ready", DEADLINE_DEFAULTS.readyMs),
    clusterMs: d("cluster", DEADLINE_DEFAULTS.clusterMs),
    finalizeMs: d("finalize", DEADLINE_DEFAULTS.finalizeMs),
    probeMs: d("probe", DEADLINE_DEFAULTS.probeMs),
    swapMs: d("swap", DEADLINE_DEFAULTS.swapMs),
  };
}

/** `order` must name every node exactly once; defaults to the `nodes` order. */
function readOrder(r: Reader, v: unknown, nodes: NodesRead): readonly string[] {
  const known = nodes.names?.filter((n): n is string => n !== undefined) ?? [];
  const order = readStringArray(r, "strategy.order", v);
  if (order === undefined) return known;
  // With any node name unknown (preview) or invalid, completeness cannot be judged.
  if (nodes.names === undefined || known.length !== nodes.names.length) return order.filter((n): n is string => n !== undefined);
  const seen = new Set<string>();
  const knownSet = new Set(known);
  order.forEach((name, i) => {
    if (name === undefined) return;
    if (!knownSet.has(name))
      r.fail(`strategy.order[${i}]`, `names no node: ${shown(name)}; node names are ${known.map((n) => `"${n}"`).join(", ")}`);
    else if (seen.has(name)) r.fail(`strategy.order[${i}]`, `lists ${shown(name)} twice; each node appears once`);
    seen.add(name);
  });
  const missing = known.filter((n) => !seen.has(n));
  if (missing.length > 0) r.fail("strategy.order", `must list every node once; missing ${missing.map((n) => `"${n}"`).join(", ")}`);
  return order.filter((n): n is string => n !== undefined);
}

function readMaxUnavailable(r: Reader, v: unknown, batch: "node" | "locality", nodes: NodesRead): number {
  const p = "strategy.maxUnavailable";
  const n = readInt(r, p, v, 1, 1000);
  if (n === undefined || n === 1) return n ?? STRATEGY_DEFAULTS.maxUnavailable;
  if (batch !== "locality") {
    r.fail(
      p,
      `must be 1 unless strategy.batch is "locality" (got ${n}): with 3x replication a range survives only one node down, and only locality batching can prove that no range has two replicas in one batch`,
    );
  } else if (nodes.names !== undefined && n > nodes.names.length - 1) {
    r.fail(
      p,
      `must be at most ${Math.max(1, nodes.names.length - 1)} (the number of nodes minus one) so that the cluster keeps a quorum (got ${n})`,
    );
  }
  return n;
}

function refuseMissingLocalities(r: Reader, nodes: NodesRead): void {
  nodes.localities.forEach((loc, i) => {
    if (loc === "") r.fail(`nodes[${i}].locality`, 'is required when strategy.batch is "locality" (e.g. "region=us-east1,zone=a")');
  });
}

/** `manual`, `auto` or `afterBake:<duration>`, e.g. "afterBake:30m". */
export function readFinalize(r: Reader, p: string, v: unknown): FinalizeMode | undefined {
  if (v === undefined || r.isUnknown(p, v)) return undefined;
  const expected = `must be "manual", "auto" or "afterBake:<duration>" like "afterBake:30m" (got ${shown(v)})`;
  if (v === "manual" || v === "auto") return { mode: v };
  if (typeof v !== "string" || !v.startsWith("afterBake:")) return r.fail(p, expected);
  const ms = durationMsOrReason(v.slice("afterBake:".length));
  if (typeof ms === "string") return r.fail(p, `the duration after "afterBake:" ${ms}`);
  return { mode: "afterBake", bakeMs: ms };
}

export function describeFinalize(f: FinalizeMode): string {
  return f.mode === "afterBake" ? `after a ${formatDuration(f.bakeMs)} bake` : f.mode;
}
