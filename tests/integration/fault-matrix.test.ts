/**
 * The fault matrix: every simulated release fault × node position (first,
 * middle, last) × upgrade kind (patch v23.1.11 -> v23.1.12; major
 * v23.1.11 -> v23.2.3 with finalize manual), on one 3-node sim cluster per
 * kind at time scale 0.1, reset between cases.
 *
 * Every case keeps the safety invariants: never more than one node down or
 * unready (the monitor, from outside); a failing fault is reported as
 * "<phase> node <name> (<host>): ..." at the faulty node and the touched
 * nodes are rolled back to the old build; a fault that should not fail the
 * roll (slow-catch-up, with a cluster gate that waits long enough for the
 * node to catch up) rolls through; and afterwards `read` reports what the
 * nodes really run.
 *
 * How a fault reaches one node: the faulty build of the target is
 * pre-staged on that node only (provider-harness prestageOnNode).
 * `drain-timeout` is a fault of the server being drained, so that node
 * runs a faulty build of the OLD release before the roll instead; the
 * cluster's drain settings are lowered (as an operator may) so that the
 * CLI's own minimum --drain-wait (their sum) is seconds, not 25 s.
 *
 * Size: the full matrix (36 cases) takes ~15 minutes, too long for
 * `npm test`, which runs a quick subset: each fault once, positions and
 * kinds rotated (6 cases, ~3 minutes). FAULT_MATRIX=full runs all 36. Each
 * run merges its rows into bench/FAULT-MATRIX.md as it goes.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { execFileSync } from "child_process";
import { Client } from "pg";
import * as lifecycle from "../../provider/lifecycle";
import { judgeCatchUp, parseRangesResponse, type RangeReport } from "../../provider/cluster/catch-up";
import type { ClusterVersionInputs, ClusterVersionOutputs } from "../../provider/core/types";
import { httpGet, startSimCluster, type SimCluster } from "../support/sim-cluster";
import { readSection, writeSection } from "../support/matrix-section";
import {
  converge,
  fastStrategy,
  inputsFor,
  nodeFacts,
  prestageOnNode,
  runningBuilds,
  watch,
  type CallResult,
} from "../support/provider-harness";

const ID = "crdb-fm";
const POSITIONS = ["first", "middle", "last"] as const;
type Position = (typeof POSITIONS)[number];

interface Kind {
  readonly name: "patch" | "major";
  readonly from: string;
  readonly to: string;
  readonly baseIp: string;
}
const KINDS: readonly Kind[] = [
  { name: "patch", from: "v23.1.11", to: "v23.1.12", baseIp: "127.0.67.10" },
  { name: "major", from: "v23.1.11", to: "v23.2.3", baseIp: "127.0.68.10" },
];

/** What a fault must do: fail at the faulty node in one of `phases`, or roll through. */
interface Fault {
  readonly fault: string;
  readonly expect: { readonly phases: RegExp } | "succeeds";
  /** The cluster gate's deadline: long where the gate is meant to wait the fault out. */
  readonly clusterDeadline: string;
}
const FAULTS: readonly Fault[] = [
  { fault: "start-fails", expect: { phases: /^start$/ }, clusterDeadline: "5s" },
  { fault: "never-ready", expect: { phases: /^await-node$/ }, clusterDeadline: "5s" },
  { fault: "crash-after=10", expect: { phases: /^(await-node|await-cluster|bake)$/ }, clusterDeadline: "5s" },
  { fault: "underreplication-stuck", expect: { phases: /^(await-cluster|bake)$/ }, clusterDeadline: "5s" },
  // Its Raft catch-up takes 10x the usual 30 sim-seconds (30 s here): a gate that waits 45 s sees it through.
  { fault: "slow-catch-up", expect: "succeeds", clusterDeadline: "45s" },
  // `node drain` ends in "drain timeout", is retried once, fails the node; its restart needs SIGKILL.
  { fault: "drain-timeout", expect: { phases: /^drain$/ }, clusterDeadline: "5s" },
];

