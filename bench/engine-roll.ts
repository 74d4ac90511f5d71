/**
 * Rollouts under the real engine: one simulated cluster of N nodes in 3
 * localities, the repository's root program, and `pulumi up` (the cached
 * engine, tests/support/pulumi.ts) for each requested mode, one after the
 * other on the same cluster (each moves it up a patch release):
 *
 *   - "node": one node at a time; "zone": strategy.batch "locality" with
 *     maxUnavailable = the zone size (3 batches).
 *
 * For each `pulumi up`: the dynamic-provider process's peak RSS (sampled
 * from /proc, provider-rss.ts), the rollout record from the stack output
 * `lastRollout`, the plan's ETA from the provider's progress output, the
 * floor (roll-metrics.ts), and the safety invariants sampled from outside
 * (tests/support/invariant-monitor.ts: most nodes down at once within the
 * budget, 0 unavailable ranges).
 *
 * Standalone: node dist/bench/engine-roll.js --nodes 9 --modes node,zone
 */
import * as fs from "fs";
import * as path from "path";
import type { ClusterVersionOutputs, RolloutRecord, StrategyInput } from "../provider/core/types";
import { InvariantMonitor } from "../tests/support/invariant-monitor";
import { fastStrategy, watched } from "../tests/support/provider-harness";
import { PulumiWorkspace, type PulumiResult } from "../tests/support/pulumi";
import { rootProgram } from "../tests/support/root-program";
import { startSimCluster, type SimCluster } from "../tests/support/sim-cluster";
import { ProviderRssSampler, type ProviderRss } from "./provider-rss";
import { RollCpuSampler, type RollCpu } from "./provider-cpu";
import { breakdownOf, totalsOf, type BatchBreakdown } from "./roll-breakdown";
import { etaFromOutput, floorOf, sum, wallMs, type BatchFloor } from "./roll-metrics";

export type Mode = "node" | "zone";
const ZONES = ["region=r1,zone=a", "region=r1,zone=b", "region=r1,zone=c"];
const STACK = "bench";

export interface EngineRollOptions {
  readonly nodes: number;
  readonly modes: readonly Mode[];
  /** Node i listens on baseIp + i (a /24 of its own). */
  readonly baseIp: string;
  readonly timeScale: number;
  /** The bake of every node, wall time (the canary's too). */
  readonly bake: string;
  /**
   * The provider's own gate timing (gateInterval 5 s, 3 samples, re-check 22 s) instead of the tests'
   * fast one: with timeScale 1, the timing a first roll's estimate is meant for.
   */
  readonly realTiming?: boolean;
  /** Invariant monitor interval; 50 nodes sampled every 250 ms would load the shared cores. */
  readonly monitorMs: number;
  readonly log: (line: string) => void;
  /** Each roll as soon as it is measured (a long run interrupted keeps what it has). */
  readonly onRoll?: (r: EngineRoll) => void;
}

export interface EngineRoll {
  readonly nodes: number;
  readonly mode: Mode;
  /** A roll after another one on the same cluster: the plan's ETA then follows the measured pace (plan/pace.ts). */
  readonly paced: boolean;
  readonly ok: boolean;
  readonly error?: string;
  /** `pulumi up` from spawn to exit. */
  readonly upMs: number;
  /** The record's startedAt -> finishedAt. */
  readonly wallMs: number;
  readonly floorMs: number;
  readonly batches: readonly BatchFloor[];
  readonly etaMs?: number;
  /** The sim's time scale (1: real timing). */
  readonly timeScale?: number;
  /**
   * The re-estimate after the canary (lastRollout.eta.afterCanary): the remaining time it said, the
   * remaining time there really was (its moment to the record's finishedAt), and whether its progress
   * line showed in the `pulumi up` output.
   */
  readonly afterCanary?: { readonly remainingMs: number; readonly actualMs: number; readonly nodesLeft: number; readonly line: boolean };
  readonly rss: ProviderRss;
  readonly maxDownAtOnce: number;
  readonly maxUnavailableRanges: number;
  readonly rangeSamples: number;
  readonly violations: readonly string[];
  /** Where the wall time went (roll-breakdown.ts): fixed overhead, phase sums over the batches, each batch when few. */
  readonly breakdown?: {
    readonly beforeFirstMs: number;
    readonly afterLastMs: number;
    readonly totals: Record<string, number>;
    readonly batches?: readonly BatchBreakdown[];
  };
  /** CPU of the provider and of the machine over the `pulumi up` (provider-cpu.ts). */
  readonly cpu?: RollCpu;
}

