/**
 * Benchmarks of the simulator at time scale 1 (real CockroachDB timings):
 *   - start of a 5-node cluster (sim up until every node is ready), target < 10 s
 *   - RSS of each node process (and the fabric), target < 100 MB per node
 *   - idle CPU of the whole cluster over 30 s, target < 5 % of one core
 * Prints a small table of medians over RUNS runs.
 *   node dist/bench/sim-cluster.js [--runs 3] [--idle-s 30]
 * Loopback range: 127.0.17.x.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { downCluster } from "../sim/launcher/down";
import { upCluster } from "../sim/launcher/up";

const CLK_TCK = 100; // Linux USER_HZ

interface Sample {
  readonly startS: number;
  readonly nodeRssMb: number[];
  readonly fabricRssMb: number;
  readonly idleCpuPct: number;
}

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** utime + stime of a process, in seconds. */
function cpuSeconds(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}

async function runOnce(run: number, idleS: number): Promise<Sample> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sim-bench-"));
  try {
    const t0 = process.hrtime.bigint();
    const info = await upCluster({ dir, nodes: 5, version: "v23.1.11", baseIp: "127.0.17.10", timeScale: 1 });
    const startS = Number(process.hrtime.bigint() - t0) / 1e9;
    const pids = info.nodes.map((n) => n.pid).filter((p): p is number => p !== null);
    const fabricPid = Number(fs.readFileSync(path.join(dir, "fabric.pid"), "utf8"));
    await new Promise((r) => setTimeout(r, 3000)); // settle after startup
    const all = [...pids, fabricPid];
    const cpu0 = all.map(cpuSeconds);
    const w0 = Date.now();
    await new Promise((r) => setTimeout(r, idleS * 1000));
    const wall = (Date.now() - w0) / 1000;
    const used = all.map(cpuSeconds).reduce((s, v, i) => s + v - cpu0[i], 0);
    const sample = { startS, nodeRssMb: pids.map(rssMb), fabricRssMb: rssMb(fabricPid), idleCpuPct: (100 * used) / wall };
    process.stderr.write(`run ${run}: start ${startS.toFixed(2)} s, idle cpu ${sample.idleCpuPct.toFixed(2)} %\n`);
    return sample;
  } finally {
    await downCluster(dir, { graceMs: 2000 });
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const runs = arg("runs", 3);
  const idleS = arg("idle-s", 30);
  const samples: Sample[] = [];
  for (let i = 1; i <= runs; i++) samples.push(await runOnce(i, idleS));
  const rows: [string, string, string][] = [
    ["start 5-node cluster", `${median(samples.map((s) => s.startS)).toFixed(2)} s`, "< 10 s"],
    ["RSS per node process", `${median(samples.flatMap((s) => s.nodeRssMb)).toFixed(1)} MB`, "< 100 MB"],
    ["RSS max node process", `${Math.max(...samples.flatMap((s) => s.nodeRssMb)).toFixed(1)} MB`, "< 100 MB"],
    ["RSS fabric process", `${median(samples.map((s) => s.fabricRssMb)).toFixed(1)} MB`, "-"],
    [`idle CPU, 5 nodes + fabric, ${idleS} s`, `${median(samples.map((s) => s.idleCpuPct)).toFixed(2)} % of a core`, "< 5 %"],
  ];
  const w = [Math.max(...rows.map((r) => r[0].length)), Math.max(...rows.map((r) => r[1].length)), 8];
  const line = (r: readonly string[]): string => r.map((c, i) => c.padEnd(w[i])).join(" | ");
  process.stdout.write(
    `sim benchmarks (median of ${runs} runs, time scale 1)\n${line(["metric", "value", "target"])}\n${w.map((n) => "-".repeat(n)).join("-+-")}\n`,
  );
  for (const r of rows) process.stdout.write(line(r) + "\n");
}

main().catch((e: Error) => {
  process.stderr.write(`bench: ${e.message}\n`);
  process.exit(1);
});
