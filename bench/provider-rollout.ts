/**
 * The rollout's own overhead and footprint, on 5 simulated nodes (time
 * scale 0.1): wall time of the update divided by the time nothing can save
 * — per node drain + stop + start + ready (the restart) + the cluster gate
 * (catch-up) + the configured bake — and the provider process's peak RSS.
 * Targets: ratio <= 1.10, peak RSS < 200 MB.
 *
 * Standalone: `node dist/bench/provider-rollout.js` prints a table.
 */
import { execFile } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { ClusterVersionInputs, Phase, RolloutRecord } from "../provider/core/types";
import { startSimCluster } from "../tests/support/sim-cluster";

const NODES = 5;
const FROM = "v23.1.11";
const TO = "v23.1.12";
/** 30 sim seconds: longer than the sim's 20 s post-restart catch-up, as a real bake must be. */
const BAKE = "3s";
export const TARGETS = { ratio: 1.1, peakRssMb: 200 } as const;

/** Phases whose time is inherent to a rolling restart; everything else is the provider's overhead. */
const UNAVOIDABLE: readonly Phase[] = ["drain", "stop", "start", "await-node", "await-cluster", "bake"];

export interface RolloutBench {
  readonly nodes: number;
  readonly wallMs: number;
  readonly unavoidableMs: number;
  readonly ratio: number;
  readonly peakRssMb: number;
}

export async function benchProviderRollout(): Promise<RolloutBench> {
  const sim = await startSimCluster({ nodes: NODES, version: FROM, baseIp: "127.0.28.10", timeScale: 0.1 });
  const served = await sim.serveReleases(sim.buildRelease(TO).dir);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "bench-rollout-"));
  try {
    const base = (version: string): ClusterVersionInputs => ({
      version,
      nodes: sim.providerNodes,
      sql: { insecure: true },
      release: { urlTemplate: `${served.url}/cockroach-{version}.linux-amd64.tgz` },
      // No post-roll watch window: the bench compares the time to roll, and the naive procedure has none.
      strategy: { waitAfterRejoin: BAKE, canaryBake: BAKE, gateSamples: 2, gateInterval: "250ms", gateRecheckAfter: "1.2s", watch: "0s" },
    });
    const argsFile = path.join(tmp, "args.json");
    fs.writeFileSync(argsFile, JSON.stringify({ from: base(FROM), to: base(TO) }));
    const out = await runChild(argsFile);
    const unavoidableMs = unavoidable(out.record);
    return { nodes: NODES, wallMs: out.wallMs, unavoidableMs, ratio: out.wallMs / unavoidableMs, peakRssMb: out.maxRssKb / 1024 };
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
    await served.close();
    await sim.stop();
  }
}

function unavoidable(record: RolloutRecord): number {
  let ms = 0;
  for (const n of record.nodes) for (const p of n.phases) if (UNAVOIDABLE.includes(p.phase)) ms += p.durationMs;
  return ms;
}

function runChild(argsFile: string): Promise<{ wallMs: number; record: RolloutRecord; maxRssKb: number }> {
  const child = path.join(__dirname, "provider-rollout-child.js");
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [child, argsFile], { timeout: 600_000 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`rollout child failed: ${stderr || err.message}`));
      resolve(JSON.parse(stdout.trim().split("\n").pop() as string));
    });
  });
}

if (require.main === module) {
  benchProviderRollout().then(
    (r) => {
      const rows: [string, string, string][] = [
        ["nodes", String(r.nodes), ""],
        ["update wall time", `${(r.wallMs / 1000).toFixed(2)} s`, ""],
        ["unavoidable (drain+restart+catch-up+bake)", `${(r.unavoidableMs / 1000).toFixed(2)} s`, ""],
        ["ratio", r.ratio.toFixed(3), `<= ${TARGETS.ratio}`],
        ["provider peak RSS", `${r.peakRssMb.toFixed(1)} MB`, `< ${TARGETS.peakRssMb} MB`],
      ];
      for (const [k, v, t] of rows) console.log(`${k.padEnd(44)} ${v.padStart(10)}  ${t}`);
    },
    (e: Error) => {
      console.error(e.message);
      process.exit(1);
    },
  );
}