function strategyFor(o: EngineRollOptions, mode: Mode): StrategyInput {
  const zone = Math.ceil(o.nodes / ZONES.length);
  const real = o.realTiming ? { gateSamples: 3, gateInterval: "5s", gateRecheckAfter: "22s" } : {};
  return fastStrategy({
    ...real,
    waitAfterRejoin: o.bake,
    canaryBake: o.bake,
    watch: "0s",
    deadlines: { drain: "60s", stop: "60s", start: "60s", ready: "60s", cluster: "120s", finalize: "60s" },
    overallDeadline: "90m",
    ...(mode === "zone" ? { batch: "locality", maxUnavailable: zone } : { batch: "node" }),
  });
}

export async function benchEngineRoll(o: EngineRollOptions): Promise<EngineRoll[]> {
  const versions = Array.from({ length: o.modes.length + 1 }, (_, i) => `v23.1.${11 + i}`);
  const sim = await startSimCluster({
    nodes: o.nodes,
    version: versions[0],
    baseIp: o.baseIp,
    timeScale: o.timeScale,
    // What a node of a large cluster needs on 2 shared cores: at scale 0.1 the default 9 s TTL is 0.9 s of wall time,
    // which a starved process misses; 60 sim seconds (6 s) keeps liveness about the node, not about the machine.
    ...(o.nodes > 10 && { livenessTtlS: 60 }),
    localities: Array.from({ length: o.nodes }, (_, i) => ZONES[i % ZONES.length]),
  });
  const [release] = versions.slice(1).map((v) => sim.buildRelease(v));
  const served = await sim.serveReleases(release.dir);
  const program = rootProgram();
  const ws = new PulumiWorkspace({ programDir: program.dir, stack: STACK });
  try {
    await ws.init();
    const urlTemplate = `${served.url}/cockroach-{version}.linux-amd64.tgz`;
    program.setConfig(STACK, { nodes: sim.providerNodes, sql: { insecure: true }, version: versions[0], release: { urlTemplate } });
    program.setConfig(STACK, { strategy: strategyFor(o, "node") });
    await settle(sim);
    const adopt = await upOnce(ws, sim);
    if (adopt.code !== 0) throw new Error(`adopting ${o.nodes} nodes failed:\n${errorLines(`${adopt.stdout}\n${adopt.stderr}`)}`);
    o.log(`${o.nodes} nodes: adopted at ${versions[0]}`);
    const out: EngineRoll[] = [];
    for (const [i, mode] of o.modes.entries()) {
      program.setConfig(STACK, { version: versions[i + 1], strategy: strategyFor(o, mode) });
      await settle(sim);
      const r = { ...(await oneUp(o, ws, sim, mode)), paced: i > 0 };
      o.log(
        `${o.nodes} nodes ${mode}: ${r.ok ? "ok" : `FAILED ${r.error?.slice(0, 300)}`} wall ${(r.wallMs / 1000).toFixed(1)} s, floor ${(r.floorMs / 1000).toFixed(1)} s, eta ${((r.etaMs ?? NaN) / 1000).toFixed(0)} s, after canary ${((r.afterCanary?.remainingMs ?? NaN) / 1000).toFixed(0)} s of ${((r.afterCanary?.actualMs ?? NaN) / 1000).toFixed(0)} s, rss ${(r.rss.peakKb / 1024).toFixed(1)} MB, down at once ${r.maxDownAtOnce}, unavailable ${r.maxUnavailableRanges}`,
      );
      out.push(r);
      o.onRoll?.(r);
    }
    return out;
  } finally {
    await ws.dispose();
    program.dispose();
    await served.close();
    await sim.stop();
  }
}

