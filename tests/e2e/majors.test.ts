/**
 * Major versions end to end, with the real Pulumi CLI, the repository's root
 * program and one simulated 3-node cluster walked up CockroachDB's release
 * train: each step is one config change and one `pulumi up`, as a user does.
 *
 *   v23.1 -> preview v24.1 (a skipped major: refused)
 *         -> v23.2 -> v24.1 -> v24.3 (skips the 24.2 Innovation release), each finalized
 *         -> v25.2 (manual) -> stack rollback to v24.3 (allowed: not finalized)
 *         -> v25.2 (auto)   -> rollback refused at preview (outputs say finalized)
 *         -> v25.4 (manual), finalized out of band -> rollback refused at pre-flight
 *         -> v26.1 (afterBake) with a node SIGKILLed -> reported, not finalized, nothing rolled back
 *         -> node restarted -> `pulumi up` finalizes
 *
 * The cluster is read directly (SQL, /_status/vars, pid files, binaries) to
 * judge every claim the outputs make; a monitor samples it all along and the
 * safety invariants are checked after every step.
 */
import * as assert from "assert";
import { PulumiWorkspace, type PulumiResult } from "../support/pulumi";
import { rootProgram, RootProgram } from "../support/root-program";
import { startSimCluster, SimCluster } from "../support/sim-cluster";
import { licenseKey } from "../support/license-keys";
import { fastStrategy, nodeFacts, runningBuilds, watch } from "../support/provider-harness";
import type { InvariantMonitor } from "../support/invariant-monitor";
import type { ClusterVersionOutputs, StrategyInput } from "../../provider/core/types";
import { serveReleaseMirror, type ReleaseMirror } from "../support/release-mirror";
import { setting, sql } from "../support/cluster-sql";

const STACK = "majors";
const V = {
  "23.1": "v23.1.11",
  "23.2": "v23.2.3",
  "24.1": "v24.1.2",
  "24.3": "v24.3.1",
  "25.2": "v25.2.1",
  "25.4": "v25.4.0",
  "26.1": "v26.1.0",
} as const;
/** The settings that hold back auto-finalization (reference §5); absent ones read as undefined. */
const BLOCK_SETTINGS = ["cluster.preserve_downgrade_option", "cluster.auto_upgrade.enabled"] as const;
type BlockSettings = Record<(typeof BLOCK_SETTINGS)[number], string | undefined>;

async function showVersion(sim: SimCluster): Promise<string> {
  return setting(sim, "version");
}

async function blockSettings(sim: SimCluster): Promise<BlockSettings> {
  const out: Partial<BlockSettings> = {};
  for (const name of BLOCK_SETTINGS) {
    try {
      out[name] = await setting(sim, name);
    } catch {
      out[name] = undefined; // before v23.2 cluster.auto_upgrade.enabled does not exist
    }
  }
  return out as BlockSettings;
}

