/**
 * The Pulumi workflows a user has, with the real CLI and engine, the
 * repository's root program and a simulated 3-node cluster: adopt, preview,
 * upgrade, failure + resume, interruption + recovery, stack rollback (two
 * ways), drift, destroy. A monitor samples the cluster from the outside all
 * along and the safety invariants are checked after every step.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { PulumiWorkspace } from "../support/pulumi";
import { descendantsOf } from "../support/processes";
import { serveReleaseMirror, type ReleaseMirror } from "../support/release-mirror";
import { rootProgram, RootProgram } from "../support/root-program";
import { startSimCluster, SimCluster } from "../support/sim-cluster";
import { fastStrategy, nodeFacts, runningBuilds, watch } from "../support/provider-harness";
import type { InvariantMonitor } from "../support/invariant-monitor";
import type { NodeStatus } from "../../provider/core/types";

const STACK = "e2e";
const VERSIONS = ["v23.1.11", "v23.1.12", "v23.1.13", "v23.1.14"];

async function waitFor(what: string, predicate: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe("e2e: Pulumi workflows on a simulated cluster", function () {
  this.timeout(20 * 60 * 1000);
  let sim: SimCluster;
  let program: RootProgram;
  let ws: PulumiWorkspace;
  let good: ReleaseMirror;
  let faulty: ReleaseMirror;
  let monitor: InvariantMonitor;
  let checkpointAt12: { state: string; config: string } | undefined;

  const releaseTemplate = (s: ReleaseMirror) => `${s.url}/cockroach-{version}.linux-amd64.tgz`;
  /** The resource's own outputs in the state (refresh updates these; stack outputs change only on up). */
  const resourceOutputs = async () => {
    const exported = await ws.exportStack();
    const resource = exported.json.deployment.resources?.find((r) => String(r.type).endsWith("crdb-upgrade:ClusterVersion"));
    return (resource?.outputs ?? {}) as { nodeStatuses: NodeStatus[]; version: string };
  };
  const outputsNodes = async () => (await resourceOutputs()).nodeStatuses;
  const versionsOf = (nodes: readonly NodeStatus[]) => Object.fromEntries(nodes.map((n) => [n.name, n.version]));
  const uniform = (v: string) => Object.fromEntries(sim.providerNodes.map((n) => [n.name, v]));

  function setVersion(version: string, release: ReleaseMirror = good): void {
    program.setConfig(STACK, { version, release: { urlTemplate: releaseTemplate(release) } });
  }

  /** The safety invariants, judged from the monitor's samples since the last check. */
  async function assertInvariants(): Promise<void> {
    await monitor.stop();
    assert.deepStrictEqual(monitor.violations({ maxUnavailable: 1 }), []);
    monitor = await watch(sim);
  }

  before(async () => {
    sim = await startSimCluster({ nodes: 3, version: VERSIONS[0], baseIp: "127.0.50.10", timeScale: 0.1 });
    good = await serveReleaseMirror(sim, VERSIONS);
    faulty = await serveReleaseMirror(sim, ["v23.1.13"], "start-fails");
    program = rootProgram();
    ws = new PulumiWorkspace({ programDir: program.dir, stack: STACK });
    await ws.init();
    program.setConfig(STACK, { nodes: sim.providerNodes, sql: { insecure: true }, strategy: fastStrategy() });
    monitor = await watch(sim);
  });

  after(async () => {
    await monitor?.stop();
    await ws?.dispose();
    program?.dispose();
    await good?.close();
    await faulty?.close();
    await sim?.stop();
  });

  it("adopts a cluster that already runs the configured version without touching a node", async () => {
    const before = nodeFacts(sim);
    setVersion(VERSIONS[0]);
    await ws.ok(["up", "--yes", "--skip-preview"]);
    assert.deepStrictEqual(versionsOf(await outputsNodes()), uniform(VERSIONS[0]));
    assert.deepStrictEqual(nodeFacts(sim), before, "no pid or binary changed");
    await assertInvariants();
  });

  it("previews a version change with the old and new version and the plan, and changes nothing", async () => {
    const before = nodeFacts(sim);
    setVersion(VERSIONS[1]);
    const r = await ws.ok(["preview", "--diff"]);
    // The property diff is on stdout; the provider's plan lines are info diagnostics, which the CLI writes to stderr.
    assert.match(r.stdout, /version\s*: "v23\.1\.11" => "v23\.1\.12"/);
    const plan = r.stderr;
    assert.match(plan, /v23\.1\.11 -> v23\.1\.12 \(patch\), 3 node\(s\), one at a time/);
    assert.match(plan, /1\. n1 \(canary\) +drain -> stop -> swap -> start -> ready/);
    assert.match(plan, /3\. n3 /);
    assert.match(plan, /estimated duration/);
    assert.doesNotMatch(r.stdout, /replace/);
    assert.deepStrictEqual(nodeFacts(sim), before, "preview touched nothing");
    assert.deepStrictEqual(await runningBuilds(sim), uniform(VERSIONS[0]));
  });

  it("upgrades on up, and the outputs and the exported state equal what the cluster runs", async () => {
    await ws.ok(["up", "--yes", "--skip-preview"]);
    const live = await runningBuilds(sim);
    assert.deepStrictEqual(live, uniform(VERSIONS[1]));
    assert.deepStrictEqual(versionsOf((await ws.stackOutputs()).nodeVersions as NodeStatus[]), live);
    const exported = await ws.exportStack();
    const resource = exported.json.deployment.resources?.find((r) => String(r.type).endsWith("crdb-upgrade:ClusterVersion"));
    const outputs = (resource?.outputs ?? {}) as { nodeStatuses: NodeStatus[]; version: string };
    assert.strictEqual(outputs.version, VERSIONS[1]);
    assert.deepStrictEqual(versionsOf(outputs.nodeStatuses), live);
    assert.deepStrictEqual(monitor.disturbanceOrder(), ["n1", "n2", "n3"]);
    await assertInvariants();
    checkpointAt12 = { state: exported.text, config: program.readConfigFile(STACK) };
  });

  it("fails a faulty release naming node and phase, rolls back, records reality, then completes with a good release", async () => {
    setVersion(VERSIONS[2], faulty);
    const r = await ws.run(["up", "--yes", "--skip-preview"]);
    assert.notStrictEqual(r.code, 0);
    const out = r.stdout + r.stderr;
    assert.match(out, /(start|await-node) node n1 \(127\.0\.50\.11\)/);
    assert.deepStrictEqual(await runningBuilds(sim), uniform(VERSIONS[1]), "rolled back");
    const exported = await ws.exportStack();
    const resource = exported.json.deployment.resources?.find((x) => String(x.type).endsWith("crdb-upgrade:ClusterVersion"));
    assert.deepStrictEqual(versionsOf((resource?.outputs as { nodeStatuses: NodeStatus[] }).nodeStatuses), uniform(VERSIONS[1]));
    await assertInvariants();

    setVersion(VERSIONS[2], good);
    await ws.ok(["up", "--yes", "--skip-preview"]);
    assert.deepStrictEqual(await runningBuilds(sim), uniform(VERSIONS[2]));
    await assertInvariants();
  });

  it("recovers from a SIGKILL of pulumi (and its plugins) mid-rollout with cancel, refresh and up", async () => {
    setVersion(VERSIONS[3]);
    let pulumiPid = 0;
    const run = ws.run(["up", "--yes", "--skip-preview"], { onSpawn: (c) => (pulumiPid = c.pid ?? 0) });
    await waitFor("n2 to be disturbed", () => monitor.firstDisturbance("n2") !== undefined, 120_000);
    const tree = [pulumiPid, ...descendantsOf(pulumiPid)];
    for (const pid of tree) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
    await run;
    await ws.run(["cancel", "--yes"]); // documented "if needed": a file backend may hold no lock
    await ws.ok(["refresh", "--yes", "--skip-preview"]);
    await ws.ok(["up", "--yes", "--skip-preview"]);
    assert.deepStrictEqual(await runningBuilds(sim), uniform(VERSIONS[3]));
    assert.deepStrictEqual(versionsOf(await outputsNodes()), uniform(VERSIONS[3]));
    await assertInvariants();
  });

  it("rolls back by reverting the config (a patch downgrade)", async () => {
    setVersion(VERSIONS[2]);
    await ws.ok(["up", "--yes", "--skip-preview"]);
    assert.deepStrictEqual(await runningBuilds(sim), uniform(VERSIONS[2]));
    await assertInvariants();
  });

  it("rolls back by importing an earlier checkpoint, then refresh and up", async () => {
    assert.ok(checkpointAt12, "the checkpoint from the upgrade step");
    const file = path.join(program.dir, "checkpoint.json");
    fs.writeFileSync(file, checkpointAt12.state);
    await ws.ok(["stack", "import", "--file", file, "--stack", STACK]);
    program.writeConfigFile(STACK, checkpointAt12.config);
    await ws.ok(["refresh", "--yes", "--skip-preview"]);
    assert.deepStrictEqual(versionsOf(await outputsNodes()), uniform(VERSIONS[2]), "refresh read the live truth");
    await ws.ok(["up", "--yes", "--skip-preview"]);
    assert.deepStrictEqual(await runningBuilds(sim), uniform(VERSIONS[1]));
    await assertInvariants();
  });

  it("detects a node changed out of band on refresh", async () => {
    const tarball = sim.buildRelease(VERSIONS[2]).tarball;
    sim.installRelease("n3", tarball);
    const restarted = await sim.restartNode("n3");
    assert.strictEqual(restarted.code, 0, restarted.stderr);
    const r = await ws.ok(["refresh", "--yes", "--skip-preview", "--diff"]);
    assert.match(r.stdout, /"v23\.1\.12" => "v23\.1\.13"/);
    const nodes = await outputsNodes();
    assert.strictEqual(nodes.find((n) => n.name === "n3")?.version, VERSIONS[2]);
    const preview = await ws.ok(["preview", "--diff"]);
    assert.match(preview.stdout, /1 to update/);
    await ws.ok(["up", "--yes", "--skip-preview"]);
    assert.deepStrictEqual(await runningBuilds(sim), uniform(VERSIONS[1]));
    await assertInvariants();
  });

  it("forgets the resource on destroy and every node keeps running", async () => {
    const before = nodeFacts(sim);
    await ws.ok(["destroy", "--yes", "--skip-preview"]);
    const exported = await ws.exportStack();
    assert.ok(!(exported.json.deployment.resources ?? []).some((r) => String(r.type).endsWith("crdb-upgrade:ClusterVersion")));
    assert.deepStrictEqual(nodeFacts(sim), before);
    assert.ok(nodeFacts(sim).every((n) => n.alive));
    assert.deepStrictEqual(await runningBuilds(sim), uniform(VERSIONS[1]));
    await assertInvariants();
  });
});
