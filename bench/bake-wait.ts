/**
 * The per-node wait after the rejoin (issue 14's time model), measured: a
 * simulated cluster (time scale 0.1, as the integration tests) rolled one
 * patch release through the provider's lifecycle, then, per node from the
 * rollout record, the wait from the rejoin (end of await-node) to the end of
 * its bake (await-cluster + bake), beside the configured bake; and the plan's
 * ETA beside the wall time.
 *
 * Run under nsrun: node dist/bench/bake-wait.js [--nodes 3] [--bake 3s] [--recheck 1.2s] [--base-ip 127.0.204.10]
 */
import type { ClusterVersionOutputs, PhaseRecord } from "../provider/core/types";
import { parseDuration } from "../provider/core/duration";
import { converge, fastStrategy, inputsFor } from "../tests/support/provider-harness";
import { startSimCluster } from "../tests/support/sim-cluster";

interface Row {
  readonly node: string;
  readonly restartMs: number;
  readonly waitAfterRejoinMs: number;
}

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1] : fallback;
}

const end = (p: PhaseRecord): number => Date.parse(p.startedAt) + p.durationMs;
const begin = (p: PhaseRecord): number => Date.parse(p.startedAt);

function rows(outs: ClusterVersionOutputs): Row[] {
  return (outs.lastRollout?.nodes ?? []).map((n) => {
    const of = (phase: string): PhaseRecord[] => n.phases.filter((p) => p.phase === phase);
    const first = Math.min(...[...of("drain"), ...of("stop")].map(begin));
    const rejoin = Math.max(...of("await-node").map(end));
    const baked = Math.max(...[...of("await-cluster"), ...of("bake")].map(end));
    return { node: n.name, restartMs: rejoin - first, waitAfterRejoinMs: baked - rejoin };
  });
}

async function main(): Promise<void> {
  const nodes = Number(arg("nodes", "3"));
  const bake = arg("bake", "3s");
  const recheck = arg("recheck", "1.2s");
  const rolls = Number(arg("rolls", "2"));
  const batch = arg("batch", "node");
  const versions = Array.from({ length: rolls + 1 }, (_, i) => `v23.1.${11 + i}`);
  const localities = batch === "locality" ? ["region=r1,zone=a", "region=r1,zone=b", "region=r1,zone=c"] : undefined;
  const sim = await startSimCluster({
    nodes,
    version: versions[0],
    baseIp: arg("base-ip", "127.0.204.10"),
    timeScale: 0.1,
    ...(localities && { localities }),
  });
  const served = await sim.serveReleases(versions.slice(1).map((v) => sim.buildRelease(v))[0].dir);
  try {
    const zone = Math.ceil(nodes / 3);
    const strategy = fastStrategy({
      waitAfterRejoin: bake,
      canaryBake: bake,
      gateRecheckAfter: recheck,
      watch: "0s",
      ...(batch === "locality" && { batch: "locality", maxUnavailable: zone }),
    });
    let outs = (await converge("", undefined, inputsFor(sim, versions[0], served.url, { strategy }))).outs;
    if (!outs) throw new Error("adopt failed");
    console.log(`${nodes} nodes, batch ${batch}, bake ${bake}, gateRecheckAfter ${recheck}`);
    for (const v of versions.slice(1)) {
      const up = await converge("bake-wait", outs, inputsFor(sim, v, served.url, { strategy }));
      if (!up.outs) throw new Error(`update to ${v} failed: ${up.failure?.message}`);
      outs = up.outs;
      const rec = up.outs.lastRollout;
      const wall = rec ? Date.parse(rec.finishedAt) - Date.parse(rec.startedAt) : NaN;
      const text = up.lines.join("\n");
      const eta = (/rolling \d+ node\(s\), estimated (\S+)/.exec(text) ?? /estimated duration: ~(\S+)/.exec(text))?.[1];
      const etaMs = eta ? parseDuration(eta, "eta") : NaN;
      console.log(`  -> ${v}`);
      for (const r of rows(up.outs))
        console.log(
          `    ${r.node}: drain..rejoin ${(r.restartMs / 1000).toFixed(2)} s, rejoin..next node ${(r.waitAfterRejoinMs / 1000).toFixed(2)} s`,
        );
      console.log(`    wall ${(wall / 1000).toFixed(1)} s, plan ETA ${eta} (${(etaMs / wall).toFixed(2)} of wall)`);
    }
  } finally {
    await served.close();
    await sim.stop();
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
