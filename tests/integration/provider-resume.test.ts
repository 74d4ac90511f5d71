/**
 * Interrupted updates. An update stopped half way (its AbortSignal fired, as
 * when the engine gives up on the provider) reports what nodes REALLY run;
 * a different version is then refused without touching anything (mixed
 * builds, or a node left mid-upgrade); running the same update again
 * resumes: nodes already on the target keep running untouched, a node left
 * stopped is found, started and verified, and the rest roll.
 */
import * as assert from "assert";
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { ClusterVersionInputs, ClusterVersionOutputs } from "../../provider/core/types";
import * as lifecycle from "../../provider/lifecycle";
import { startSimCluster, type SimCluster } from "../support/sim-cluster";
import { converge, inputsFor, nodeFacts, runningBuilds, watch, type CallResult } from "../support/provider-harness";

const FROM = "v23.1.11";
const TO = "v23.1.12";
const OTHER = "v23.1.13";

/** Runs an update and aborts it as soon as a progress line matches `when`. */
async function updateAbortedAt(id: string, olds: ClusterVersionOutputs, news: ClusterVersionInputs, when: RegExp): Promise<CallResult> {
  const ctl = new AbortController();
  const lines: string[] = [];
  try {
    const r = await lifecycle.update(id, olds as unknown as Record<string, unknown>, news as unknown as Record<string, unknown>, {
      signal: ctl.signal,
      log: (l) => {
        lines.push(l);
        if (when.test(l)) ctl.abort("test interrupts the update");
      },
    });
    return { outs: r.outs as unknown as ClusterVersionOutputs, lines, ms: 0 };
  } catch (e) {
    return { failure: e as CallResult["failure"], lines, ms: 0 };
  }
}

