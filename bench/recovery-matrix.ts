/**
 * The recovery matrix (issue 18): a major upgrade with the real Pulumi CLI,
 * SIGKILLed at each phase, for both block kinds and both operator originals,
 * killing either `pulumi` with its plugins or the provider process alone.
 * Then `pulumi cancel`, `refresh` and `up` — with the config unchanged
 * (finalize) or reverted (roll back), alternating — must leave the cluster
 * finalized or rolled back as asked, with the block setting equal to the
 * operator's original value and nothing left in the cluster's memory.
 *
 * Phases are found from the cluster's own memory (crdb_upgrade.rollout's
 * `phase`, written by the provider as it goes): `before-block` kills at the
 * pre-flight, `roll` at n2's drain, `bake` in the bake before finalization
 * (afterBake), `finalize` once finalization started.
 *
 *   nsrun npx mocha --config .mocharc.json --timeout 0 dist/bench/recovery-matrix.js
 *   RECOVERY_CASES=auto-on-roll-pulumi,preserve-off-bake-provider ... (a subset by id)
 *
 * A fresh simulated cluster per case (127.0.151.x), time scale 0.1. Each run
 * rewrites the rows it ran in bench/RECOVERY-MATRIX.md.
 */
import * as assert from "assert";
import type { ChildProcess } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { PulumiWorkspace, REPO_ROOT } from "../tests/support/pulumi";
import { rootProgram } from "../tests/support/root-program";
import { startSimCluster } from "../tests/support/sim-cluster";
import { fastStrategy, runningBuilds, watch } from "../tests/support/provider-harness";
import { serveReleaseMirror } from "../tests/support/release-mirror";
import { cmdline, descendantsOf, killPids } from "../tests/support/processes";
import { rolloutMemory, setting, sql, waitUntil } from "../tests/support/cluster-sql";

interface Kind {
  readonly name: "preserve" | "auto";
  readonly from: string;
  readonly to: string;
  readonly setting: string;
  /** The operator's original: "on" lets CockroachDB finalize by itself, "off" holds it. */
  readonly original: { readonly on: string; readonly off: string };
}

const KINDS: readonly Kind[] = [
  {
    name: "preserve",
    from: "v23.1.11",
    to: "v23.2.3",
    setting: "cluster.preserve_downgrade_option",
    original: { on: "", off: "23.1" },
  },
  { name: "auto", from: "v23.2.3", to: "v24.1.2", setting: "cluster.auto_upgrade.enabled", original: { on: "true", off: "false" } },
];
const PHASES = {
  "before-block": /^(preflight|stage-release|hooks)/,
  roll: /^drain n2/,
  bake: /^bake$/,
  finalize: /^(unblock-finalization|finalize)/,
} as const;
type PhaseName = keyof typeof PHASES;
const VICTIMS = ["pulumi", "provider"] as const;

interface Row {
  id: string;
  kind: string;
  original: string;
  phase: PhaseName;
  victim: string;
  asked: "finalize" | "rollback";
  killedAt: string;
  outcome: string;
  settingAfter: string;
  ok: boolean;
  wallS: number;
}

const selected = (process.env.RECOVERY_CASES ?? "").split(",").filter((s) => s !== "");

describe("bench: recovery matrix (kill at every phase of a major, both block kinds, both originals)", function () {
  this.timeout(0);
  let n = 0;
  for (const kind of KINDS)
    for (const original of ["on", "off"] as const)
      for (const phase of Object.keys(PHASES) as PhaseName[])
        for (const victim of VICTIMS) {
          const id = `${kind.name}-${original}-${phase}-${victim}`;
          // Finalization cannot be undone: a kill during it is recovered by finishing it.
          const asked = phase === "finalize" || n++ % 2 === 0 ? "finalize" : "rollback";
          if (selected.length > 0 && !selected.includes(id)) continue;
          it(`${id}: recover by ${asked}`, () => runCase({ id, kind, original, phase, victim, asked }));
        }
});

