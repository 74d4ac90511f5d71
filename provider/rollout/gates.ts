/**
 * The health gates. Each one says yes only on positive evidence: a metric
 * that is missing, a node that does not answer, or a query that fails is a
 * failed sample, never a pass (cockroach-operator's health checker once
 * passed on a missing metric; we must not).
 *
 * - pre-flight: before anything is touched (pure: judges an Observation).
 * - node-ready: the restarted node answers /health?ready=1, is live, and
 *   reports the target build both in gossip and in its own metrics.
 * - cluster: every listed node live and not draining, 0 unavailable and 0
 *   under-replicated ranges (the `calcRangeCounter` verdicts that the
 *   `ranges_unavailable`/`ranges_underreplicated` gauges sum, read live for
 *   every replica from one `/_status/raft`: raft-debug.ts), on
 *   `gateSamples` consecutive samples `gateInterval` apart. Under-replication
 *   right after a restart is expected and waited for; unavailable ranges
 *   (lost quorum) fail a forward roll at once (see failOnUnavailable).
 *   And every follower replica on every node caught up with its Raft
 *   leader, from the same `/_status/raft` answer (catch-up.ts): a
 *   restarted node still catching up its Raft log is why restarting the next
 *   one can lose quorum (#101321). Unreadable counts as not caught up.
 *   (`raftlog_behind` is reported but not gated: it is above 0 on any busy
 *   healthy cluster.)
 * - bake: the cluster gate sampled every `gateInterval` until the bake has
 *   passed since the node's rejoin, and the re-check delay too
 *   (`gateRecheckAfter`: the range flags follow liveness, which lags a node
 *   that died by up to one liveness expiry); both count inside one max
 *   (plan/time-model.ts). A single
 *   failed sample fails the node.
 *
 * The waiting loops are in gate-loops.ts; this file says what one sample is.
 */
import type { ClusterReader } from "../cluster/reader";
import { matchNodes } from "../cluster/reader";
import { describeLagging, describeUnproven, sampleCatchUp } from "../cluster/catch-up";
import { judgeRangeHealth } from "../cluster/raft-debug";
import type { NodeObservation, Observation } from "../cluster/observe";
import type { GateSample, NodeSpec, Strategy } from "../core/types";
import type { Clock } from "./guard";
import { replicationJudged, singleNodeRefusal } from "../spec/single-node";

export interface ClusterSample extends GateSample {
  readonly live: number;
  readonly total: number;
  readonly underReplicated?: number;
  readonly unavailable?: number;
  /** Σ raftlog_behind over the live stores: reported, not gated (non-zero on any busy cluster). */
  readonly raftLogBehind?: number;
  /** Follower replicas not caught up with their leader (catch-up.ts); gated: must be 0. */
  readonly replicasBehind?: number;
}

export interface GateContext {
  readonly reader: ClusterReader;
  readonly nodes: readonly NodeSpec[];
  readonly strategy: Pick<Strategy, "gateSamples" | "gateIntervalMs" | "gateRecheckAfterMs">;
  readonly signal?: AbortSignal;
  readonly onSample?: (s: ClusterSample) => void;
  /**
   * Fail at once on unavailable ranges instead of waiting for them to clear.
   * Rolling forward, lost quorum with one node restarted means an earlier
   * node has not caught up (#101321): going on would make it worse, so the
   * node fails and the roll is reverted. Rolling back, we wait it out.
   */
  readonly failOnUnavailable?: boolean;
  /** The loops' time; the wall clock unless injected (unit tests run them on a virtual clock). */
  readonly clock?: Clock;
  /** One sample of the cluster gate; `sampleClusterGate` over reader and nodes unless injected. */
  readonly sample?: () => Promise<ClusterSample>;
}

export interface PreflightContext {
  readonly target: string;
  /** strategy.allowDowntime: a single-node cluster may be upgraded (with downtime). */
  readonly allowDowntime?: boolean;
  /** Builds that may run besides the target when resuming a half-done roll of it. */
  readonly resuming: boolean;
}

/** Everything that forbids touching the cluster; empty when the pre-flight gate passes. */
export function preflightProblems(obs: Observation, ctx: PreflightContext): string[] {
  if (obs.sqlError !== undefined) {
    // Without SQL, membership and range health cannot be judged: listing those as problems would
    // only hide the cause. The cause, what to check, and any node that is down is the whole answer.
    const down = obs.nodes.filter((n) => n.process === "stopped").map((n) => `node ${n.name} is not running (stopped)`);
    return [`cannot read the cluster over SQL: ${obs.sqlError}${sqlHint(obs.sqlError)}`, ...down];
  }
  const problems: string[] = [];
  if (obs.nodes.length === 1 && ctx.allowDowntime !== true) problems.push(singleNodeRefusal(obs.nodes[0].name));
  for (const n of obs.nodes) problems.push(...nodeProblems(n));
  const builds = [...new Set(obs.nodes.map((n) => n.build).filter((b): b is string => b !== undefined))];
  const mixedOk = ctx.resuming && builds.length === 2 && builds.includes(ctx.target);
  if (builds.length > 1 && !mixedOk) problems.push(`nodes run different builds (${builds.sort().join(", ")}); make them uniform first`);
  const c = obs.cluster;
  if (c.unavailableRanges === undefined || c.underReplicatedRanges === undefined) {
    problems.push("range health unknown: a live node did not report ranges_unavailable/ranges_underreplicated");
  } else {
    if (c.unavailableRanges > 0) problems.push(`${c.unavailableRanges} unavailable ranges`);
    if (c.underReplicatedRanges > 0 && replicationJudged(obs.nodes.length))
      problems.push(`${c.underReplicatedRanges} under-replicated ranges`);
  }
  if (c.clusterVersion !== undefined && /^\d+\.\d+-/.test(c.clusterVersion)) {
    problems.push(`cluster version ${c.clusterVersion} is still finalizing a previous upgrade; wait for it to finish`);
  }
  for (const r of obs.unlisted.filter((u) => u.membership === "active")) {
    problems.push(`node ${r.nodeId} (${r.sqlAddress || r.address}) is an active member of the cluster but not listed in nodes`);
  }
  return problems;
}