/** Runs the update in a child process and SIGKILLs it when a line matches `when`. */
async function updateKilledAt(id: string, olds: ClusterVersionOutputs, news: ClusterVersionInputs, when: RegExp): Promise<string[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "killed-update-"));
  const file = path.join(dir, "args.json");
  fs.writeFileSync(file, JSON.stringify({ id, olds, news }));
  const child = spawn(process.execPath, [path.join(__dirname, "..", "support", "provider-update-child.js"), file], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines: string[] = [];
  let buf = "";
  try {
    await new Promise<void>((resolve, reject) => {
      child.stdout.on("data", (b: Buffer) => {
        buf += b.toString();
        const parts = buf.split("\n");
        buf = parts.pop() ?? "";
        for (const l of parts) {
          lines.push(l);
          if (when.test(l)) child.kill("SIGKILL");
        }
      });
      child.on("exit", (_code, sig) =>
        sig === "SIGKILL" ? resolve() : reject(new Error(`the update was not killed:\n${lines.join("\n")}`)),
      );
    });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return lines;
}

describe("provider: interrupted updates resume", function () {
  this.timeout(300_000);
  let sim: SimCluster;
  let served: { url: string; close(): Promise<void> | void };
  let adopted: ClusterVersionOutputs;

  beforeEach(async () => {
    sim = await startSimCluster({ nodes: 3, version: FROM, baseIp: "127.0.24.10", timeScale: 0.1 });
    const to = sim.buildRelease(TO);
    sim.buildRelease(OTHER);
    served = await sim.serveReleases(to.dir);
    const r = await converge("", undefined, inputsFor(sim, FROM, served.url));
    assert.ok(r.outs, r.failure?.message);
    adopted = r.outs as ClusterVersionOutputs;
  });

  afterEach(async () => {
    await served?.close();
    await sim?.stop();
  });

  it("stopped during n2's bake: real state recorded, another version refused as mixed builds, same version resumes", async () => {
    const first = await updateAbortedAt("crdb-r", adopted, inputsFor(sim, TO, served.url), /n2 bake \.\.\./);
    assert.ok(first.failure, "an interrupted update rejects");
    assert.match(first.failure.message, /interrupted: nodes left as they are/);
    const recorded = first.failure.properties.nodeStatuses.map((s) => [s.name, s.version, s.state]);
    assert.deepStrictEqual(recorded, [
      ["n1", TO, "running"],
      ["n2", TO, "running"],
      ["n3", FROM, "running"],
    ]);

    const before = nodeFacts(sim);
    const other = await converge("crdb-r", first.failure.properties, inputsFor(sim, OTHER, served.url));
    assert.match(
      other.failure?.message ?? "",
      /^preflight: refused, no node was touched: .*nodes run different builds \(v23\.1\.11, v23\.1\.12\)/,
    );
    assert.deepStrictEqual(
      nodeFacts(sim).map((f) => f.pid),
      before.map((f) => f.pid),
    );

    const monitor = await watch(sim);
    const resumed = await converge("crdb-r", first.failure.properties, inputsFor(sim, TO, served.url));
    await monitor.stop();
    assert.ok(resumed.outs, resumed.failure?.message);
    assert.deepStrictEqual(monitor.violations({ maxUnavailable: 1 }), []);
    assert.deepStrictEqual(monitor.disturbanceOrder(), ["n3"], "only n3 is touched on resume");
    const after = nodeFacts(sim);
    assert.deepStrictEqual(
      after.map((f) => f.binary),
      [TO, TO, TO],
    );
    assert.deepStrictEqual(
      after.slice(0, 2).map((f) => f.pid),
      before.slice(0, 2).map((f) => f.pid),
      "n1 and n2 kept running",
    );
    assert.deepStrictEqual(
      resumed.outs?.lastRollout?.nodes.map((n) => n.outcome),
      ["skipped", "skipped", "upgraded"],
    );
  });

  it("killed with SIGKILL right after stopping n2: the next update finds n2 down, starts it and finishes", async () => {
    const lines = await updateKilledAt("crdb-r", adopted, inputsFor(sim, TO, served.url), /n2 stop done/);
    assert.ok(lines.some((l) => /n1 upgraded/.test(l)));
    const before = nodeFacts(sim);
    assert.strictEqual(before[1].alive, false, "n2 was left down by the killed update");
    // The engine recorded nothing from the killed run: the next update starts from the old outputs.
    const monitor = await watch(sim);
    const resumed = await converge("crdb-r", adopted, inputsFor(sim, TO, served.url));
    await monitor.stop();
    assert.ok(resumed.outs, `${resumed.failure?.message}\n${resumed.lines.join("\n")}`);
    // The kill lands right after the stop; on a loaded machine the swap may have happened before it did,
    // so n2 is found stopped on either binary — and in both cases the resume must start it and finish.
    assert.ok(
      resumed.lines.some((l) => /n2 found an interrupted upgrade to v23\.1\.12 .*the node is stopped with binary v23\.1\.1[12]/.test(l)),
      resumed.lines.join("\n"),
    );
    assert.deepStrictEqual(monitor.violations({ maxUnavailable: 1 }), []);
    assert.strictEqual(nodeFacts(sim)[0].pid, before[0].pid, "n1 (already upgraded) kept running");
    assert.deepStrictEqual(
      nodeFacts(sim).map((f) => f.binary),
      [TO, TO, TO],
    );
    assert.deepStrictEqual(Object.values(await runningBuilds(sim)), [TO, TO, TO]);
  });

  it("stopped with n2 down mid-upgrade: another version is refused, the same version starts n2 and finishes", async () => {
    const first = await updateAbortedAt("crdb-r", adopted, inputsFor(sim, TO, served.url), /n2 swap-binary \.\.\./);
    assert.ok(first.failure);
    const n2 = first.failure.properties.nodeStatuses.find((s) => s.name === "n2");
    assert.strictEqual(n2?.state, "stopped", "the recorded state says n2 is down");

    const before = nodeFacts(sim);
    const other = await converge("crdb-r", first.failure.properties, inputsFor(sim, OTHER, served.url));
    assert.match(other.failure?.message ?? "", /node n2 was left stopped by an interrupted upgrade from v23\.1\.11 to v23\.1\.12/);
    assert.deepStrictEqual(
      nodeFacts(sim).map((f) => [f.pid, f.binaryIno]),
      before.map((f) => [f.pid, f.binaryIno]),
    );

    const monitor = await watch(sim);
    const resumed = await converge("crdb-r", first.failure.properties, inputsFor(sim, TO, served.url));
    await monitor.stop();
    assert.ok(resumed.outs, `${resumed.failure?.message}\n${resumed.lines.join("\n")}`);
    assert.ok(
      resumed.lines.some((l) => /n2 found an interrupted upgrade to v23\.1\.12 .*restarting it/.test(l)),
      "what was found is logged",
    );
    assert.deepStrictEqual(monitor.violations({ maxUnavailable: 1 }), []);
    assert.deepStrictEqual(
      nodeFacts(sim).map((f) => f.binary),
      [TO, TO, TO],
    );
    assert.strictEqual(nodeFacts(sim)[0].pid, before[0].pid, "n1 kept running");
    assert.deepStrictEqual(
      resumed.outs?.nodeStatuses.map((s) => [s.version, s.state]),
      [
        [TO, "running"],
        [TO, "running"],
        [TO, "running"],
      ],
    );
  });
});