async function runCase(c: {
  id: string;
  kind: Kind;
  original: "on" | "off";
  phase: PhaseName;
  victim: (typeof VICTIMS)[number];
  asked: "finalize" | "rollback";
}): Promise<void> {
  const started = Date.now();
  const sim = await startSimCluster({ nodes: 3, version: c.kind.from, baseIp: "127.0.151.10", timeScale: 0.1 });
  const served = await serveReleaseMirror(sim, [c.kind.from, c.kind.to]);
  const program = rootProgram();
  const ws = new PulumiWorkspace({ programDir: program.dir, stack: "matrix" });
  const stray: number[] = [];
  const row: Row = {
    id: c.id,
    kind: c.kind.name,
    original: c.original,
    phase: c.phase,
    victim: c.victim,
    asked: c.asked,
    killedAt: "-",
    outcome: "-",
    settingAfter: "-",
    ok: false,
    wallS: 0,
  };
  let monitor: Awaited<ReturnType<typeof watch>> | undefined;
  try {
    await ws.init();
    const configure = (version: string) =>
      program.setConfig("matrix", {
        nodes: sim.providerNodes,
        sql: { insecure: true },
        version,
        release: { urlTemplate: `${served.url}/cockroach-{version}.linux-amd64.tgz` },
        strategy: fastStrategy({ finalize: "afterBake:6s" }),
      });
    configure(c.kind.from);
    await ws.ok(["up", "--yes", "--skip-preview"]);
    const want = c.kind.original[c.original];
    if (want === "") await sql(sim, `RESET CLUSTER SETTING ${c.kind.setting}`);
    else await sql(sim, `SET CLUSTER SETTING ${c.kind.setting} = '${want}'`);
    monitor = await watch(sim);

    configure(c.kind.to);
    let pid = 0;
    const run = ws.run(["up", "--yes", "--skip-preview"], { onSpawn: (ch: ChildProcess) => (pid = ch.pid ?? 0) });
    let ended = false;
    void run.finally(() => (ended = true));
    await waitUntil(
      `phase ${c.phase}`,
      async () => ended || PHASES[c.phase].test(String((await rolloutMemory(sim).catch(() => undefined))?.phase ?? "")),
      180_000,
      25,
    );
    const phaseSeen = String((await rolloutMemory(sim).catch(() => undefined))?.phase ?? "");
    const nodes = new Set(sim.providerNodes.map((x) => sim.pidOf(x.name)));
    const below = descendantsOf(pid).filter((p) => !nodes.has(p));
    const victims = c.victim === "pulumi" ? [pid, ...below] : below.filter((p) => /dynamic-provider/.test(cmdline(p)));
    stray.push(...below);
    killPids(victims);
    row.killedAt = ended ? "(run ended first)" : phaseSeen;
    await run;

    await ws.run(["cancel", "--yes"]);
    await ws.ok(["refresh", "--yes", "--skip-preview"]);
    configure(c.asked === "finalize" ? c.kind.to : c.kind.from);
    await ws.ok(["up", "--yes", "--skip-preview"]);

    const target = c.asked === "finalize" ? c.kind.to : c.kind.from;
    const series = target.slice(1).split(".").slice(0, 2).join(".");
    const builds = Object.values(await runningBuilds(sim));
    const version = await setting(sim, "version");
    row.settingAfter = await setting(sim, c.kind.setting);
    const memory = await rolloutMemory(sim);
    row.outcome = `${builds.every((b) => b === target) ? target : builds.join("/")}, cluster ${version}`;
    await monitor.stop();
    assert.deepStrictEqual(monitor.violations({ maxUnavailable: 1 }), []);
    assert.ok(
      builds.every((b) => b === target),
      `every node on ${target}: ${builds.join(", ")}`,
    );
    assert.strictEqual(version, series);
    // preserve_downgrade_option names the old series: once finalized it is reset (CockroachDB refuses a stale value).
    const expected = c.kind.name === "preserve" && c.asked === "finalize" ? "" : want;
    assert.strictEqual(row.settingAfter, expected, `${c.kind.setting} is the operator's original`);
    assert.strictEqual(memory?.setting ?? null, null, "no block left in the cluster's memory");
    row.ok = true;
  } finally {
    row.wallS = Math.round((Date.now() - started) / 100) / 10;
    writeTable([row]); // row by row: a long run interrupted keeps what it measured
    killPids(stray);
    await monitor?.stop().catch(() => undefined);
    await ws.dispose();
    program.dispose();
    await served.close();
    await sim.stop();
  }
}

function writeTable(ran: readonly Row[]): void {
  const file = path.join(REPO_ROOT, "bench", "RECOVERY-MATRIX.md");
  const head = fs.existsSync(file) ? fs.readFileSync(file, "utf8") : "";
  const kept = new Map<string, string>();
  for (const line of head.split("\n")) {
    const m = /^\| (\S+-\S+-\S+-\S+) \|/.exec(line);
    if (m && m[1] !== "id") kept.set(m[1], line);
  }
  const when = new Date().toISOString().slice(0, 16) + "Z";
  for (const r of ran)
    kept.set(
      r.id,
      `| ${r.id} | ${r.kind} | ${r.original} | ${r.phase} | ${r.victim} | ${r.asked} | ${r.killedAt} | ${r.outcome} | '${r.settingAfter}' | ${r.ok ? "ok" : "FAILED"} | ${r.wallS} s | ${when} |`,
    );
  const intro = head.split("\n| id |")[0].trimEnd();
  const table = [
    "| id | kind | original | phase | victim | asked | killed at (memory phase) | after recovery | block setting after | result | wall time | run |",
    "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ...[...kept.keys()].sort().map((k) => kept.get(k) as string),
  ];
  fs.writeFileSync(file, `${intro}\n\n${table.join("\n")}\n`);
}
