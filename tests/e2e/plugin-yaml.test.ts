/**
 * A YAML program (upstream's pulumi-language-yaml) declares
 * `crdb-upgrade:index:ClusterVersion`, served by the native provider plugin
 * (bin/pulumi-resource-crdb-upgrade, found through `plugins.providers` in
 * Pulumi.yaml): adopt, `preview --diff` shows the plan, upgrade, a faulty
 * release rolled back, refresh, stack rollback by reverting the version,
 * destroy forgets the resource while the cluster keeps running. The invariant
 * monitor samples the cluster from outside throughout; its invariants are
 * checked after every step. One 3-node cluster (127.0.201.x), time scale 0.1.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { engineDir } from "../support/pulumi";
import { nodeFacts, runningBuilds, watch } from "../support/provider-harness";
import type { InvariantMonitor } from "../support/invariant-monitor";
import { RESOURCE_TOKEN } from "../support/plugin-package";
import { startPluginWorld, versionsOf, type PluginWorld } from "../support/plugin-world";
import type { NodeStatus } from "../../provider/core/types";

const [FROM, TO, FAULTY] = ["v23.1.11", "v23.1.12", "v23.1.13"];

describe("e2e: a YAML program through the provider plugin", function () {
  this.timeout(15 * 60 * 1000);
  let w: PluginWorld;
  let monitor: InvariantMonitor;

  async function assertInvariants(): Promise<void> {
    await monitor.stop();
    assert.deepStrictEqual(monitor.violations({ maxUnavailable: 1 }), [], "never more than one node down or unready");
    monitor = await watch(w.sim);
  }

  before(async () => {
    assert.ok(fs.existsSync(path.join(engineDir(), "pulumi-language-yaml")), "ensure-pulumi built the YAML language host");
    w = await startPluginWorld({
      project: "crdb-yaml-e2e",
      stack: "yaml",
      baseIp: "127.0.201.10",
      version: FROM,
      releases: [FROM, TO],
      faultyReleases: [FAULTY],
      declare: true,
    });
    monitor = await watch(w.sim);
  });

  after(async () => {
    await monitor?.stop();
    await w?.dispose();
  });

  it("adopts the running cluster without touching a node; the state holds no serialized provider", async () => {
    const before = nodeFacts(w.sim);
    await w.ws.ok(["up", "--yes", "--skip-preview"]);
    const state = await w.resourceState();
    assert.ok(state, `the state holds a ${RESOURCE_TOKEN}`);
    assert.deepStrictEqual(await w.stateVersions(), w.uniform(FROM));
    assert.ok(!JSON.stringify(state.outputs).includes("__provider"), "no serialized provider in the outputs");
    assert.deepStrictEqual(nodeFacts(w.sim), before, "no pid or binary changed");
    await assertInvariants();
  });

  it("preview --diff shows the version change and the plan, and changes nothing", async () => {
    const before = nodeFacts(w.sim);
    w.setVersion(TO);
    const r = await w.ws.ok(["preview", "--diff"]);
    const out = r.stdout + r.stderr;
    assert.match(r.stdout, /version\s*: "v23\.1\.11" => "v23\.1\.12"/);
    assert.match(out, /v23\.1\.11 -> v23\.1\.12 \(patch\), 3 node\(s\), one at a time/);
    assert.match(out, /1\. n1 \(canary\) +drain -> stop -> swap -> start -> ready/);
    assert.match(out, /3\. n3 /);
    assert.deepStrictEqual(nodeFacts(w.sim), before, "preview touched nothing");
    assert.deepStrictEqual(await runningBuilds(w.sim), w.uniform(FROM));
  });

  it("upgrades on up; the outputs equal what the cluster runs", async () => {
    const r = await w.ws.ok(["up", "--yes", "--skip-preview"]);
    assert.match(r.stdout, /1 updated/);
    const live = await runningBuilds(w.sim);
    assert.deepStrictEqual(live, w.uniform(TO));
    assert.deepStrictEqual(await w.stateVersions(), live);
    const outputs = await w.ws.stackOutputs();
    assert.deepStrictEqual(versionsOf(outputs.nodeStatuses as NodeStatus[]), live, "the YAML outputs read the resource");
    await assertInvariants();
  });

  it("a faulty release fails naming node and phase, is rolled back, and the state records reality", async () => {
    w.setVersion(FAULTY, w.faulty);
    const r = await w.ws.run(["up", "--yes", "--skip-preview"]);
    assert.notStrictEqual(r.code, 0, "the up fails");
    assert.match(r.stdout + r.stderr, /(start|await-node) node n1 \(127\.0\.201\.11\)/);
    assert.deepStrictEqual(await runningBuilds(w.sim), w.uniform(TO), "rolled back");
    assert.deepStrictEqual(await w.stateVersions(), w.uniform(TO));
    await assertInvariants();
  });

  it("refresh reads a node changed out of band, and the next up converges", async () => {
    w.sim.installRelease("n3", w.sim.buildRelease(FROM).tarball);
    const restarted = await w.sim.restartNode("n3");
    assert.strictEqual(restarted.code, 0, restarted.stderr);
    await w.ws.ok(["refresh", "--yes", "--skip-preview"]);
    const nodes = (await w.resourceState())?.outputs.nodeStatuses ?? [];
    assert.deepStrictEqual(versionsOf(nodes), await runningBuilds(w.sim), "refresh equals reality");
    assert.strictEqual(nodes.find((n) => n.name === "n3")?.version, FROM);
    w.setVersion(TO);
    await w.ws.ok(["up", "--yes", "--skip-preview"]);
    assert.deepStrictEqual(await runningBuilds(w.sim), w.uniform(TO));
    await assertInvariants();
  });

  it("rolls the stack back by reverting the version (a patch downgrade)", async () => {
    w.setVersion(FROM);
    await w.ws.ok(["up", "--yes", "--skip-preview"]);
    assert.deepStrictEqual(await runningBuilds(w.sim), w.uniform(FROM));
    assert.deepStrictEqual(await w.stateVersions(), w.uniform(FROM));
    await assertInvariants();
  });

  it("destroy forgets the resource and every node keeps running", async () => {
    const before = nodeFacts(w.sim);
    await w.ws.ok(["destroy", "--yes", "--skip-preview"]);
    assert.strictEqual(await w.resourceState(), undefined, "the resource is gone from the state");
    assert.deepStrictEqual(nodeFacts(w.sim), before, "no pid or binary changed");
    assert.ok(nodeFacts(w.sim).every((n) => n.alive));
    assert.deepStrictEqual(await runningBuilds(w.sim), w.uniform(FROM));
    await assertInvariants();
  });
});
