/**
 * How hard the provider's gate hits the cluster at real timing: a simulated
 * cluster at time scale 1 (CockroachDB's own intervals), the provider's
 * defaults (gateInterval 5s), and the bake gate held for HOLD_MS in a child
 * process (gate-load-child.ts). Queries per second = (HTTP requests the
 * child made + SQL SELECTs the nodes executed) ÷ the hold time. The provider
 * is the only SQL client: the SELECT counters (`sql_select_count` in each
 * node's /_status/vars) are read once before and once after, from this
 * process. Target: ≤ 2/s, flat in node count.
 *
 * Beside it, the work the cluster does inside for those requests: the
 * node-level `Ranges` calls its nodes served during the hold (one per node
 * per `/_status/raft` fan-out, one per `/_status/ranges/local`), read from
 * the simulator's counter (sim/launcher/counters.ts) before and after. It
 * stays O(nodes) per sample: CockroachDB's gateway does the fan-out over its
 * own RPC connections; the provider's requests are what became constant.
 *
 * Standalone: node dist/bench/gate-load.js --nodes 5,50
 */
import { execFile } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { readStatusCounters } from "../sim/launcher/counters";
import { startSimCluster } from "../tests/support/sim-cluster";
import type { GateLoadChildResult, GateLoadJob } from "./gate-load-child";

export interface GateLoad {
  readonly nodes: number;
  readonly seconds: number;
  readonly samples: number;
  readonly failedSamples: number;
  readonly http: number;
  readonly sql: number;
  readonly perSecond: number;
  /** The provider's requests (HTTP + SQL) per gate sample. */
  readonly perSample: number;
  /** Node-level Ranges calls served inside the cluster during the hold (the fan-out behind /_status/raft). */
  readonly clusterRangesCalls: number;
  readonly clusterRangesPerSecond: number;
  readonly httpByPath: Readonly<Record<string, number>>;
  readonly error?: string;
}

export interface GateLoadOptions {
  readonly nodes: number;
  readonly baseIp: string;
  readonly holdMs: number;
}

export async function benchGateLoad(o: GateLoadOptions): Promise<GateLoad> {
  const sim = await startSimCluster({ nodes: o.nodes, version: "v23.1.11", baseIp: o.baseIp, timeScale: 1 });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-gate-load-"));
  try {
    // Past startup: every node live and ranges replicated, as in a bake between two nodes.
    await new Promise((r) => setTimeout(r, 15_000));
    const job: GateLoadJob = {
      inputs: { version: "v23.1.11", nodes: sim.providerNodes, sql: { insecure: true } },
      holdMs: o.holdMs,
    };
    const jobFile = path.join(dir, "job.json");
    fs.writeFileSync(jobFile, JSON.stringify(job));
    const addrs = sim.providerNodes.map((n) => n.httpAddr);
    const before = await selects(addrs);
    const rangesBefore = (await readStatusCounters(sim.dir)).rangesServed;
    const r = await runChild(jobFile, o.holdMs + 120_000);
    const rangesAfter = (await readStatusCounters(sim.dir)).rangesServed;
    const after = await selects(addrs);
    const sql = addrs.reduce((a, x) => a + Math.max(0, (after.get(x) ?? 0) - (before.get(x) ?? 0)), 0);
    const seconds = r.ms / 1000;
    return {
      nodes: o.nodes,
      seconds,
      samples: r.samples,
      failedSamples: r.failedSamples,
      http: r.http,
      sql,
      perSecond: (r.http + sql) / seconds,
      perSample: r.samples > 0 ? (r.http + sql) / r.samples : NaN,
      clusterRangesCalls: rangesAfter - rangesBefore,
      clusterRangesPerSecond: (rangesAfter - rangesBefore) / seconds,
      httpByPath: r.httpByPath,
      ...(r.error && { error: r.error }),
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
    await sim.stop();
  }
}

async function selects(addrs: readonly string[]): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  await Promise.all(
    addrs.map(async (a) => {
      const text = await (await fetch(`http://${a}/_status/vars`, { signal: AbortSignal.timeout(10_000) })).text();
      const m = /^sql_select_count(?:\{[^}]*\})? (\d+)/m.exec(text);
      if (!m) throw new Error(`${a}: no sql_select_count`);
      out.set(a, Number(m[1]));
    }),
  );
  return out;
}

function runChild(jobFile: string, timeoutMs: number): Promise<GateLoadChildResult> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [path.join(__dirname, "gate-load-child.js"), jobFile], { timeout: timeoutMs }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`gate-load child failed: ${stderr || err.message}`));
      resolve(JSON.parse(stdout.trim().split("\n").pop() as string) as GateLoadChildResult);
    });
  });
}

if (require.main === module) {
  const i = process.argv.indexOf("--nodes");
  const sizes = (i >= 0 ? process.argv[i + 1] : "5,50").split(",").map(Number);
  (async () => {
    for (const [k, nodes] of sizes.entries()) {
      const r = await benchGateLoad({ nodes, baseIp: `127.0.${211 + k}.10`, holdMs: 60_000 });
      console.log(JSON.stringify(r));
    }
  })().catch((e: unknown) => {
    console.error(e);
    process.exit(1);
  });
}
