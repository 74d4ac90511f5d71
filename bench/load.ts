/**
 * Client impact of a rolling upgrade: the provider against the naive
 * baseline (naive-upgrade.ts), on ONE 5-node sim cluster behind HAProxy,
 * alternating methods up a ladder of patch releases (v23.1.12, .13, ...),
 * with the same client workload (tests/support/workload.ts) through
 * HAProxy for every run: IDLE_MS of idle traffic, then the roll.
 *
 * Methods:
 *   - provider: lifecycle.create/converge in a child process (rollout-child),
 *     its defaults scaled to the sim's time (waitAfterRejoin 60s, canary
 *     bake 120s, gate every 5s, re-check 22s), strategy.loadBalancer set,
 *     and server.shutdown.initial_wait = 8s as its pre-flight asks;
 *   - naive (docs): SIGTERM, swap, start, sleep 60 — cluster defaults
 *     (initial_wait 0s), as the v1.0 docs leave them;
 *   - naive + 8s: the same script with initial_wait 8s, to separate the
 *     setting's effect from the method's.
 * After all load runs, one more provider run without the workload measures
 * the gate query rate (gate-rate.ts).
 */
import { Client } from "pg";
import type { ClusterVersionInputs, RolloutRecord, StrategyInput } from "../provider/core/types";
import { startHaproxy, type Haproxy } from "../tests/support/haproxy";
import { startSimCluster, type SimCluster } from "../tests/support/sim-cluster";
import { Workload, verifyAcked } from "../tests/support/workload";
import { gateRate, SelectCounter, type GateRate } from "./gate-rate";
import { naiveUpgrade } from "./naive-upgrade";
import { runRolloutChild } from "./rollout-child";

/** Between a worker's operations: ~100 ops/s in all, so a run's table stays at a few thousand rows. */
const PAUSE_MS = 30;

export type Method = "provider" | "naive" | "naive+8s";
export const METHODS: readonly Method[] = ["provider", "naive", "naive+8s"];
const INITIAL_WAIT: Readonly<Record<Method, string>> = { provider: "8s", naive: "0s", "naive+8s": "8s" };

export interface LoadBenchOptions {
  readonly runs: number;
  readonly timeScale: number;
  /** Nodes at baseIp+1..+5; HAProxy on lbHost:26257. Loopback range 127.0.71.x. */
  readonly baseIp: string;
  readonly lbHost: string;
  readonly idleMs: number;
  readonly log: (line: string) => void;
  /** The methods of each round, in order (defaults to METHODS). */
  readonly methods?: readonly Method[];
  /**
   * Same bake for both tools (issue 14): the provider's waitAfterRejoin and canaryBake and the
   * script's sleep, in wall ms; no post-roll watch window. Unset: provider defaults, the docs' sleep 60.
   */
  readonly bakeMs?: number;
  /** The gate-rate run after the load runs. Defaults to true. */
  readonly gateRun?: boolean;
}

export const LOAD_DEFAULTS: LoadBenchOptions = {
  runs: 3,
  timeScale: 0.2,
  baseIp: "127.0.71.10",
  lbHost: "127.0.71.1",
  idleMs: 5000,
  log: () => undefined,
};

export interface LoadRun {
  readonly method: Method;
  readonly version: string;
  readonly ok: boolean;
  readonly error?: string;
  readonly wallMs: number;
  readonly ops: number;
  readonly failures: number;
  readonly retried: number;
  readonly missing: number;
  readonly p99IdleMs: number;
  readonly p99RollMs: number;
  /** Provider runs: the rollout record and the child's peak RSS. */
  readonly record?: RolloutRecord;
  readonly peakRssKb?: number;
  readonly failureKinds: Readonly<Record<string, number>>;
  readonly retryKinds: Readonly<Record<string, number>>;
}

export interface LoadBench {
  readonly runs: readonly LoadRun[];
  readonly gate?: GateRate & { readonly error?: string };
  readonly timeScale: number;
}

interface Ctx {
  readonly sim: SimCluster;
  readonly lb: Haproxy;
  readonly releaseUrl: string;
  readonly opts: LoadBenchOptions;
}