/** What to check for the usual causes of a refused SQL connection (messages of pg, Node's TLS and CockroachDB). */
function sqlHint(error: string): string {
  if (/password authentication failed|28P01/i.test(error)) return " (check sql.user and sql.password)";
  if (/altnames|does not match certificate/i.test(error))
    return " (sql.tls.serverName, or the node's address, must be a name in the nodes' certificate)";
  if (/self[- ]signed|unable to verify|unable to get (local )?issuer|certificate (has expired|is not yet valid)/i.test(error))
    return " (sql.tls.ca must be the CA certificate that signed the nodes' certificates, e.g. the certs dir's ca.crt)";
  if (/SSL connection required|secure mode/i.test(error))
    return " (the cluster is secure: set sql.insecure to false and give sql.tls.ca and a password or client certificate)";
  if (/does not support SSL|insecure mode/i.test(error)) return " (the cluster is insecure: set sql.insecure to true)";
  return "";
}

function nodeProblems(n: NodeObservation): string[] {
  const p: string[] = [];
  if (n.journal) {
    const j = n.journal;
    p.push(
      `node ${n.name} was left ${n.process} by an interrupted ${j.direction} from ${j.from ?? "?"} to ${j.target} (phase ${j.phase}); run the update to ${j.target} (resume) or ${j.from ?? "the previous version"} (revert) first`,
    );
  }
  if (n.nodeId === undefined) {
    p.push(`node ${n.name} is unknown to the cluster (no member with its sqlAddr)`);
    return p;
  }
  if (n.process !== "running" && n.process !== "draining") p.push(`node ${n.name} is not running (${n.process})`);
  else if (!n.live) p.push(`node ${n.name} is not live`);
  if (n.draining) p.push(`node ${n.name} is draining`);
  if (n.membership !== undefined && n.membership !== "active") p.push(`node ${n.name} is ${n.membership}`);
  if (n.errors.length > 0 && n.process === "unknown") p.push(`node ${n.name} cannot be inspected: ${n.errors[0]}`);
  return p;
}

/**
 * One sample of the cluster gate: one SQL query (liveness and membership) and one `/_status/raft` read
 * (catch-up and range health of the whole cluster, fanned out by the cluster itself; raft-debug.ts), a
 * second read only to confirm a failed catch-up. Constant in the node count. Never throws: a failure to
 * ask is a failed sample.
 */
export async function sampleClusterGate(reader: ClusterReader, nodes: readonly NodeSpec[], signal?: AbortSignal): Promise<ClusterSample> {
  const at = new Date().toISOString();
  const total = nodes.length;
  try {
    const { byName } = matchNodes(nodes, await reader.gossip());
    const notLive = nodes.filter((n) => {
      const r = byName.get(n.name);
      return !r || !r.isAvailable || !r.isLive || r.draining || r.membership !== "active";
    });
    const live = nodes.filter((n) => !notLive.includes(n));
    const catchUp = await sampleCatchUp(reader, live, signal);
    const health = judgeRangeHealth(catchUp.raft?.reports ?? []);
    const under = health.underReplicated ?? 0;
    const unavail = health.unavailable ?? 0;
    const known = health.underReplicated !== undefined && health.unavailable !== undefined;
    const ok = notLive.length === 0 && known && (under === 0 || !replicationJudged(total)) && unavail === 0 && catchUp.ok;
    let detail = `live ${live.length}/${total}, under-replicated ${under}${under > 0 && !replicationJudged(total) ? " (not counted on one node)" : ""}, unavailable ${unavail}`;
    if (catchUp.lagging.length > 0) detail += `; catching up: ${describeLagging(catchUp.lagging)}`;
    if (catchUp.missing.length > 0) detail += `; catch-up not proven: ${describeUnproven(catchUp.missing)}`;
    if (notLive.length > 0) detail += `; not live: ${notLive.map((n) => n.name).join(", ")}`;
    if (!known) detail += "; range health unknown: not every replica reported problems.underreplicated/unavailable";
    return {
      at,
      ok,
      detail,
      live: live.length,
      total,
      ...(known && { underReplicated: under, unavailable: unavail }),
      raftLogBehind: health.raftLogBehind,
      replicasBehind: catchUp.lagging.length,
    };
  } catch (e) {
    return { at, ok: false, detail: `cannot sample: ${(e as Error).message}`, live: 0, total };
  }
}

/** Empty when the node is ready on `build`; else what is missing. */
export async function nodeNotReadyReason(reader: ClusterReader, node: NodeSpec, build: string, signal?: AbortSignal): Promise<string> {
  const h = await reader.health(node, true, signal);
  if (h.status !== 200) return h.reachable ? `/health?ready=1 answered ${h.status} ${h.message}` : `HTTP unreachable: ${h.message}`;
  try {
    const v = await reader.vars(node, signal);
    if (v.build !== build) return `the process reports build ${v.build ?? "(none)"}`;
    const row = matchNodes([node], await reader.gossip()).byName.get(node.name);
    if (!row) return "not in the cluster's node list";
    if (!row.isAvailable || !row.isLive) return "liveness not live yet";
    if (row.build !== build) return `gossip reports build ${row.build}`;
    return "";
  } catch (e) {
    return (e as Error).message;
  }
}