async function oneUp(o: EngineRollOptions, ws: PulumiWorkspace, sim: SimCluster, mode: Mode): Promise<Omit<EngineRoll, "paced">> {
  const monitor = await InvariantMonitor.start(watched(sim), o.monitorMs, { rangeHealth: true });
  let sampler: ProviderRssSampler | undefined;
  let cpuSampler: RollCpuSampler | undefined;
  const t0 = Date.now();
  const r = await upOnce(ws, sim, (pid) => {
    sampler = new ProviderRssSampler(pid);
    cpuSampler = new RollCpuSampler(pid);
  });
  const upMs = Date.now() - t0;
  const rss = (sampler as ProviderRssSampler | undefined)?.stop() ?? { peakKb: 0, firstKb: 0, processes: 0, samples: 0 };
  const cpu = (cpuSampler as RollCpuSampler | undefined)?.stop();
  await monitor.stop();
  const outputs = (await ws.stackOutputs().catch(() => ({}))) as { lastRollout?: RolloutRecord };
  const record = r.code === 0 ? outputs.lastRollout : await failedRecord(ws);
  // BENCH_RECORD_DIR: the whole record of each roll, for reading its phases (provider/rollout/timeline.ts).
  const dumpDir = process.env.BENCH_RECORD_DIR;
  if (dumpDir && record) fs.writeFileSync(path.join(dumpDir, `record-${o.nodes}-${mode}.json`), JSON.stringify(record, null, 1));
  const strategy = strategyFor(o, mode);
  const bakeMs = (i: number): number => durationMs(i === 0 ? strategy.canaryBake : strategy.waitAfterRejoin);
  const batches = record ? floorOf(record, bakeMs) : [];
  const parts = record ? breakdownOf(record) : undefined;
  const breakdown = parts && {
    beforeFirstMs: parts.beforeFirstMs,
    afterLastMs: parts.afterLastMs,
    totals: totalsOf(parts),
    ...(parts.batches.length <= 5 && { batches: parts.batches }),
  };
  const budget = mode === "zone" ? Math.ceil(o.nodes / ZONES.length) : 1;
  const health = monitor.unavailableRanges();
  const violations = [...monitor.violations({ maxUnavailable: budget }), ...(health.max > 0 ? [`${health.max} unavailable ranges`] : [])];
  return {
    nodes: o.nodes,
    mode,
    ok: r.code === 0 && record?.outcome === "succeeded",
    ...(r.code !== 0 && { error: errorLines(`${r.stdout}\n${r.stderr}`) }),
    upMs,
    wallMs: record ? wallMs(record) : upMs,
    floorMs: sum(batches.map((b) => b.floorMs)),
    batches,
    etaMs: etaFromOutput(`${r.stdout}\n${r.stderr}`),
    timeScale: o.timeScale,
    ...afterCanaryOf(record, `${r.stdout}\n${r.stderr}`),
    rss,
    maxDownAtOnce: monitor.maxDownAtOnce().count,
    maxUnavailableRanges: health.max,
    rangeSamples: health.sampled,
    violations,
    ...(breakdown && { breakdown }),
    ...(cpu && { cpu }),
  };
}

/** The after-canary re-estimate against the time that really remained, from the record's `eta`. */
function afterCanaryOf(record: RolloutRecord | undefined, output: string): Pick<EngineRoll, "afterCanary"> {
  const a = record?.eta?.afterCanary;
  if (!a || !record) return {};
  const actualMs = Date.parse(record.finishedAt) - Date.parse(a.at);
  return {
    afterCanary: { remainingMs: a.remainingMs, actualMs, nodesLeft: a.nodesLeft, line: /re-estimate after the canary/.test(output) },
  };
}