export async function benchLoad(o: Partial<LoadBenchOptions> = {}): Promise<LoadBench> {
  const opts = { ...LOAD_DEFAULTS, ...o };
  const sim = await startSimCluster({ nodes: 5, version: "v23.1.11", baseIp: opts.baseIp, timeScale: opts.timeScale });
  let lb: Haproxy | undefined;
  let served: { url: string; close(): Promise<void> } | undefined;
  try {
    served = await sim.serveReleases(sim.buildRelease("v23.1.12").dir);
    lb = await startHaproxy({
      nodes: sim.providerNodes,
      bind: { host: opts.lbHost, port: 26257 },
      checkIntervalMs: 2000 * opts.timeScale,
      fall: 3,
      rise: 2,
    });
    await lb.waitAllUp();
    const ctx: Ctx = { sim, lb, releaseUrl: served.url, opts };
    const runs: LoadRun[] = [];
    let patch = 12;
    for (let i = 0; i < opts.runs; i++) {
      for (const method of opts.methods ?? METHODS) {
        const version = `v23.1.${patch++}`;
        const run = await loadRun(ctx, method, version);
        opts.log(
          `${method} -> ${version}: ${run.ok ? "ok" : `FAILED ${run.error}`} in ${(run.wallMs / 1000).toFixed(1)}s, ${run.failures}/${run.ops} failed, ${run.retried} retried, ${run.missing} missing, p99 ${run.p99IdleMs}/${run.p99RollMs} ms`,
        );
        runs.push(run);
      }
    }
    if (opts.gateRun === false) return { runs, timeScale: opts.timeScale };
    const gate = await gateRun(ctx, `v23.1.${patch}`);
    opts.log(`gate rate: ${gate.error ?? `${gate.perWallSecond.toFixed(1)} req/s over ${gate.gateSeconds.toFixed(1)}s`}`);
    return { runs, gate, timeScale: opts.timeScale };
  } finally {
    await lb?.stop();
    await served?.close();
    await sim.stop();
  }
}

/** Provider defaults (types.ts) in sim time, plus the load balancer; with `bakeMs`, that bake everywhere and no watch window. */
function providerStrategy(scale: number, bakeMs?: number): StrategyInput {
  const s = (simSeconds: number): string => `${Math.round(simSeconds * scale * 1000)}ms`;
  return {
    waitAfterRejoin: bakeMs === undefined ? s(60) : `${bakeMs}ms`,
    canaryBake: bakeMs === undefined ? s(120) : `${bakeMs}ms`,
    gateInterval: s(5),
    gateRecheckAfter: s(22),
    watch: bakeMs === undefined ? s(300) : "0s",
    loadBalancer: { checkInterval: "2s", fall: 3 },
  };
}

function providerInputs(ctx: Ctx, version: string): ClusterVersionInputs {
  return {
    version,
    nodes: ctx.sim.providerNodes,
    sql: { insecure: true },
    release: { urlTemplate: `${ctx.releaseUrl}/cockroach-{version}.linux-amd64.tgz` },
    strategy: providerStrategy(ctx.opts.timeScale, ctx.opts.bakeMs),
  };
}

async function loadRun(ctx: Ctx, method: Method, version: string): Promise<LoadRun> {
  const { sim, lb, opts } = ctx;
  const release = sim.buildRelease(version);
  await setInitialWait(sim, INITIAL_WAIT[method]);
  await settle(ctx);
  const workload = Workload.start({
    addr: lb.addr,
    concurrency: 4,
    pauseMs: PAUSE_MS,
    maxMs: 600_000,
    freshTable: true,
    keyBase: Number(version.split(".")[2]) * 10_000_000,
  });
  await new Promise((r) => setTimeout(r, opts.idleMs));
  const t0 = Date.now();
  let ok = true;
  let error: string | undefined;
  let record: RolloutRecord | undefined;
  let peakRssKb: number | undefined;
  try {
    if (method === "provider") {
      const r = await runRolloutChild(providerInputs(ctx, version));
      [ok, error, record, peakRssKb] = [r.ok, r.error, r.record, Math.max(r.vmHwmKb, r.sampledHwmKb)];
    } else {
      await naiveUpgrade({ nodes: sim.providerNodes, tarball: release.tarball, sleepMs: opts.bakeMs ?? 60_000 * opts.timeScale });
    }
  } catch (e) {
    [ok, error] = [false, (e as Error).message];
  }
  const t1 = Date.now();
  await workload.stop();
  const verified = await verifyAcked(workload.acked, [lb.addr, ...sim.providerNodes.map((n) => n.sqlAddr)]);
  const idle = workload.stats(0, t0);
  const roll = workload.stats(t0, t1);
  const all = workload.stats();
  return {
    method,
    version,
    ok,
    ...(error !== undefined ? { error } : {}),
    wallMs: t1 - t0,
    ops: all.ops,
    failures: all.failures,
    retried: all.retried,
    missing: Math.max(...verified.map((v) => v.missing.length)),
    p99IdleMs: idle.p99Ms,
    p99RollMs: roll.p99Ms,
    ...(record ? { record } : {}),
    ...(peakRssKb !== undefined ? { peakRssKb } : {}),
    failureKinds: all.failureKinds,
    retryKinds: all.retryKinds,
  };
}

