/**
 * Issue 14's targets table: `npm run bench:targets -- run --label before`
 * runs the measurements and stores their figures in
 * bench/targets-<label>.json (a later run with --only adds to the file);
 * `npm run bench:targets -- table` renders the "before" and "after" files
 * side by side into bench/RESULTS.md and the README (between the
 * `targets:start/end` markers). Benchmarks never assert: a failed part is
 * stored with its error.
 *
 * Parts (--only literal,engine,gate,checkdiff):
 *   literal   provider vs the literal-procedure script (bench/naive-upgrade.ts), 5 nodes behind HAProxy
 *             under the client workload, same bake (BAKE_MS) for both, same run (bench/load.ts)
 *   engine    `pulumi up` under the real engine on 3 / 9 / 30 / 50 nodes (bench/engine-roll.ts): floor, ETA,
 *             zone ÷ node, invariants, the dynamic-provider process's RSS
 *   gate      gate queries per second at real timing, 5 and 50 nodes (bench/gate-load.ts)
 *   checkdiff check + diff at 500 nodes (bench/check-diff.ts)
 *   eta-real  a first roll's plan ETA where its figures apply: `pulumi up` on a sim at time scale 1 (real
 *             timing), the provider's own gate timing, a 15 s bake; 3 and 9 nodes one at a time, 9 by zone
 *             (bench/engine-roll.ts with realTiming); plan ETA and after-canary re-estimate against the wall
 *
 * --base-ip a.b.c.d puts every cluster there instead of each part's own /24 (an engineer's band).
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { benchCheckDiff } from "./check-diff";
import { benchEngineRoll, type EngineRoll, type Mode } from "./engine-roll";
import { benchGateLoad, type GateLoad } from "./gate-load";
import { benchLoad, type LoadRun } from "./load";
import { renderTargets } from "./targets-table";

const BENCH_DIR = path.resolve(__dirname, "..", "..", "bench");
/** The same bake for the provider and the script, wall time (50 s of sim time at scale 0.2). */
export const BAKE_MS = 10_000;
/** Cluster sizes of the engine part, with the modes each rolls (on one cluster, one after the other). */
/** The eta-real part: real timing, a first roll each (one cluster per case). */
const ETA_REAL: readonly { nodes: number; mode: Mode }[] = [
  { nodes: 3, mode: "node" },
  { nodes: 9, mode: "node" },
  { nodes: 9, mode: "zone" },
];
const ETA_REAL_BAKE = "15s";
const ENGINE_SIZES: readonly { nodes: number; modes: readonly Mode[] }[] = [
  { nodes: 3, modes: ["node"] },
  { nodes: 9, modes: ["node", "zone"] },
  { nodes: 30, modes: ["node", "zone"] },
  { nodes: 50, modes: ["node", "zone"] },
];

