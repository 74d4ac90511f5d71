/**
 * `pulumi import` of a running cluster through the provider plugin (issue 12),
 * by the ID format of README "Import ID" (crdb://<user>@<sqlAddr>?sslmode=disable):
 * the import touches no node and records what every node runs and how it is
 * run; then the YAML program `pulumi import` generated (upstream's YAML host
 * writes it), with a new version, rolls the cluster with `pulumi up`. The invariant monitor runs throughout.
 * One 3-node cluster (127.0.203.x), time scale 0.1.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { fastStrategy, nodeFacts, runningBuilds, watch } from "../support/provider-harness";
import type { InvariantMonitor } from "../support/invariant-monitor";
import { RESOURCE_TOKEN } from "../support/plugin-package";
import { startPluginWorld, type PluginWorld } from "../support/plugin-world";

const [FROM, TO] = ["v23.1.11", "v23.1.12"];

describe("e2e: pulumi import of a running cluster through the plugin, then up to a new version", function () {
  this.timeout(15 * 60 * 1000);
  let w: PluginWorld;
  let monitor: InvariantMonitor | undefined;

  const generatedFile = () => path.join(w.program.dir, "imported.yaml");

  before(async () => {
    // A project that declares nothing yet.
    w = await startPluginWorld({
      project: "crdb-import-e2e",
      stack: "import",
      baseIp: "127.0.203.10",
      version: FROM,
      releases: [FROM, TO],
      declare: false,
    });
    monitor = await watch(w.sim);
  });

  after(async () => {
    await monitor?.stop();
    await w?.dispose();
  });

  it("imports by an ID naming how to reach the cluster, touching nothing", async () => {
    const { sim, ws } = w;
    const before = nodeFacts(sim);
    const id = `crdb://root@${sim.providerNodes[0].sqlAddr}?sslmode=disable`;
    const r = await ws.ok(["import", RESOURCE_TOKEN, "cluster", id, "--yes", "--out", generatedFile()]);
    assert.match(r.stdout, /1 imported/, r.stdout);
    const res = await w.resourceState();
    assert.ok(res, `the state holds the imported ${RESOURCE_TOKEN}`);
    assert.deepStrictEqual(await w.stateVersions(), w.uniform(FROM), "what every node runs");
    assert.strictEqual(res.inputs.version, FROM);
    // How each node is reached and run, read from the cluster, equals the nodes' real setup.
    const byName = new Map(res.inputs.nodes.map((n) => [n.name, n]));
    for (const n of sim.providerNodes) {
      const got = byName.get(n.name);
      assert.ok(got, `node ${n.name} imported (have ${[...byName.keys()].join(", ")})`);
      assert.strictEqual(got.sqlAddr, n.sqlAddr, `${n.name}.sqlAddr`);
      assert.strictEqual(got.httpAddr, n.httpAddr, `${n.name}.httpAddr`);
      assert.strictEqual(got.binaryPath, n.binaryPath, `${n.name}.binaryPath`);
      // logFile is optional and not on the command line (the node's --log-dir holds several files): not imported.
      const { logFile: _logFile, ...how } = n.process as unknown as Record<string, unknown>;
      assert.deepStrictEqual(got.process, how, `${n.name}.process`);
    }
    assert.deepStrictEqual(nodeFacts(sim), before, "import touched no node");
  });

  it("the program pulumi import generated, with a new version, rolls the cluster on up", async () => {
    const { sim, ws, program, mirror } = w;
    // The operator's step: paste the generated resource into the program, change `version`.
    const generated = parse(fs.readFileSync(generatedFile(), "utf8")) as {
      resources: Record<string, { type: string; properties: Record<string, unknown>; options?: Record<string, unknown> }>;
    };
    const cluster = generated.resources.cluster;
    assert.ok(cluster, `pulumi import generated the resource "cluster"\n${fs.readFileSync(generatedFile(), "utf8")}`);
    assert.strictEqual(cluster.properties.version, FROM);
    program.setResource(
      {
        ...cluster.properties,
        version: TO,
        release: { urlTemplate: `${mirror.url}/cockroach-{version}.linux-amd64.tgz` },
        strategy: fastStrategy(),
      },
      cluster.options,
    );
    const r = await ws.ok(["up", "--yes", "--skip-preview"]);
    assert.match(r.stdout, /1 updated/, r.stdout);
    const live = await runningBuilds(sim);
    assert.deepStrictEqual(live, w.uniform(TO));
    assert.deepStrictEqual(await w.stateVersions(), live);
    const m = monitor;
    assert.ok(m);
    await m.stop();
    monitor = undefined;
    assert.deepStrictEqual(m.violations({ maxUnavailable: 1 }), [], "never more than one node down or unready");
  });
});
