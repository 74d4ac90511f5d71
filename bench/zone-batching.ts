/**
 * Zone-at-a-time vs one node at a time: on one 9-node sim cluster in 3
 * zones (time scale 0.1), the wall time of an update with
 * `strategy.batch: "locality"` (3 batches of 3) divided by that of an
 * update one node at a time, with the same bakes and gates, in the same
 * run. Range health (every running node's ranges_unavailable) is sampled
 * every 250 ms throughout. Target: ratio <= 0.45 with 0 unavailable ranges.
 *
 * Rounds alternate which mode goes first (each update moves the cluster up
 * a patch release), so neither always runs on a freshly started cluster.
 *
 * Standalone: `node dist/bench/zone-batching.js [--rounds 1]` prints a table.
 */
import type { ClusterVersionInputs, ClusterVersionOutputs, StrategyInput } from "../provider/core/types";
import { InvariantMonitor } from "../tests/support/invariant-monitor";
import { converge, fastStrategy, watched } from "../tests/support/provider-harness";
import { startSimCluster, type SimCluster } from "../tests/support/sim-cluster";

const NODES = 9;
const ZONES = ["region=r1,zone=a", "region=r1,zone=b", "region=r1,zone=c"];
const FIRST = 11;
/** 30 sim seconds: longer than the sim's post-restart catch-up, as a real bake must be. */
const BAKE = "3s";
export const TARGETS = { ratio: 0.45, unavailableRanges: 0 } as const;

export interface ZoneBatchingBench {
  readonly nodes: number;
  /** Wall time of each one-node-at-a-time update, ms. */
  readonly nodeWallMs: readonly number[];
  /** Wall time of each locality update, ms. */
  readonly localityWallMs: readonly number[];
  /** Σ locality wall ÷ Σ node wall. */
  readonly ratio: number;
  /** Most unavailable ranges summed over the running nodes in one sample (must be 0). */
  readonly maxUnavailableRanges: number;
  readonly rangeSamples: number;
  /** Most nodes seen down or unready at once in the locality updates. */
  readonly maxDownAtOnce: number;
}

export interface ZoneBatchingOptions {
  /** Each round runs both modes once. Defaults to 1. */
  readonly rounds?: number;
  /** Node i listens on baseIp + i. Defaults to 127.0.92.10. */
  readonly baseIp?: string;
  readonly log?: (line: string) => void;
}

export async function benchZoneBatching(opts: ZoneBatchingOptions = {}): Promise<ZoneBatchingBench> {
  const rounds = opts.rounds ?? 1;
  const versions = Array.from({ length: 2 * rounds + 1 }, (_, i) => `v23.1.${FIRST + i}`);
  const localities = Array.from({ length: NODES }, (_, i) => ZONES[i % ZONES.length]);
  const sim = await startSimCluster({
    nodes: NODES,
    version: versions[0],
    baseIp: opts.baseIp ?? "127.0.92.10",
    timeScale: 0.1,
    localities,
  });
  // Every release lands in the cluster's one releases directory.
  const [release] = versions.slice(1).map((v) => sim.buildRelease(v));
  const served = await sim.serveReleases(release.dir);
  try {
    const url = served.url;
    let outs = await update(sim, undefined, inputs(sim, url, versions[0], "node"));
    const monitor = await InvariantMonitor.start(watched(sim), 250, { rangeHealth: true });
    const wall = { node: [] as number[], locality: [] as number[] };
    let maxDown = 0;
    try {
      for (let r = 0; r < rounds; r++) {
        const order: ("node" | "locality")[] = r % 2 === 0 ? ["node", "locality"] : ["locality", "node"];
        for (const [k, mode] of order.entries()) {
          const version = versions[2 * r + k + 1];
          const t0 = Date.now();
          const from = monitor.samples.length;
          outs = await update(sim, outs, inputs(sim, url, version, mode));
          wall[mode].push(Date.now() - t0);
          if (mode === "locality")
            maxDown = Math.max(maxDown, ...monitor.samples.slice(from).map((s) => s.nodes.filter((n) => !n.alive || !n.ready).length));
          opts.log?.(`${mode}: -> ${version} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
        }
      }
    } finally {
      await monitor.stop();
    }
    const health = monitor.unavailableRanges();
    const sum = (xs: readonly number[]): number => xs.reduce((a, x) => a + x, 0);
    return {
      nodes: NODES,
      nodeWallMs: wall.node,
      localityWallMs: wall.locality,
      ratio: sum(wall.locality) / sum(wall.node),
      maxUnavailableRanges: health.max,
      rangeSamples: health.sampled,
      maxDownAtOnce: maxDown,
    };
  } finally {
    await served.close();
    await sim.stop();
  }
}

/** The same strategy for both modes but the batching (maxUnavailable 3 lets a zone of 3 go together). */
function inputs(sim: SimCluster, url: string, version: string, mode: "node" | "locality"): ClusterVersionInputs {
  const batching: Partial<StrategyInput> = mode === "locality" ? { batch: "locality", maxUnavailable: 3 } : { batch: "node" };
  return {
    version,
    nodes: sim.providerNodes,
    sql: { insecure: true },
    release: { urlTemplate: `${url}/cockroach-{version}.linux-amd64.tgz` },
    strategy: fastStrategy({ waitAfterRejoin: BAKE, canaryBake: BAKE, ...batching }),
  };
}

async function update(
  sim: SimCluster,
  olds: ClusterVersionOutputs | undefined,
  news: ClusterVersionInputs,
): Promise<ClusterVersionOutputs> {
  const r = await converge(olds === undefined ? "" : "crdb-bench-zone", olds, news);
  if (!r.outs) throw new Error(`update to ${news.version} failed: ${r.failure?.message}\n${r.lines.slice(-20).join("\n")}`);
  return r.outs;
}

if (require.main === module) {
  const i = process.argv.indexOf("--rounds");
  const rounds = i >= 0 ? Number(process.argv[i + 1]) : 1;
  benchZoneBatching({ rounds, log: (l) => console.error(`bench: ${l}`) }).then(
    (r) => {
      const s = (ms: readonly number[]): string => ms.map((x) => `${(x / 1000).toFixed(1)} s`).join(", ");
      const rows: [string, string, string][] = [
        ["nodes (3 zones of 3)", String(r.nodes), ""],
        ["one node at a time, wall", s(r.nodeWallMs), ""],
        ['batch: "locality", wall', s(r.localityWallMs), ""],
        ["ratio (locality ÷ one at a time)", r.ratio.toFixed(3), `<= ${TARGETS.ratio}`],
        [
          "unavailable ranges, max in one sample",
          `${r.maxUnavailableRanges} (${r.rangeSamples} samples)`,
          `= ${TARGETS.unavailableRanges}`,
        ],
        ["most nodes down at once (locality)", String(r.maxDownAtOnce), "<= 3"],
      ];
      for (const [k, v, t] of rows) console.log(`${k.padEnd(40)} ${v.padStart(22)}  ${t}`);
    },
    (e: Error) => {
      console.error(e.message);
      process.exit(1);
    },
  );
}