/**
 * `pulumi up`, once more when the provider's pre-flight refused and touched nothing (on the loaded
 * shared cores a node of a large cluster can miss a liveness heartbeat); `onPid` sees each CLI process.
 */
async function upOnce(ws: PulumiWorkspace, sim: SimCluster, onPid?: (pid: number) => void): Promise<PulumiResult> {
  const up = (): Promise<PulumiResult> =>
    ws.run(["up", "--yes", "--skip-preview"], { timeoutMs: 90 * 60_000, onSpawn: (c) => onPid?.(c.pid as number) });
  const r = await up();
  if (r.code === 0 || !/no node was touched/.test(`${r.stdout}${r.stderr}`)) return r;
  await settle(sim);
  return up();
}

/** Until every node answers ready and reports 0 under-replicated and 0 unavailable ranges (at most 3 min). */
async function settle(sim: SimCluster): Promise<void> {
  const deadline = Date.now() + 180_000;
  while (Date.now() < deadline) {
    const ok = await Promise.all(sim.providerNodes.map((n) => settled(n.httpAddr)));
    if (ok.every(Boolean)) return;
    await new Promise((r) => setTimeout(r, 1000));
  }
  throw new Error("the cluster did not settle within 3 min (every node ready, 0 under-replicated and 0 unavailable ranges)");
}

async function settled(httpAddr: string): Promise<boolean> {
  try {
    const ready = await fetch(`http://${httpAddr}/health?ready=1`, { signal: AbortSignal.timeout(5000) });
    if (ready.status !== 200) return false;
    const text = await (await fetch(`http://${httpAddr}/_status/vars`, { signal: AbortSignal.timeout(5000) })).text();
    return ["ranges_underreplicated", "ranges_unavailable"].every((m) => new RegExp(`^${m}(\\{[^}]*\\})? 0$`, "m").test(text));
  } catch {
    return false;
  }
}

/** The lines of a failed up that say why (the engine's diagnostics), not the whole diff. */
function errorLines(text: string): string {
  // The plan's "rollback on failure: yes" line is no error.
  const lines = text.split("\n").filter((l) => /error|fail|refus|cannot/i.test(l) && !/rollback on failure:/.test(l));
  return (lines.length ? lines : text.trim().split("\n").slice(-15)).slice(0, 12).join("\n");
}

/** A failed up leaves the record on the resource's outputs in the state. */
async function failedRecord(ws: PulumiWorkspace): Promise<RolloutRecord | undefined> {
  const exported = await ws.exportStack().catch(() => undefined);
  const res = exported?.json.deployment.resources?.find((x) => String(x.type).endsWith("crdb-upgrade:ClusterVersion"));
  return (res?.outputs as ClusterVersionOutputs | undefined)?.lastRollout;
}

function durationMs(v: StrategyInput["waitAfterRejoin"]): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s)$/.exec(String(v));
  if (!m) throw new Error(`bench bake ${String(v)}: write it in s or ms`);
  return Number(m[1]) * (m[2] === "s" ? 1000 : 1);
}

if (require.main === module) {
  const arg = (name: string, fallback: string): string => {
    const i = process.argv.indexOf(`--${name}`);
    return i >= 0 ? process.argv[i + 1] : fallback;
  };
  benchEngineRoll({
    nodes: Number(arg("nodes", "3")),
    modes: arg("modes", "node").split(",") as Mode[],
    baseIp: arg("base-ip", "127.0.210.10"),
    timeScale: Number(arg("time-scale", "0.1")),
    bake: arg("bake", "3s"),
    realTiming: process.argv.includes("--real-timing"),
    monitorMs: Number(arg("monitor-ms", "500")),
    log: (l) => console.error(`bench: ${l}`),
  }).then(
    (rs) => console.log(JSON.stringify(rs, null, 2)),
    (e: Error) => {
      console.error(e);
      process.exit(1);
    },
  );
}
