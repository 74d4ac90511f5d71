/**
 * How long the engine waits on our pure code: `check` (checkInputs +
 * parseSpec) and `diff` (diffResource, which plans from the stored outputs,
 * + planRollout as update runs it) on a 100-node spec with SSH connections.
 * Both run on every preview and up; the target is under 20 ms each.
 *
 * Standalone: `node dist/bench/check-diff.js` prints a table.
 */
import { diffResource } from "../provider/plan/diff";
import { planRollout } from "../provider/plan/plan";
import { checkInputs, parseSpec } from "../provider/spec/parse";
import type { ClusterVersionInputs, ClusterVersionOutputs, NodeInput, ObservedCluster } from "../provider/core/types";

const NODES = 100;
const WARMUP = 20;
const RUNS = 200;
/** The 100-node target from the task; printed next to the medians. */
export const TARGET_MS = 20;

function benchInputs(version: string, count: number): ClusterVersionInputs {
  const nodes: NodeInput[] = Array.from({ length: count }, (_, i) => ({
    name: `node-${i + 1}`,
    connection: { host: `10.1.${Math.floor(i / 200)}.${(i % 200) + 1}`, user: "ubuntu", port: 22, hostKey: `SHA256:${"A".repeat(43)}` },
    sqlAddr: `10.1.${Math.floor(i / 200)}.${(i % 200) + 1}:26257`,
    httpAddr: `10.1.${Math.floor(i / 200)}.${(i % 200) + 1}:8080`,
    locality: `region=us-east1,zone=${"abc"[i % 3]}`,
    binaryPath: "/usr/local/bin/cockroach",
    process: { manager: "systemd", unit: "cockroach.service", useSudo: true },
  }));
  return {
    version,
    nodes,
    sql: { insecure: true },
    strategy: {
      order: nodes.map((n) => n.name).reverse(),
      waitAfterRejoin: "90s",
      batch: "locality",
      maxUnavailable: 3,
      finalize: "afterBake:30m",
    },
    release: { sha256: "0".repeat(64) },
  };
}

function median(samples: number[]): number {
  const s = [...samples].sort((a, b) => a - b);
  return s.length % 2 === 1 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** Wall ms and this process's CPU ms (user + system) of each run: on a shared, loaded machine the CPU time is the code's own cost. */
function timeMs(fn: () => void): { wall: number[]; cpu: number[] } {
  for (let i = 0; i < WARMUP; i++) fn();
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    fn();
    wall.push(Number(process.hrtime.bigint() - t0) / 1e6);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
  }
  return { wall, cpu };
}

export interface CheckDiffBench {
  readonly checkMsMedian: number;
  readonly diffMsMedian: number;
  readonly checkCpuMsMedian: number;
  readonly diffCpuMsMedian: number;
}

export async function benchCheckDiff(nodes = NODES): Promise<CheckDiffBench> {
  const olds = benchInputs("v23.1.11", nodes);
  const news = benchInputs("v23.1.12", nodes);
  const outputs: ClusterVersionOutputs = {
    ...olds,
    nodeStatuses: olds.nodes.map((n, i) => ({ name: n.name, nodeId: i + 1, version: "v23.1.11", state: "running" })),
    clusterVersion: "23.1",
    finalized: true,
    history: [],
  };
  const spec = parseSpec(news);
  const observed: ObservedCluster = {
    nodes: spec.nodes.map((n, i) => ({
      name: n.name,
      nodeId: i + 1,
      build: "v23.1.11",
      binaryBuild: "v23.1.11",
      process: "running",
      live: true,
      draining: false,
      ready: true,
    })),
    clusterVersion: "23.1",
    unlistedNodeIds: [],
    localitySafe: true,
  };
  const check = timeMs(() => {
    const r = checkInputs(olds, news);
    if (r.failures.length > 0) throw new Error(`bench inputs invalid: ${JSON.stringify(r.failures)}`);
    parseSpec(r.inputs);
  });
  const diff = timeMs(() => {
    const d = diffResource(outputs, news);
    if (!d.changes || d.lines.length < 3) throw new Error("bench diff found no change");
    planRollout(spec, observed);
  });
  return {
    checkMsMedian: median(check.wall),
    diffMsMedian: median(diff.wall),
    checkCpuMsMedian: median(check.cpu),
    diffCpuMsMedian: median(diff.cpu),
  };
}

if (require.main === module) {
  const i = process.argv.indexOf("--nodes");
  const count = i >= 0 ? Number(process.argv[i + 1]) : NODES;
  benchCheckDiff(count).then(
    (r) => {
      const row = (name: string, ms: number): string =>
        `${name.padEnd(34)} ${ms.toFixed(3).padStart(9)} ms   ${ms < TARGET_MS ? "ok" : "OVER"} (< ${TARGET_MS} ms)`;
      console.log(`check/diff on a ${count}-node spec, median of ${RUNS} runs after ${WARMUP} warm-up`);
      console.log(row("checkInputs + parseSpec", r.checkMsMedian), `(cpu ${r.checkCpuMsMedian.toFixed(3)} ms)`);
      console.log(row("diffResource + planRollout", r.diffMsMedian), `(cpu ${r.diffCpuMsMedian.toFixed(3)} ms)`);
    },
    (e: unknown) => {
      console.error(e);
      process.exitCode = 1;
    },
  );
}
