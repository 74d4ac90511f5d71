/**
 * Faults outside the node in hand (issue 11), one case of each kind on a
 * 3-node sim cluster at time scale 0.1 (FAULT_MATRIX=full runs every phase of
 * each kind; see bench/FAULT-MATRIX.md):
 *
 * - peer: a node the run has not touched is SIGKILLed during another node's
 *   phase; the run stops, and the rollback takes no healthy node down while
 *   that peer is dead: it reports and says what to do. After the peer is
 *   back, a run to the old version completes the rollback.
 * - upgraded: an already-upgraded node's release crashes while a later node
 *   is in a phase; the whole-cluster watch names it within a few gate
 *   intervals, and the rollback restarts it first (it is down already),
 *   then the other node.
 * - rollback: a peer is SIGKILLed as the rollback starts; the rollback does
 *   not take the next node down.
 * - re-run: an earlier run left a node never-ready on the target (no
 *   rollback); the next run rolls it back before anything else and bakes
 *   the next node as a canary again.
 * - window: the last node's release crashes inside the post-roll watch
 *   window; the cluster is rolled back.
 *
 * Every case asserts, from outside (tests/support/invariant-monitor.ts), that
 * the provider started no drain or stop while the nodes already down were at
 * the budget, and afterwards that the outputs and `read` say what the nodes
 * really run.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import * as lifecycle from "../../provider/lifecycle";
import type { ClusterVersionInputs, ClusterVersionOutputs } from "../../provider/core/types";
import { disruptionStarts } from "../support/invariant-monitor";
import { converge, fastStrategy, inputsFor, prestageOnNode, runningBuilds, watch, type CallResult } from "../support/provider-harness";
import { startSimCluster, type SimCluster } from "../support/sim-cluster";
import { readSection, writeSection } from "../support/matrix-section";

const ID = "crdb-cf";
const FROM = "v23.1.11";
const TO = "v23.1.12";
const FULL = process.env.FAULT_MATRIX === "full";
/** The phases of a node in hand at which a fault outside it is injected (the quick run: one each kind). */
const PHASES = ["drain", "stop", "start", "await-node", "await-cluster", "bake"] as const;
type InHandPhase = (typeof PHASES)[number];