/** The quick subset: every fault once, every position twice, every kind three times. */
const QUICK: ReadonlySet<string> = new Set([
  "patch start-fails first",
  "patch crash-after=10 last",
  "patch drain-timeout middle",
  "major never-ready middle",
  "major underreplication-stuck first",
  "major slow-catch-up last",
]);
const FULL = process.env.FAULT_MATRIX === "full";

for (const kind of KINDS) {
  describe(`fault matrix: ${kind.name} ${kind.from} -> ${kind.to}${FULL ? " (full)" : " (quick subset; FAULT_MATRIX=full for all)"}`, function () {
    this.timeout(600_000);
    let sim: SimCluster;
    let served: { url: string; close(): Promise<void> | void };
    let good: { tarball: string; sha256: string };
    let goodFrom: string;
    let state: ClusterVersionOutputs;

    before(async () => {
      sim = await startSimCluster({ nodes: 3, version: kind.from, baseIp: kind.baseIp, timeScale: 0.1 });
      good = sim.buildRelease(kind.to);
      const from = sim.buildRelease(kind.from);
      for (const f of fs.readdirSync(from.dir)) fs.copyFileSync(path.join(from.dir, f), path.join(path.dirname(good.tarball), f));
      goodFrom = extractBinary(from.tarball, kind.from);
      served = await sim.serveReleases(path.dirname(good.tarball));
      const r = await converge("", undefined, inputsFor(sim, kind.from, served.url));
      assert.ok(r.outs, r.failure?.message);
      state = r.outs as ClusterVersionOutputs;
      await lowerDrainSettings(sim);
    });

    after(async () => {
      await served?.close();
      await sim?.stop();
    });

    function inputs(version: string, f: Fault): ClusterVersionInputs {
      return inputsFor(sim, version, served.url, {
        strategy: fastStrategy({
          deadlines: { drain: "2s", stop: "3s", start: "10s", ready: "4s", cluster: f.clusterDeadline, finalize: "30s" },
          ...(kind.name === "major" && { finalize: "manual" }),
        }),
      });
    }

    const cases = FAULTS.flatMap((f) => POSITIONS.map((p) => ({ f, p }))).filter(
      ({ f, p }) => FULL || QUICK.has(`${kind.name} ${f.fault} ${p}`),
    );
    for (const { f, p } of cases) {
      const what = f.expect === "succeeds" ? "rolls through safely" : "fails at that node and is rolled back";
      it(`${f.fault} at the ${p} node ${what}`, async () => {
        await runCase(f, p);
      });
    }

    if (kind.name === "patch") {
      it("a node restarted by hand just before the roll has caught up before the first node is touched (no range unavailable)", async () => {
        const f = FAULTS[0];
        await backToFrom(f);
        clearStaging();
        const restarted = await sim.restartNode("n2");
        assert.strictEqual(restarted.code, 0, restarted.stderr);
        let unavailable = 0;
        let sampling = true;
        const sampler = (async () => {
          while (sampling) {
            unavailable = Math.max(unavailable, await rangesUnavailable(sim));
            await new Promise((res) => setTimeout(res, 200));
          }
        })();
        const r = await converge(ID, state, inputs(kind.to, f));
        sampling = false;
        await sampler;
        assert.ok(r.outs, `${r.failure?.message}\n${r.lines.join("\n")}`);
        state = r.outs as ClusterVersionOutputs;
        const waited = r.lines.findIndex((l) => /gate not yet: .*raft log behind \d+/.test(l));
        const firstDrain = r.lines.findIndex((l) => / n1 drain \.\.\./.test(l));
        assert.ok(waited >= 0 && waited < firstDrain, `the gate waited for n2's catch-up before n1 was drained:\n${r.lines.join("\n")}`);
        assert.strictEqual(unavailable, 0, "no range lost its quorum");
      });
    }

    async function runCase(f: Fault, position: Position): Promise<void> {
      const target = sim.providerNodes[POSITIONS.indexOf(position)];
      await backToFrom(f);
      clearStaging();
      if (f.fault === "drain-timeout")
        await runNodeOn(target.name, extractBinary(sim.buildRelease(kind.from, f.fault).tarball, kind.from), f);
      else prestageOnNode(target, kind.to, sim.buildRelease(kind.to, f.fault).tarball, good.sha256);
      try {
        await judgeCase(f, position);
      } finally {
        // A rolled-back drain-timeout node is back on its faulty old build: give it the good one.
        if (f.fault === "drain-timeout" && Object.values(await runningBuilds(sim)).every((b) => b === kind.from))
          await runNodeOn(target.name, goodFrom, f);
      }
    }

    async function judgeCase(f: Fault, position: Position): Promise<void> {
      const target = sim.providerNodes[POSITIONS.indexOf(position)];
      const monitor = await watch(sim);
      const r = await converge(ID, state, inputs(kind.to, f));
      await monitor.stop();
      state = (r.outs ?? r.failure?.properties) as ClusterVersionOutputs;
      const head = (r.failure?.message ?? "").split("\n")[0];
      const named = /^([a-z-]+) node (n\d) \(/.exec(head);
      const builds = await runningBuilds(sim);
      const expected = r.outs ? kind.to : kind.from;
      const row: MatrixRow = {
        fault: f.fault,
        position,
        kind: kind.name,
        outcome: r.outs ? "succeeded" : (state.lastRollout?.outcome ?? "failed"),
        phase: named ? `${named[1]} ${named[2]}` : "-",
        rollback: r.outs ? "n/a" : Object.values(builds).every((b) => b === kind.from) && !/ROLLBACK FAILED/.test(head) ? "ok" : "NOT OK",
        maxDown: monitor.maxDownAtOnce().count,
        wallS: r.ms / 1000,
      };
      recordRow(row, FULL ? "full" : "quick");

      const why = `${head}\n${r.lines.join("\n")}`;
      assert.deepStrictEqual(monitor.violations({ maxUnavailable: 1 }), [], "never more than one node down or unready");
      if (f.expect === "succeeds") {
        assert.ok(r.outs, why);
      } else {
        assert.ok(named, `the error names phase and node: ${why}`);
        assert.match(named[1], f.expect.phases, why);
        assert.strictEqual(named[2], target.name, why);
        assert.match(head, new RegExp(`; rolled back (n\\d(, )?)+ to ${kind.from.replace(/\./g, "\\.")}$`), why);
        assert.strictEqual(state.lastRollout?.outcome, "rolled-back");
        assert.deepStrictEqual(
          nodeFacts(sim).map((x) => x.binary),
          [kind.from, kind.from, kind.from],
          "every binary is the old one",
        );
      }
      assert.deepStrictEqual(Object.values(builds), [expected, expected, expected], "every node runs the expected build");
      const read = await lifecycle.read(ID, state as unknown as Record<string, unknown>, { log: () => undefined });
      const recorded = (read.props as unknown as ClusterVersionOutputs).nodeStatuses.map((s) => s.version);
      assert.deepStrictEqual(recorded, Object.values(builds), "read reports what the nodes run");
    }

    /** A case that rolled through leaves the cluster on the target: roll it back to `from` (a patch downgrade, or an unfinalized major's rollback). */
    async function backToFrom(f: Fault): Promise<void> {
      const builds = Object.values(await runningBuilds(sim));
      if (builds.every((b) => b === kind.from)) return waitHealthy(f);
      const r: CallResult = await converge(ID, state, inputs(kind.from, { ...f, clusterDeadline: "30s" }));
      assert.ok(r.outs, `reset to ${kind.from}: ${r.failure?.message}\n${r.lines.join("\n")}`);
      state = r.outs as ClusterVersionOutputs;
    }

    /** No staged release anywhere: each case stages its own. */
    function clearStaging(): void {
      for (const n of sim.providerNodes)
        fs.rmSync(path.join(path.dirname(n.binaryPath), ".crdb-upgrade"), { recursive: true, force: true });
    }

    /** Replaces a node's binary and restarts it (test setup, before the monitor starts). */
    async function runNodeOn(name: string, binary: string, f: Fault): Promise<void> {
      const node = sim.providerNodes.find((n) => n.name === name);
      if (!node) throw new Error(name);
      // A drain-timeout build never finishes a SIGTERM drain: SIGKILL is what stops it.
      sim.killNode(name, "SIGKILL");
      await sim.waitForExit(name, 30_000);
      fs.copyFileSync(binary, `${node.binaryPath}.tmp`);
      fs.chmodSync(`${node.binaryPath}.tmp`, 0o755);
      fs.renameSync(`${node.binaryPath}.tmp`, node.binaryPath);
      const r = await sim.startNode(name);
      assert.strictEqual(r.code, 0, `setup: restart ${name}: ${r.stderr}`);
      await waitHealthy(f);
    }

    /**
     * Until a no-op update (pre-flight's read-only checks) says the cluster is
     * healthy on `from` and every voter has caught up with its Raft leader (a
     * node the setup restarted must have caught up before the case restarts
     * another). Not `raftlog_behind` = 0: followers trail a little whenever
     * anything writes (the lease does), as in CockroachDB.
     */
    async function waitHealthy(f: Fault): Promise<void> {
      const until = Date.now() + 60_000;
      for (;;) {
        const r = await converge(ID, state, inputs(kind.from, f));
        const builds = Object.values(await runningBuilds(sim));
        if (r.outs && builds.every((b) => b === kind.from) && (await caughtUp(sim))) {
          state = r.outs;
          return;
        }
        if (Date.now() > until) throw new Error(`cluster not healthy on ${kind.from}: ${r.failure?.message}\n${r.lines.join("\n")}`);
        await new Promise((res) => setTimeout(res, 500));
      }
    }
  });
}

// ---------------------------------------------------------------------------
// bench/FAULT-MATRIX.md: one row per case, merged with the rows earlier runs wrote.
// ---------------------------------------------------------------------------

interface MatrixRow {
  readonly kind: string;
  readonly fault: string;
  readonly position: string;
  readonly outcome: string;
  /** "<phase> <node>" from the error's first words, "-" when the roll succeeded. */
  readonly phase: string;
  readonly rollback: string;
  readonly maxDown: number;
  readonly wallS: number;
}

const TABLE_FILE = path.resolve(__dirname, "..", "..", "..", "bench", "FAULT-MATRIX.md");
/** This test's section of the file (tests/support/matrix-section.ts); cluster-faults.test.ts writes its own. */
const SECTION = "release-faults";
const COLUMNS = ["kind", "fault", "position", "outcome", "phase named", "rollback", "max down", "wall time", "run"];

function recordRow(row: MatrixRow, mode: "full" | "quick"): void {
  const key = (cells: readonly string[]) => cells.slice(0, 3).join(" ");
  const cells = [
    row.kind,
    row.fault,
    row.position,
    row.outcome,
    row.phase,
    row.rollback,
    String(row.maxDown),
    `${row.wallS.toFixed(1)} s`,
    `${mode} ${new Date().toISOString().slice(0, 16)}Z`,
  ];
  const rows = new Map(readRows().map((r) => [key(r), r]));
  rows.set(key(cells), cells);
  const order = (r: readonly string[]) => [
    KINDS.findIndex((k) => k.name === r[0]),
    FAULTS.findIndex((f) => f.fault === r[1]),
    POSITIONS.indexOf(r[2] as Position),
  ];
  const sorted = [...rows.values()].sort((a, b) => {
    const [x, y] = [order(a), order(b)];
    return x[0] - y[0] || x[1] - y[1] || x[2] - y[2];
  });
  const text = [
    "# Fault matrix",
    "",
    "Generated by `tests/integration/fault-matrix.test.ts`: every simulated release fault at the first, middle",
    "and last node of a 3-node roll, for a patch (v23.1.11 -> v23.1.12) and a major (v23.1.11 -> v23.2.3,",
    "finalize manual) upgrade, on a simulated cluster at time scale 0.1. `npm test` runs a 6-case subset (~3 min);",
    "`FAULT_MATRIX=full npx mocha --config .mocharc.json dist/tests/integration/fault-matrix.test.js` runs all 36 (~21 min).",
    "Each run updates the rows it ran (the `run` column says which run and when).",
    "",
    "- **phase named**: the phase and node the update's error starts with (`<phase> node <name> (<host>): ...`).",
    "- **rollback**: every node back on the old build afterwards (n/a when the roll succeeded).",
    "- **max down**: most nodes down or unready at once, sampled from outside every 250 ms (must be ≤ 1).",
    "- **wall time**: the update call, including the rollback.",
    "",
    `| ${COLUMNS.join(" | ")} |`,
    `|${COLUMNS.map(() => "---").join("|")}|`,
    ...sorted.map((r) => `| ${r.join(" | ")} |`),
    "",
  ].join("\n");
  writeSection(TABLE_FILE, SECTION, text);
}

function readRows(): string[][] {
  return readSection(TABLE_FILE, SECTION)
    .split("\n")
    .filter((l) => /^\| (patch|major) \|/.test(l))
    .map((l) =>
      l
        .split("|")
        .slice(1, -1)
        .map((c) => c.trim()),
    )
    .filter((c) => c.length === COLUMNS.length);
}

/** Every voter caught up with its leader, judged from each node's /_status/ranges/local (the gate's own signal). */
async function caughtUp(sim: SimCluster): Promise<boolean> {
  const reports: RangeReport[] = [];
  for (const n of sim.providerNodes) {
    const { status, body } = await httpGet(n.httpAddr, "/_status/ranges/local");
    if (status !== 200) return false;
    reports.push(...parseRangesResponse(JSON.parse(body)));
  }
  return judgeCatchUp(reports).ok;
}

/** `ranges_unavailable` summed over the nodes that answer (a stopped node does not). */
async function rangesUnavailable(sim: SimCluster): Promise<number> {
  let sum = 0;
  for (const n of sim.providerNodes) {
    const body = await httpGet(n.httpAddr, "/_status/vars").then(
      (r) => r.body,
      () => "",
    );
    for (const m of body.matchAll(/^ranges_unavailable\{[^}]*\} (\d+)$/gm)) sum += Number(m[1]);
  }
  return sum;
}

/** Drain settings an operator may lower; their sum is the CLI's minimum --drain-wait (query_wait counts twice). */
async function lowerDrainSettings(sim: SimCluster): Promise<void> {
  const [host, port] = sim.providerNodes[0].sqlAddr.split(":");
  const c = new Client({ host, port: Number(port), user: "root", database: "defaultdb" });
  await c.connect();
  try {
    await c.query("SET CLUSTER SETTING server.shutdown.query_wait = '1s'");
    await c.query("SET CLUSTER SETTING server.shutdown.lease_transfer_wait = '1s'");
    // node drain counts jobs_wait (default 10s) in the --drain-wait it insists on, as CockroachDB's doDrain does.
    await c.query("SET CLUSTER SETTING server.shutdown.jobs_wait = '0s'");
  } finally {
    await c.end();
  }
}

/** The `cockroach` script inside a release tarball, extracted next to it. */
function extractBinary(tarball: string, version: string): string {
  const dir = path.join(path.dirname(tarball), `x-${path.basename(path.dirname(tarball))}-${version}`);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  execFileSync("tar", ["-xzf", tarball, "-C", dir]);
  return path.join(dir, `cockroach-${version}.linux-amd64`, "cockroach");
}