async function waitUntil(what: string, probe: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe("e2e: major versions on a simulated cluster", function () {
  this.timeout(15 * 60 * 1000);
  let sim: SimCluster;
  let program: RootProgram;
  let ws: PulumiWorkspace;
  let served: ReleaseMirror;
  let monitor: InvariantMonitor;

  const uniform = (v: string) => Object.fromEntries(sim.providerNodes.map((n) => [n.name, v]));
  const binaries = () => Object.fromEntries(nodeFacts(sim).map((f) => [f.name, f.binary]));
  const out = (r: PulumiResult) => `${r.stdout}\n${r.stderr}`;
  /** Matches the CLI's output; on a mismatch shows its end, where the outcome is. */
  const assertOutput = (r: PulumiResult, re: RegExp) =>
    assert.ok(re.test(out(r)), `no ${re} in the output, which ends:\n${out(r).slice(-4000)}`);

  /** The resource's own outputs in the state (what the provider recorded). */
  async function resourceOutputs(): Promise<ClusterVersionOutputs> {
    const exported = await ws.exportStack();
    const resource = exported.json.deployment.resources?.find((r) => String(r.type).endsWith("crdb-upgrade:ClusterVersion"));
    return (resource?.outputs ?? {}) as unknown as ClusterVersionOutputs;
  }

  function configure(version: string, finalize?: string): void {
    const strategy: StrategyInput = fastStrategy(finalize === undefined ? {} : { finalize });
    program.setConfig(STACK, { version, release: { urlTemplate: `${served.url}/cockroach-{version}.linux-amd64.tgz` }, strategy });
  }

  /** The safety invariants, judged from the monitor's samples since the last check. */
  async function assertInvariants(): Promise<void> {
    await monitor.stop();
    assert.deepStrictEqual(monitor.violations({ maxUnavailable: 1 }), []);
    monitor = await watch(sim);
  }

  /** What a finished, finalized major step must look like, judged from the cluster itself. */
  async function assertFinalizedOn(version: string, settingsBefore: BlockSettings): Promise<void> {
    const series = version.slice(1).split(".").slice(0, 2).join(".");
    assert.deepStrictEqual(await runningBuilds(sim), uniform(version), "every node runs the target build");
    assert.deepStrictEqual(binaries(), uniform(version), "every node's binary is the target");
    const live = await showVersion(sim);
    assert.strictEqual(live, series, "SHOW CLUSTER SETTING version is the new series");
    const stack = await ws.stackOutputs();
    assert.strictEqual(stack.clusterVersion, live, "the clusterVersion output is what the cluster says");
    assert.strictEqual(stack.finalized, true);
    const outs = await resourceOutputs();
    assert.strictEqual(outs.finalizationBlock, undefined, "no block left recorded");
    assert.strictEqual(outs.lastRollout?.finalization?.finalized, true);
    assert.ok((outs.lastRollout?.finalization?.migrationMs ?? -1) >= 0, "the migration time is reported");
    const after = await blockSettings(sim);
    for (const name of BLOCK_SETTINGS) {
      // A setting that did not exist before the step (auto_upgrade on 23.1) must read its default now.
      const expected = settingsBefore[name] ?? (name === "cluster.auto_upgrade.enabled" ? "true" : "");
      assert.strictEqual(after[name], expected, `${name} is back to what it was before the step`);
    }
  }

  /** One finalized major step: config change, `pulumi up`, then the cluster judged directly. */
  async function majorStep(version: string, finalize: string): Promise<PulumiResult> {
    const before = await blockSettings(sim);
    configure(version, finalize);
    const r = await ws.ok(["up", "--yes", "--skip-preview"]);
    await assertFinalizedOn(version, before);
    assert.deepStrictEqual(monitor.disturbanceOrder(), ["n1", "n2", "n3"]);
    await assertInvariants();
    return r;
  }

  before(async () => {
    sim = await startSimCluster({ nodes: 3, version: V["23.1"], baseIp: "127.0.60.10", timeScale: 0.1 });
    // CockroachDB finalizes 24.3 only with a licence (v24_3_check_license.go).
    await sql(sim, `SET CLUSTER SETTING enterprise.license = '${licenseKey("Enterprise")}'`);
    served = await serveReleaseMirror(sim, Object.values(V));
    program = rootProgram();
    ws = new PulumiWorkspace({ programDir: program.dir, stack: STACK });
    await ws.init();
    program.setConfig(STACK, { nodes: sim.providerNodes, sql: { insecure: true } });
    configure(V["23.1"]);
    await ws.ok(["up", "--yes", "--skip-preview"]);
    monitor = await watch(sim);
  });

  after(async () => {
    await monitor?.stop();
    await ws?.dispose();
    program?.dispose();
    await served?.close();
    await sim?.stop();
  });

  it("refuses a skipped major (v23.1 -> v24.1) at preview with the reason, the versions allowed next and the path, touching nothing", async () => {
    const facts = nodeFacts(sim);
    configure(V["24.1"], "auto");
    const r = await ws.run(["preview", "--diff"]);
    assert.notStrictEqual(r.code, 0, "preview fails");
    assert.match(out(r), /cannot move from v23\.1\.11 to v24\.1\.2: 24\.1 cannot be reached from 23\.1 in one step/);
    assert.match(out(r), /allowed next: 23\.2/);
    assert.match(out(r), /upgrade one step at a time: 23\.1 -> 23\.2 -> 24\.1/);
    const up = await ws.run(["up", "--yes", "--skip-preview"]);
    assert.notStrictEqual(up.code, 0, "up is refused as well");
    assert.match(out(up), /24\.1 cannot be reached from 23\.1 in one step/);
    assert.deepStrictEqual(nodeFacts(sim), facts, "no pid or binary changed");
    assert.strictEqual(await showVersion(sim), "23.1");
    await assertInvariants();
  });

  it("upgrades v23.1 -> v23.2 with finalize auto: finalized, outputs equal the cluster, preserve_downgrade_option restored", async () => {
    configure(V["23.2"], "auto");
    const preview = await ws.ok(["preview", "--diff"]);
    assert.match(preview.stderr, /v23\.1\.11 -> v23\.2\.3 \(major\)/);
    assert.match(preview.stderr, /finalization held during the roll: cluster\.preserve_downgrade_option = 23\.1/);
    const r = await majorStep(V["23.2"], "auto");
    assert.match(out(r), /cluster version 23\.1-\d+/, "the transition versions are reported");
  });

  it("upgrades v23.2 -> v24.1 with finalize afterBake: the gate holds through the bake, then finalized, auto_upgrade restored", async () => {
    const r = await majorStep(V["24.1"], "afterBake:3s");
    assert.match(out(r), /cluster version 23\.2-upgrading-to-24\.1-step-\d+/);
    // Cluster-wide phases are progress lines: after n3's node-done, the bake, then unblock, then finalize.
    const tail = out(r).slice(out(r).lastIndexOf("n3 upgraded"));
    const order = ["bake", "unblock-finalization", "finalize"].map((p) => tail.search(new RegExp(`\\d\\d:\\d\\d:\\d\\d ${p} done`)));
    assert.ok(
      order.every((i, k) => i > 0 && (k === 0 || i > order[k - 1])),
      `bake, unblock, finalize in order:\n${tail}`,
    );
  });

  it("upgrades v24.1 -> v24.3, skipping the 24.2 Innovation release, finalized", async () => {
    await majorStep(V["24.3"], "auto");
  });

  it("with finalize manual, rolls v24.3 -> v25.2 and leaves it unfinalized, saying how to finalize", async () => {
    configure(V["25.2"], "manual");
    await ws.ok(["up", "--yes", "--skip-preview"]);
    assert.deepStrictEqual(await runningBuilds(sim), uniform(V["25.2"]));
    assert.strictEqual(await showVersion(sim), "24.3", "the cluster version stays on the old series");
    const stack = await ws.stackOutputs();
    assert.strictEqual(stack.clusterVersion, "24.3");
    assert.strictEqual(stack.finalized, false);
    assert.match(String(stack.finalizeHint), /to finalize 25\.2 \(no rollback after this\)/);
    assert.match(String(stack.finalizeHint), /SET CLUSTER SETTING cluster\.auto_upgrade\.enabled = 'true'/);
    assert.match(String(stack.finalizeHint), /strategy\.finalize to "auto"/);
    assert.strictEqual((await blockSettings(sim))["cluster.auto_upgrade.enabled"], "false", "auto-finalization is held");
    assert.deepStrictEqual((await resourceOutputs()).finalizationBlock, {
      setting: "cluster.auto_upgrade.enabled",
      previous: "true",
      value: "false",
    });
    await assertInvariants();
  });

  it("rolls back by reverting the config before finalization: every node on v24.3 again, cluster version unchanged, block removed", async () => {
    configure(V["24.3"], "manual");
    const preview = await ws.ok(["preview", "--diff"]);
    assert.match(preview.stderr, /v25\.2\.1 -> v24\.3\.1 \(major-rollback\)/);
    await ws.ok(["up", "--yes", "--skip-preview"]);
    assert.deepStrictEqual(await runningBuilds(sim), uniform(V["24.3"]));
    assert.deepStrictEqual(binaries(), uniform(V["24.3"]));
    assert.strictEqual(await showVersion(sim), "24.3");
    assert.strictEqual((await blockSettings(sim))["cluster.auto_upgrade.enabled"], "true", "the block is removed");
    const outs = await resourceOutputs();
    assert.strictEqual(outs.finalizationBlock, undefined);
    assert.strictEqual(outs.finalized, true, "24.3 is the cluster's finalized version");
    assert.deepStrictEqual(monitor.disturbanceOrder(), ["n1", "n2", "n3"]);
    await assertInvariants();
  });

  it("refuses a rollback after finalization at preview (outputs say finalized), explaining restore-from-backup, touching nothing", async () => {
    await majorStep(V["25.2"], "auto");
    const facts = nodeFacts(sim);
    configure(V["24.3"], "auto");
    const preview = await ws.run(["preview", "--diff"]);
    assert.notStrictEqual(preview.code, 0);
    assert.match(out(preview), /the upgrade to 25\.2 was finalized/);
    assert.match(out(preview), /restore a backup into a new cluster running v24\.3\.1/);
    const up = await ws.run(["up", "--yes", "--skip-preview"]);
    assert.notStrictEqual(up.code, 0);
    assert.match(out(up), /restore a backup into a new cluster/);
    assert.deepStrictEqual(nodeFacts(sim), facts, "no pid or binary changed");
    assert.strictEqual(await showVersion(sim), "25.2");
    await assertInvariants();
  });

  it("refuses a rollback at pre-flight when the outputs are stale (finalized out of band), touching nothing", async () => {
    configure(V["25.4"], "manual");
    await ws.ok(["up", "--yes", "--skip-preview"]);
    assert.strictEqual((await ws.stackOutputs()).finalized, false);
    await sql(sim, "SET CLUSTER SETTING version = '25.4'");
    await waitUntil("the out-of-band finalization", async () => (await showVersion(sim)) === "25.4", 60_000);
    const facts = nodeFacts(sim);
    configure(V["25.2"], "manual");
    const up = await ws.run(["up", "--yes"]);
    assert.notStrictEqual(up.code, 0);
    assert.match(out(up), /the upgrade to 25\.4 was finalized \(cluster version 25\.4\)/);
    assert.match(out(up), /restore a backup into a new cluster running v25\.2\.1/);
    assert.deepStrictEqual(nodeFacts(sim), facts, "no pid or binary changed");
    assert.deepStrictEqual(await runningBuilds(sim), uniform(V["25.4"]));
    await assertInvariants();
    // Back on 25.4, the next up notices the finalization and lifts the block it left.
    configure(V["25.4"], "manual");
    await ws.ok(["up", "--yes", "--skip-preview"]);
    assert.strictEqual((await blockSettings(sim))["cluster.auto_upgrade.enabled"], "true");
    assert.strictEqual((await ws.stackOutputs()).finalized, true);
    assert.deepStrictEqual(nodeFacts(sim), facts, "still nothing restarted");
    await assertInvariants();
  });

  it("reports a dead node that blocks finalization by name within the deadline, rolls nothing back; after its restart up finalizes", async () => {
    configure(V["26.1"], "afterBake:60s");
    const started = Date.now();
    const run = ws.run(["up", "--yes", "--skip-preview"]);
    await waitUntil(
      "every node on v26.1",
      async () => JSON.stringify(await runningBuilds(sim)) === JSON.stringify(uniform(V["26.1"])),
      180_000,
    );
    // Past n3's own gate and bake (a few seconds at this time scale), inside the 60s bake before finalization.
    await new Promise((r) => setTimeout(r, 12_000));
    const survivors = nodeFacts(sim).filter((f) => f.name !== "n3");
    const killedAt = Date.now();
    sim.killNode("n3", "SIGKILL");
    const r = await run;
    const reportedAfterMs = Date.now() - killedAt;
    assert.notStrictEqual(r.code, 0, "up fails: the asked-for finalization did not happen");
    assert.ok(reportedAfterMs < 60_000, `reported ${reportedAfterMs} ms after the kill, within the finalize deadline`);
    assertOutput(r, /finalize node n3 \(127\.0\.60\.13\): not live \(unreachable[^)]*\), which blocks finalization/);
    assertOutput(
      r,
      /26\.1 is not finalized \(the roll to v26\.1\.0 is complete and is not rolled back; cluster\.auto_upgrade\.enabled stays 'false'\)/,
    );
    assert.doesNotMatch(out(r), /ROLLBACK|rolled back n/);
    assert.deepStrictEqual(
      nodeFacts(sim).filter((f) => f.name !== "n3"),
      survivors,
      "n1 and n2 untouched after the kill",
    );
    assert.deepStrictEqual(binaries(), uniform(V["26.1"]), "nothing rolled back");
    assert.strictEqual(await showVersion(sim), "25.4", "not finalized");
    assert.strictEqual((await blockSettings(sim))["cluster.auto_upgrade.enabled"], "false", "finalization still held");
    const outs = await resourceOutputs();
    assert.strictEqual(outs.finalized, false);
    assert.strictEqual(outs.nodeStatuses.find((n) => n.name === "n3")?.state, "stopped");
    console.log(`      (dead node reported ${reportedAfterMs} ms after the kill; up took ${Date.now() - started} ms)`);
    await monitor.stop();
    monitor = await watch(sim);

    const restarted = await sim.startNode("n3");
    assert.strictEqual(restarted.code, 0, restarted.stderr);
    const before = { "cluster.preserve_downgrade_option": "", "cluster.auto_upgrade.enabled": "true" };
    configure(V["26.1"], "auto");
    await ws.ok(["up", "--yes", "--skip-preview"]);
    await assertFinalizedOn(V["26.1"], before);
    await assertInvariants();
  });
});
