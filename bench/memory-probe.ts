/**
 * Where the provider's memory goes during a roll: the same process shape as
 * the engine's dynamic provider (the @pulumi/pulumi runtime loaded first),
 * then one update of an N-node simulated cluster through lifecycle.ts, with
 * process.memoryUsage() (rss, heapTotal, heapUsed, external, arrayBuffers)
 * printed every second. A diagnostic for the RSS row of the targets table:
 * it says whether growth is JS heap, garbage the heap keeps, or off-heap.
 *
 *   nsrun node dist/bench/memory-probe.js --nodes 9 [--base-ip 127.0.218.10] [--source-map-support]
 */
import * as lifecycle from "../provider/lifecycle";
import type { ClusterVersionInputs } from "../provider/core/types";
import { fastStrategy } from "../tests/support/provider-harness";
import { startSimCluster } from "../tests/support/sim-cluster";

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

const mb = (b: number): string => (b / 2 ** 20).toFixed(1);

function line(label: string): string {
  const m = process.memoryUsage();
  return `${label} rss ${mb(m.rss)} heapTotal ${mb(m.heapTotal)} heapUsed ${mb(m.heapUsed)} external ${mb(m.external)} arrayBuffers ${mb(m.arrayBuffers)}`;
}

async function main(): Promise<void> {
  const nodes = Number(arg("nodes", "9"));
  console.log(line("start"));
  // The engine's dynamic-provider process has this loaded before our code.
  // ... and source-map-support registered (cmd/dynamic-provider/index.js does it first thing).
  if (process.argv.includes("--source-map-support")) require("source-map-support/register");
  require("@pulumi/pulumi");
  console.log(line("@pulumi/pulumi loaded"));
  const sim = await startSimCluster({ nodes, version: "v23.1.11", baseIp: arg("base-ip", "127.0.218.10"), timeScale: 0.1 });
  const served = await sim.serveReleases(sim.buildRelease("v23.1.12").dir);
  try {
    const inputs = (version: string): ClusterVersionInputs => ({
      version,
      nodes: sim.providerNodes,
      sql: { insecure: true },
      release: { urlTemplate: `${served.url}/cockroach-{version}.linux-amd64.tgz` },
      strategy: fastStrategy({ waitAfterRejoin: "3s", canaryBake: "3s", watch: "0s", overallDeadline: "30m" }),
    });
    const quiet = { log: () => undefined };
    const created = await lifecycle.create(inputs("v23.1.11") as unknown as Record<string, unknown>, quiet);
    console.log(line("adopted"));
    const t0 = Date.now();
    const timer = setInterval(() => console.log(line(`t+${((Date.now() - t0) / 1000).toFixed(0)}s`)), 1000);
    await lifecycle.update(created.id, created.outs, inputs("v23.1.12") as unknown as Record<string, unknown>, quiet);
    clearInterval(timer);
    console.log(line("rolled"));
    global.gc?.();
    console.log(line("after gc"));
    console.log(`VmHWM ${/VmHWM:\s+(\d+)/.exec(require("fs").readFileSync("/proc/self/status", "utf8"))?.[1]} kB`);
  } finally {
    await served.close();
    await sim.stop();
  }
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
