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
import { PulumiWorkspace, engineDir } from "../support/pulumi";
import { serveReleaseMirror, type ReleaseMirror } from "../support/release-mirror";
import { startSimCluster, type SimCluster } from "../support/sim-cluster";
import { fastStrategy, nodeFacts, runningBuilds, watch } from "../support/provider-harness";
import type { InvariantMonitor } from "../support/invariant-monitor";
import { RESOURCE_TOKEN, yamlProgram, type YamlProgram } from "../support/plugin-package";
import type { NodeStatus } from "../../provider/core/types";

const [FROM, TO, FAULTY] = ["v23.1.11", "v23.1.12", "v23.1.13"];

describe("e2e: a YAML program through the provider plugin", function () {
  this.timeout(15 * 60 * 1000);
  let sim: SimCluster;
  let program: YamlProgram;
  let ws: PulumiWorkspace;
  let good: ReleaseMirror;
  let faulty: ReleaseMirror;
  let monitor: InvariantMonitor;

  const uniform = (v: string) => Object.fromEntries(sim.providerNodes.map((n) => [n.name, v]));
  const versionsOf = (nodes: readonly NodeStatus[]) => Object.fromEntries(nodes.map((n) => [n.name, n.version]));
  /** The resource's own outputs in the state (refresh updates these). */
  const resourceState = async () => {
    const exported = await ws.exportStack();
    return exported.json.deployment.resources?.find((r) => r.type === RESOURCE_TOKEN) as
      { outputs: { nodeStatuses: NodeStatus[]; version: string }; provider?: string } | undefined;
  };
  const setVersion = (version: string, mirror: ReleaseMirror = good) =>
    program.setResource({
      version,
      nodes: sim.providerNodes,
      sql: { insecure: true },
      release: { urlTemplate: `${mirror.url}/cockroach-{version}.linux-amd64.tgz` },
      strategy: fastStrategy(),
    });

  async function assertInvariants(): Promise<void> {
    await monitor.stop();
    assert.deepStrictEqual(monitor.violations({ maxUnavailable: 1 }), [], "never more than one node down or unready");
    monitor = await watch(sim);
  }

  before(async () => {
    assert.ok(fs.existsSync(path.join(engineDir(), "pulumi-language-yaml")), "ensure-pulumi built the YAML language host");
    sim = await startSimCluster({ nodes: 3, version: FROM, baseIp: "127.0.201.10", timeScale: 0.1 });
    good = await serveReleaseMirror(sim, [FROM, TO]);
    faulty = await serveReleaseMirror(sim, [FAULTY], "start-fails");
    program = yamlProgram("crdb-yaml-e2e");
    setVersion(FROM);
    ws = new PulumiWorkspace({ programDir: program.dir, stack: "yaml" });
    await ws.init();
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

  it("adopts the running cluster without touching a node; the state holds no serialized provider", async () => {
    const before = nodeFacts(sim);
    await ws.ok(["up", "--yes", "--skip-preview"]);
    const state = await resourceState();
    assert.ok(state, `the state holds a ${RESOURCE_TOKEN}`);
    assert.deepStrictEqual(versionsOf(state.outputs.nodeStatuses), uniform(FROM));
    assert.ok(!JSON.stringify(state.outputs).includes("__provider"), "no serialized provider in the outputs");
    assert.deepStrictEqual(nodeFacts(sim), before, "no pid or binary changed");
    await assertInvariants();
  });

  it("preview --diff shows the version change and the plan, and changes nothing", async () => {
    const before = nodeFacts(sim);
    setVersion(TO);
    const r = await ws.ok(["preview", "--diff"]);
    const out = r.stdout + r.stderr;
    assert.match(r.stdout, /version\s*: "v23\.1\.11" => "v23\.1\.12"/);
    assert.match(out, /v23\.1\.11 -> v23\.1\.12 \(patch\), 3 node\(s\), one at a time/);
    assert.match(out, /1\. n1 \(canary\) +drain -> stop -> swap -> start -> ready/);
    assert.match(out, /3\. n3 /);
    assert.deepStrictEqual(nodeFacts(sim), before, "preview touched nothing");
    assert.deepStrictEqual(await runningBuilds(sim), uniform(FROM));
  });

  it("upgrades on up; the outputs equal what the cluster runs", async () => {
    const r = await ws.ok(["up", "--yes", "--skip-preview"]);
    assert.match(r.stdout, /1 updated/);
    const live = await runningBuilds(sim);
    assert.deepStrictEqual(live, uniform(TO));
    assert.deepStrictEqual(versionsOf((await resourceState())?.outputs.nodeStatuses ?? []), live);
    const outputs = await ws.stackOutputs();
    assert.deepStrictEqual(versionsOf(outputs.nodeStatuses as NodeStatus[]), live, "the YAML outputs read the resource");
    await assertInvariants();
  });

  it("a faulty release fails naming node and phase, is rolled back, and the state records reality", async () => {
    setVersion(FAULTY, faulty);
    const r = await ws.run(["up", "--yes", "--skip-preview"]);
    assert.notStrictEqual(r.code, 0, "the up fails");
    assert.match(r.stdout + r.stderr, /(start|await-node) node n1 \(127\.0\.201\.11\)/);
    assert.deepStrictEqual(await runningBuilds(sim), uniform(TO), "rolled back");
    assert.deepStrictEqual(versionsOf((await resourceState())?.outputs.nodeStatuses ?? []), uniform(TO));
    await assertInvariants();
  });

  it("refresh reads a node changed out of band, and the next up converges", async () => {
    sim.installRelease("n3", sim.buildRelease(FROM).tarball);
    const restarted = await sim.restartNode("n3");
    assert.strictEqual(restarted.code, 0, restarted.stderr);
    await ws.ok(["refresh", "--yes", "--skip-preview"]);
    const nodes = (await resourceState())?.outputs.nodeStatuses ?? [];
    assert.deepStrictEqual(versionsOf(nodes), await runningBuilds(sim), "refresh equals reality");
    assert.strictEqual(nodes.find((n) => n.name === "n3")?.version, FROM);
    setVersion(TO);
    await ws.ok(["up", "--yes", "--skip-preview"]);
    assert.deepStrictEqual(await runningBuilds(sim), uniform(TO));
    await assertInvariants();
  });

  it("rolls the stack back by reverting the version (a patch downgrade)", async () => {
    setVersion(FROM);
    await ws.ok(["up", "--yes", "--skip-preview"]);
    assert.deepStrictEqual(await runningBuilds(sim), uniform(FROM));
    assert.deepStrictEqual(versionsOf((await resourceState())?.outputs.nodeStatuses ?? []), uniform(FROM));
    await assertInvariants();
  });

  it("destroy forgets the resource and every node keeps running", async () => {
    const before = nodeFacts(sim);
    await ws.ok(["destroy", "--yes", "--skip-preview"]);
    assert.strictEqual(await resourceState(), undefined, "the resource is gone from the state");
    assert.deepStrictEqual(nodeFacts(sim), before, "no pid or binary changed");
    assert.ok(nodeFacts(sim).every((n) => n.alive));
    assert.deepStrictEqual(await runningBuilds(sim), uniform(FROM));
    await assertInvariants();
  });
});