/** A provider run with no workload: the provider is the only SQL client, so the sim's SELECT counter is its own. */
async function gateRun(ctx: Ctx, version: string): Promise<GateRate & { error?: string }> {
  ctx.sim.buildRelease(version);
  await setInitialWait(ctx.sim, "8s");
  await settle(ctx);
  const selects = new SelectCounter(ctx.sim.providerNodes.map((n) => n.httpAddr));
  selects.start();
  try {
    let r = await runRolloutChild(providerInputs(ctx, version));
    // A pre-flight refusal touched nothing (e.g. a /_status/vars read timed out on the shared cores): once more.
    if (!r.ok && /no node was touched/.test(r.error ?? "")) {
      ctx.opts.log(`gate run: pre-flight refused (${r.error}); settling and running again`);
      await settle(ctx);
      r = await runRolloutChild(providerInputs(ctx, version));
    }
    await selects.stop();
    if (!r.record) throw new Error(r.error ?? "no rollout record");
    const hosts = ctx.sim.providerNodes.map((n) => n.httpAddr.split(":")[0]);
    return { ...gateRate(r.record, r.httpRequests, hosts, selects), ...(r.ok ? {} : { error: r.error }) };
  } catch (e) {
    await selects.stop();
    return { gateSeconds: 0, httpRequests: 0, sqlSelects: 0, perWallSecond: 0, error: (e as Error).message };
  }
}

/** Until HAProxy has every server UP and every node reports 0 under-replicated and 0 unavailable ranges. */
async function settle(ctx: Ctx): Promise<void> {
  await ctx.lb.waitAllUp(60_000);
  const deadline = Date.now() + 60_000;
  let last = "";
  while (Date.now() < deadline) {
    const health = await Promise.all(ctx.sim.providerNodes.map((n) => rangeHealth(n.httpAddr)));
    if (health.every((h) => h === "0/0")) return;
    last = health.join(" ");
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`cluster did not settle within 60s (under-replicated/unavailable per node: ${last})`);
}

async function rangeHealth(httpAddr: string): Promise<string> {
  try {
    const text = await (await fetch(`http://${httpAddr}/_status/vars`, { signal: AbortSignal.timeout(3000) })).text();
    const series = (name: string): string =>
      /^(\w+)\{[^}]*\} (\d+)/m.exec(
        text
          .split("\n")
          .filter((l) => l.startsWith(`${name}{`))
          .join("\n"),
      )?.[2] ?? "?";
    return `${series("ranges_underreplicated")}/${series("ranges_unavailable")}`;
  } catch (e) {
    return `unreachable (${(e as Error).message})`;
  }
}

/** Cluster settings go through a node directly: v23.1 knows the setting only as drain_wait. */
async function setInitialWait(sim: SimCluster, value: string): Promise<void> {
  const [host, port] = sim.providerNodes[0].sqlAddr.split(":");
  const c = new Client({ host, port: Number(port), user: "root", database: "defaultdb", connectionTimeoutMillis: 5000 });
  await c.connect();
  try {
    await c.query(`SET CLUSTER SETTING server.shutdown.drain_wait = '${value}'`);
  } finally {
    await c.end();
  }
}