describe(`faults outside the node in hand${FULL ? " (full)" : " (one per kind; FAULT_MATRIX=full for every phase)"}`, function () {
  this.timeout(600_000);
  let sim: SimCluster;
  let served: { url: string; close(): Promise<void> | void };
  let good: { tarball: string; sha256: string };
  let state: ClusterVersionOutputs;

  before(async () => {
    sim = await startSimCluster({ nodes: 3, version: FROM, baseIp: "127.0.101.10", timeScale: 0.1 });
    good = sim.buildRelease(TO);
    const from = sim.buildRelease(FROM);
    for (const f of fs.readdirSync(from.dir)) fs.copyFileSync(path.join(from.dir, f), path.join(path.dirname(good.tarball), f));
    served = await sim.serveReleases(path.dirname(good.tarball));
    const r = await converge("", undefined, inputsFor(sim, FROM, served.url));
    assert.ok(r.outs, r.failure?.message);
    state = r.outs as ClusterVersionOutputs;
  });

  after(async () => {
    await served?.close();
    await sim?.stop();
  });

  function inputs(version: string, extra: Record<string, unknown> = {}): ClusterVersionInputs {
    return inputsFor(sim, version, served.url, {
      strategy: fastStrategy({
        deadlines: { drain: "5s", stop: "10s", start: "10s", ready: "4s", cluster: "5s", finalize: "30s" },
        ...extra,
      }),
    });
  }

  const peerPhases: readonly InHandPhase[] = FULL ? PHASES : ["bake"];
  for (const phase of peerPhases) {
    it(`peer: n3 SIGKILLed during n2's ${phase}: no healthy node is taken down while it is dead; the run reports and is resumable`, async () => {
      await reset();
      try {
        await peerCase(phase);
      } finally {
        // The operator brings n3 back (also when an assertion failed: the next case needs it).
        if (sim.pidOf("n3") === undefined) await startNode("n3");
      }
      // A run to the old version then completes the rollback.
      await reset();
    });
  }

  async function peerCase(phase: InHandPhase): Promise<void> {
    let killedAt: number | undefined;
    const r = await run({ kind: "peer SIGKILL (n3)", phase: `n2 ${phase}` }, {}, (line) => {
      if (killedAt === undefined && new RegExp(` n2 ${phase} \\.\\.\\.`).test(line)) {
        sim.killNode("n3", "SIGKILL");
        killedAt = Date.now();
      }
    });
    assert.ok(killedAt, "the fault was injected");
    const head = failureHead(r);
    // n3 is named: by the watch, by a gate that saw it not live, or by the guard that refused to touch n2.
    assert.match(r.failure?.message ?? "", /n3/, head);
    assert.doesNotMatch(head, /ROLLBACK FAILED/, head);
    if (/ROLLBACK STOPPED/.test(head)) {
      assert.match(r.failure?.message ?? "", /n3 is down and was not taken down by this run\. What to do: bring n3 back/, head);
    }
    const afterRun = await runningBuilds(sim);
    assert.strictEqual(afterRun.n3, undefined, "n3 stays dead: nobody but the operator restarts it");
  }

  it("upgraded: n1's release crashes ~7 s after it is ready, while n2 rolls: detected within a few gate intervals, n1 goes back first", async () => {
    await reset();
    // crash-after=70 sim s (7 s here): after n1's own gate and bake (~5 s), while n2 is in its phases.
    prestageOnNode(sim.providerNodes[0], TO, sim.buildRelease(TO, "crash-after=70").tarball, good.sha256);
    const r = await run({ kind: "upgraded crashes (n1)", phase: "crash-after=70 (timer)" }, {}, () => undefined);
    assertUpgradedCrash(r);
  });

  if (FULL) {
    for (const phase of PHASES) {
      it(`upgraded: n1 dies (SIGKILL, as a crashing release does) while n2 is in ${phase}: n1 goes back first, then n2`, async () => {
        await reset();
        let crashedAt: number | undefined;
        const r = await run({ kind: "upgraded dies (n1)", phase: `n2 ${phase}` }, {}, (line) => {
          if (crashedAt === undefined && new RegExp(` n2 ${phase} \\.\\.\\.`).test(line)) {
            sim.killNode("n1", "SIGKILL");
            crashedAt = Date.now();
          }
        });
        assert.ok(crashedAt, "the fault was injected");
        assertUpgradedCrash(r);
      });
    }
  }

  function assertUpgradedCrash(r: CallResult): void {
    const head = failureHead(r);
    assert.match(head, /^[a-z-]+ node n1 \(/, `the failure names n1: ${head}`);
    assert.match(r.failure?.message ?? "", /cluster now: n1 .*; n2 .*; n3 /, head);
    assert.match(head, /; rolled back n1(, n2)? to v23\.1\.11$/, head);
    const since = /n1 down since \S+ \((\d+) sample\(s\), (\d+)s\)/.exec(head);
    if (since) assert.ok(Number(since[2]) <= 5, `detected within a few gate intervals, not at a deadline: ${head}`);
    return undefined;
  }

  it("rollback: n3 SIGKILLed as the rollback starts: the rollback takes no node down while it is dead", async () => {
    await reset();
    try {
      await rollbackCase();
    } finally {
      if (sim.pidOf("n3") === undefined) await startNode("n3");
    }
    await reset();
  });

  async function rollbackCase(): Promise<void> {
    prestageOnNode(sim.providerNodes[1], TO, sim.buildRelease(TO, "never-ready").tarball, good.sha256);
    let killedAt: number | undefined;
    const r = await run({ kind: "peer SIGKILL in rollback (n3)", phase: "rollback start" }, {}, (line) => {
      if (killedAt === undefined && /ROLLBACK of /.test(line)) {
        sim.killNode("n3", "SIGKILL");
        killedAt = Date.now();
      }
    });
    assert.ok(killedAt, "the fault was injected");
    const head = failureHead(r);
    assert.match(head, /^await-node node n2 \(/, head);
    assert.match(head, /ROLLBACK STOPPED .*refused to (drain|stop) n2: n3 down \(not taken down by this run\)/, head);
    assert.match(head, /What to do: bring n3 back/, head);
  }

  it("re-run: a node an earlier run left never-ready on the target is rolled back before anything else; the next node bakes as a canary", async () => {
    await reset();
    prestageOnNode(sim.providerNodes[1], TO, sim.buildRelease(TO, "never-ready").tarball, good.sha256);
    const first = await converge(ID, state, inputs(TO, { rollbackOnFailure: false }));
    assert.match(failureHead(first), /^await-node node n2 \(.*rollbackOnFailure is false: nodes left as they are/);
    state = first.failure?.properties as ClusterVersionOutputs;
    clearStaging();
    const r = await run({ kind: "re-run after a never-ready node (n2)", phase: "before anything else" }, {}, () => undefined);
    const why = r.lines.join("\n");
    assert.ok(r.outs, `${r.failure?.message}\n${why}`);
    const repaired = r.lines.findIndex((l) => /n2 left unhealthy on v23\.1\.12 by an earlier run: rolling back/.test(l));
    const nextDrain = r.lines.findIndex((l) => / n[23] drain \.\.\./.test(l));
    assert.ok(repaired >= 0 && repaired < nextDrain, `n2 rolled back before any other step:\n${why}`);
    assert.ok(
      r.lines.some((l) => /canary again: v23\.1\.12 failed on a node in an earlier run/.test(l)),
      why,
    );
    assert.deepStrictEqual(Object.values(await runningBuilds(sim)), [TO, TO, TO]);
  });

  it("window: the last node's release crashes inside the post-roll watch window: the cluster is rolled back", async () => {
    await reset();
    // crash-after=100 sim s (10 s here): after n3's gate and bake (~5 s), inside a 20 s window.
    prestageOnNode(sim.providerNodes[2], TO, sim.buildRelease(TO, "crash-after=100").tarball, good.sha256);
    const r = await run({ kind: "crash in watch window (n3)", phase: "crash-after=100 (timer)" }, { watch: "20s" }, () => undefined);
    const head = failureHead(r);
    assert.ok(
      r.lines.some((l) => /watching the whole cluster for 20s/.test(l)),
      `the window was reached:\n${r.lines.join("\n")}`,
    );
    assert.match(head, /^watch(: | node n3 \()/, head);
    assert.match(head, /; rolled back n3, n2, n1 to v23\.1\.11$/, head);
    assert.deepStrictEqual(Object.values(await runningBuilds(sim)), [FROM, FROM, FROM]);
  });

  /** One update under the monitor; asserts the guard invariant and that state equals reality. */
  async function run(
    label: { kind: string; phase: string },
    strategy: Record<string, unknown>,
    onLine: (l: string) => void,
  ): Promise<CallResult> {
    const monitor = await watch(sim);
    const r = await converge(ID, state, inputs(TO, strategy), undefined, onLine);
    await monitor.stop();
    state = (r.outs ?? r.failure?.properties) as ClusterVersionOutputs;
    const why = r.lines.join("\n");
    const violations = monitor.disruptionsAtBudget(disruptionStarts(r.timed ?? []), 1);
    recordRow(label, r, violations.length, monitor.maxDownAtOnce().count, FULL ? "full" : "quick");
    assert.deepStrictEqual(violations, [], `no drain/stop with a node already down\n${why}`);
    await assertStateIsReality(why);
    return r;
  }

  async function assertStateIsReality(why: string): Promise<void> {
    const builds = await runningBuilds(sim);
    const recorded = state.nodeStatuses.map((s) => [s.name, s.state === "running" || s.state === "draining" ? s.version : undefined]);
    assert.deepStrictEqual(recorded, Object.entries(builds), `the outputs say what runs\n${why}`);
    const read = await lifecycle.read(ID, state as unknown as Record<string, unknown>, { log: () => undefined });
    const seen = (read.props as unknown as ClusterVersionOutputs).nodeStatuses.map((s) => [
      s.name,
      s.state === "running" || s.state === "draining" ? s.version : undefined,
    ]);
    assert.deepStrictEqual(seen, Object.entries(builds), `read says what runs\n${why}`);
  }

  function failureHead(r: CallResult): string {
    assert.ok(r.failure, `the update must fail; it ${r.outs?.lastRollout?.outcome}:\n${r.lines.join("\n")}`);
    return r.failure.message.split("\n")[0];
  }

  async function startNode(name: string): Promise<void> {
    const res = await sim.startNode(name);
    assert.strictEqual(res.code, 0, `restart ${name}: ${res.stderr}`);
  }

  function clearStaging(): void {
    for (const n of sim.providerNodes) fs.rmSync(path.join(path.dirname(n.binaryPath), ".crdb-upgrade"), { recursive: true, force: true });
  }

  /** Every node running; no staged release; the cluster on FROM and healthy (a run to FROM completes any rollback). */
  async function reset(): Promise<void> {
    clearStaging();
    const until = Date.now() + 90_000;
    for (;;) {
      const r = await converge(ID, state, inputs(FROM, { deadlines: { cluster: "30s", ready: "20s" } }));
      if (r.outs) state = r.outs;
      const builds = Object.values(await runningBuilds(sim));
      if (r.outs && builds.every((b) => b === FROM)) return;
      if (Date.now() > until) throw new Error(`cluster not back on ${FROM}: ${r.failure?.message}\n${r.lines.join("\n")}`);
      await new Promise((res) => setTimeout(res, 1000));
    }
  }
});

// ---------------------------------------------------------------------------
// bench/FAULT-MATRIX.md, section "cluster-faults": one row per case, merged with earlier runs' rows.
// ---------------------------------------------------------------------------

const TABLE_FILE = path.resolve(__dirname, "..", "..", "..", "bench", "FAULT-MATRIX.md");
const SECTION = "cluster-faults";
const COLUMNS = ["fault", "injected at", "outcome", "named first", "rollback", "drain/stop at budget", "max down", "wall time", "run"];

function recordRow(label: { kind: string; phase: string }, r: CallResult, atBudget: number, maxDown: number, mode: string): void {
  const head = (r.failure?.message ?? "").split("\n")[0];
  const named = /^([a-z-]+)(?: node (n\d))?[: ]/.exec(head);
  const rollback = r.outs
    ? "n/a"
    : /ROLLBACK STOPPED/.test(head)
      ? "stopped, advice given"
      : /ROLLBACK FAILED/.test(head)
        ? "FAILED"
        : /; rolled back /.test(head)
          ? `ok (${/; rolled back ([^;]*) to /.exec(head)?.[1] ?? ""})`
          : "none";
  const cells = [
    label.kind,
    label.phase,
    r.outs ? "succeeded" : (r.failure?.properties.lastRollout?.outcome ?? "failed"),
    named ? `${named[1]} ${named[2] ?? ""}`.trim() : "-",
    rollback,
    String(atBudget),
    String(maxDown),
    `${(r.ms / 1000).toFixed(1)} s`,
    `${mode} ${new Date().toISOString().slice(0, 16)}Z`,
  ];
  const key = (c: readonly string[]) => `${c[0]} ${c[1]}`;
  const rows = new Map(
    readSection(TABLE_FILE, SECTION)
      .split("\n")
      .filter((l) => l.startsWith("| ") && !l.startsWith("| fault |"))
      .map((l) =>
        l
          .split("|")
          .slice(1, -1)
          .map((c) => c.trim()),
      )
      .filter((c) => c.length === COLUMNS.length)
      .map((c) => [key(c), c] as const),
  );
  rows.set(key(cells), cells);
  const text = [
    "## Faults outside the node in hand",
    "",
    "Generated by `tests/integration/cluster-faults.test.ts` on a 3-node sim cluster (v23.1.11 -> v23.1.12, time scale 0.1):",
    "a peer SIGKILLed during each phase of another node, an already-upgraded node dying while a later node is in each phase,",
    "a peer SIGKILLed as the rollback starts, a release crashing inside the post-roll watch window. `npm test` runs one case",
    "of each kind; `FAULT_MATRIX=full npx mocha --config .mocharc.json --timeout 600000 dist/tests/integration/cluster-faults.test.js`",
    "runs every phase of each kind.",
    "",
    "- **named first**: the phase and node the update's error starts with.",
    "- **rollback**: `ok (order)`; `stopped, advice given` when a node the run did not take down was down (no other node is taken down;",
    "  the error says what to do; the cluster is left resumable).",
    "- **drain/stop at budget**: drains or stops the provider started while the nodes already down were at `maxUnavailable` (1),",
    "  judged from outside (must be 0).",
    "- **max down**: most nodes down or unready at once, from outside every 250 ms (a killed peer plus the node in hand may make 2:",
    "  that is the fault, not the provider).",
    "",
    `| ${COLUMNS.join(" | ")} |`,
    `|${COLUMNS.map(() => "---").join("|")}|`,
    ...[...rows.values()].map((c) => `| ${c.join(" | ")} |`),
  ].join("\n");
  writeSection(TABLE_FILE, SECTION, text);
}
