/**
 * The engine's Cancel reaches the provider plugin (issue 12): one SIGINT to
 * `pulumi up` (the CLI process only, as the engine's first Ctrl-C) while the
 * canary n1 bakes (its "n1 bake ..." progress line on pulumi's stdout). The node in hand
 * finishes; no further node is touched (the monitor, pids and binaries of n2
 * and n3); the run ends with a message naming what was done and what remains;
 * `pulumi refresh` equals reality; a second `up` converges. The invariant
 * monitor runs throughout. A YAML program; one 3-node cluster (127.0.202.x),
 * time scale 0.1, an 8 s canary bake (the window for the SIGINT).
 */
import * as assert from "assert";
import { nodeFacts, runningBuilds, watch } from "../support/provider-harness";
import type { InvariantMonitor } from "../support/invariant-monitor";
import { startPluginWorld, type PluginWorld } from "../support/plugin-world";

const [FROM, TO] = ["v23.1.11", "v23.1.12"];
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe("e2e: one Ctrl-C (the engine's Cancel) stops the plugin's roll at a node boundary", function () {
  this.timeout(15 * 60 * 1000);
  let w: PluginWorld;
  let monitor: InvariantMonitor | undefined;

  before(async () => {
    w = await startPluginWorld({
      project: "crdb-cancel-e2e",
      stack: "cancel",
      baseIp: "127.0.202.10",
      version: FROM,
      releases: [FROM, TO],
      strategy: { canaryBake: "8s" },
      // Verbose progress: every phase start is a line (the SIGINT waits for n1's bake line).
      env: { CRDB_UPGRADE_PROGRESS: "verbose" },
      declare: true,
    });
    await w.ws.ok(["up", "--yes", "--skip-preview"]); // adopt
  });

  after(async () => {
    await monitor?.stop();
    await w?.dispose();
  });

  it("SIGINT during n1's bake: n1 finishes, n2 and n3 untouched, the message says done and remaining; refresh equals reality; up converges", async () => {
    const { sim, ws } = w;
    const before = nodeFacts(sim);
    monitor = await watch(sim);
    const m = monitor;
    w.setVersion(TO);

    let pulumiPid = 0;
    let ended = false;
    let stdout = "";
    const up = ws
      .run(["up", "--yes", "--skip-preview"], {
        onSpawn: (c) => {
          pulumiPid = c.pid ?? 0;
          c.stdout?.on("data", (d: Buffer) => (stdout += d.toString()));
        },
      })
      .finally(() => (ended = true));
    // The plugin's progress line under the resource (verbose mode): n1 restarted, passed its gates, bakes 8 s.
    while (!ended && !/n1 bake \.\.\./.test(stdout)) await sleep(50);
    if (ended) {
      const r = await up;
      assert.fail(`the up ended (code ${r.code}) before n1's bake\n${r.stdout}\n${r.stderr}`);
    }
    process.kill(pulumiPid, "SIGINT");
    const r = await up;
    const out = r.stdout + r.stderr;
    await m.stop();
    monitor = undefined;
    console.log(
      `      ${out
        .split("\n")
        .filter((l) => /at a node boundary/.test(l))[0]
        ?.trim()}`,
    );
    const why = `exit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;

    assert.notStrictEqual(r.code, 0, `a cancelled update fails\n${why}`);
    assert.match(out, /cancelled [^\n]*at a node boundary: n1 on v23\.1\.12; remaining: n2 \(v23\.1\.11[^)]*\), n3 \(v23\.1\.11/, why);
    assert.strictEqual(m.firstDisturbance("n2"), undefined, `n2 was not touched\n${why}`);
    assert.strictEqual(m.firstDisturbance("n3"), undefined, `n3 was not touched\n${why}`);
    const after = nodeFacts(sim);
    for (const name of ["n2", "n3"]) {
      const [b, a] = [before.find((n) => n.name === name), after.find((n) => n.name === name)];
      assert.deepStrictEqual(a, b, `${name}: same pid and binary`);
    }
    const live = await runningBuilds(sim);
    assert.deepStrictEqual(live, { n1: TO, n2: FROM, n3: FROM }, "n1 finished; the others were left");
    assert.deepStrictEqual(m.violations({ maxUnavailable: 1 }), [], "never more than one node down or unready");
    const last = m.samples[m.samples.length - 1];
    assert.ok(
      last.nodes.every((n) => n.alive && n.ready),
      `every node up and ready at the end: ${JSON.stringify(last.nodes)}`,
    );

    // The state after a refresh equals what runs; a second up resumes with n2 and converges.
    await ws.ok(["refresh", "--yes", "--skip-preview"]);
    assert.deepStrictEqual(await w.stateVersions(), live, "refresh equals reality");
    monitor = await watch(sim);
    await ws.ok(["up", "--yes", "--skip-preview"]);
    await monitor.stop();
    assert.deepStrictEqual(await runningBuilds(sim), w.uniform(TO));
    assert.deepStrictEqual(await w.stateVersions(), w.uniform(TO));
    assert.deepStrictEqual(monitor.violations({ maxUnavailable: 1 }), []);
    monitor = undefined;
  });
});