export interface TargetsFile {
  label: string;
  commit?: string;
  machine?: string;
  literal?: { runs: LoadRun[]; error?: string };
  engine?: { rolls: EngineRoll[]; errors: string[] };
  /** First rolls at real timing (time scale 1): the plan ETA where its figures apply. */
  etaReal?: { rolls: EngineRoll[]; errors: string[] };
  gate?: { results: GateLoad[]; errors: string[] };
  checkdiff?: { nodes: number; checkMs: number; diffMs: number; checkCpuMs?: number; diffCpuMs?: number }[];
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const log = (l: string): void => console.error(`bench: ${l}`);

function machine(): string {
  const [l1, l5] = os.loadavg();
  return `${os.cpus().length} cores, load average ${l1.toFixed(2)} / ${l5.toFixed(2)} (1 / 5 min) at the start, ${(os.totalmem() / 2 ** 30).toFixed(0)} GB`;
}

async function run(label: string, only: readonly string[]): Promise<void> {
  const file = path.join(BENCH_DIR, `targets-${label}.json`);
  const out: TargetsFile = fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, "utf8")) as TargetsFile) : { label };
  out.commit = process.env.BENCH_COMMIT ?? out.commit;
  out.machine = machine();
  const save = (): void => fs.writeFileSync(file, JSON.stringify(out, null, 1) + "\n");
  if (only.includes("checkdiff")) {
    out.checkdiff = [];
    for (const nodes of [100, 500]) {
      const r = await benchCheckDiff(nodes);
      out.checkdiff.push({
        nodes,
        checkMs: r.checkMsMedian,
        diffMs: r.diffMsMedian,
        checkCpuMs: r.checkCpuMsMedian,
        diffCpuMs: r.diffCpuMsMedian,
      });
    }
    save();
  }
  if (only.includes("gate")) {
    out.gate = { results: [], errors: [] };
    for (const [k, nodes] of [5, 50].entries()) {
      try {
        out.gate.results.push(await benchGateLoad({ nodes, baseIp: `127.0.${211 + k}.10`, holdMs: 60_000 }));
        log(`gate ${nodes} nodes: ${JSON.stringify(out.gate.results[out.gate.results.length - 1])}`);
      } catch (e) {
        out.gate.errors.push(`${nodes} nodes: ${(e as Error).message}`);
      }
      save();
    }
  }
  if (only.includes("engine")) {
    const sizes = arg("sizes")?.split(",").map(Number);
    // --sizes re-runs some sizes: the others' figures stay.
    const kept = (out.engine?.rolls ?? []).filter((r) => sizes !== undefined && !sizes.includes(r.nodes));
    const keptErrors = (out.engine?.errors ?? []).filter((e) => sizes !== undefined && !sizes.some((n) => e.startsWith(`${n} nodes`)));
    out.engine = { rolls: kept, errors: keptErrors };
    for (const [k, s] of ENGINE_SIZES.entries()) {
      if (sizes && !sizes.includes(s.nodes)) continue;
      try {
        const engine = out.engine;
        await benchEngineRoll({
          nodes: s.nodes,
          // --modes node,node: the second roll's ETA follows the first one's measured pace.
          modes: (arg("modes")?.split(",") as Mode[] | undefined) ?? s.modes,
          baseIp: arg("base-ip") ?? `127.0.${214 + k}.10`,
          timeScale: 0.1,
          bake: "3s",
          monitorMs: s.nodes > 10 ? 1000 : 250,
          log,
          onRoll: (r) => {
            engine.rolls.push(r);
            save();
          },
        });
      } catch (e) {
        out.engine.errors.push(`${s.nodes} nodes: ${(e as Error).message.slice(0, 500)}`);
        log(`engine ${s.nodes} nodes FAILED: ${(e as Error).message.slice(0, 500)}`);
      }
      save();
    }
  }
  if (only.includes("eta-real")) await runEtaReal(out, save);
  if (only.includes("literal")) {
    try {
      const r = await benchLoad({
        runs: Number(arg("rounds") ?? 2),
        timeScale: 0.2,
        baseIp: "127.0.213.10",
        lbHost: "127.0.213.1",
        // The script on the same cluster (initial_wait 8s, as the provider's pre-flight asks), then on the docs' 0s.
        methods: ["provider", "naive+8s", "naive"],
        bakeMs: BAKE_MS,
        gateRun: false,
        log,
      });
      out.literal = { runs: [...r.runs] };
    } catch (e) {
      out.literal = { runs: [], error: (e as Error).message };
    }
    save();
  }
}

/** --eta-cases 9:node,3:node runs only these cases; the others' figures stay. */
async function runEtaReal(out: TargetsFile, save: () => void): Promise<void> {
  const only = arg("eta-cases")?.split(",");
  const picked = (c: { nodes: number; mode: Mode }): boolean => only === undefined || only.includes(`${c.nodes}:${c.mode}`);
  const eta: NonNullable<TargetsFile["etaReal"]> = {
    rolls: (out.etaReal?.rolls ?? []).filter((r) => !picked(r)),
    errors: (out.etaReal?.errors ?? []).filter((e) => only !== undefined && !only.some((c) => e.startsWith(c.replace(":", " nodes ")))),
  };
  out.etaReal = eta;
  for (const [k, c] of ETA_REAL.entries()) {
    if (!picked(c)) continue;
    try {
      await benchEngineRoll({
        nodes: c.nodes,
        modes: [c.mode],
        baseIp: arg("base-ip") ?? `127.0.${218 + k}.10`,
        timeScale: 1,
        realTiming: true,
        bake: ETA_REAL_BAKE,
        monitorMs: 1000,
        log,
        onRoll: (r) => {
          eta.rolls.push(r);
          save();
        },
      });
    } catch (e) {
      eta.errors.push(`${c.nodes} nodes ${c.mode}: ${(e as Error).message.slice(0, 500)}`);
      log(`eta-real ${c.nodes} nodes FAILED: ${(e as Error).message.slice(0, 500)}`);
    }
    save();
  }
}

async function main(): Promise<void> {
  const cmd = process.argv[2];
  if (cmd === "run") {
    const only = (arg("only") ?? "checkdiff,gate,engine,literal").split(",");
    await run(arg("label") ?? "before", only);
  } else if (cmd === "table") {
    renderTargets(BENCH_DIR);
  } else {
    console.error("usage: node dist/bench/targets.js run --label before|after [--only literal,engine,gate,checkdiff,eta-real] | table");
    process.exit(2);
  }
}

if (require.main === module) {
  main().then(
    () => process.exit(0),
    (e: unknown) => {
      console.error(e);
      process.exit(1);
    },
  );
}
