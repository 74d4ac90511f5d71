/**
 * `pulumi import` of a secure cluster through the plugin process: the ID
 * names the certs directory, never a secret; the client key read from it
 * comes back inside the engine's secret envelope (inputs and outputs), and
 * the nodes' --certs-dir start flags are the cluster's own.
 */
import * as assert from "assert";
import { isSecretEnvelope } from "../../plugin/secrets";
import { startPlugin, type PluginProcess } from "../support/plugin-client";
import { startSimCluster, type SimCluster } from "../support/sim-cluster";

type Props = Record<string, unknown>;

describe("plugin over gRPC: import of a secure cluster", function () {
  this.timeout(180_000);
  let sim: SimCluster;
  let plugin: PluginProcess;

  before(async () => {
    sim = await startSimCluster({ nodes: 3, version: "v23.1.11", baseIp: "127.0.200.20", timeScale: 0.1, secure: true });
    plugin = await startPlugin();
  });
  after(async () => {
    await plugin?.stop();
    await sim?.stop();
  });

  it("reads the nodes over TLS with the client certificate from certsDir and seals the key as a secret", async () => {
    const id = `crdb://root@${sim.providerNodes[0].sqlAddr}?certsDir=${sim.certsDir}&binaryPath={dir}/bin/cockroach`;
    const r = await plugin.read(id);
    const sql = r.inputs.sql as { certsDir: string; tls: Props; insecure?: boolean };
    assert.strictEqual(sql.certsDir, sim.certsDir);
    assert.strictEqual(sql.insecure, undefined);
    assert.ok(isSecretEnvelope(sql.tls.key), "the client key is a secret in the inputs");
    assert.ok(isSecretEnvelope((r.props.sql as { tls: Props }).tls.key), "and in the outputs");
    assert.match(String(sql.tls.cert), /BEGIN CERTIFICATE/);
    const nodes = r.inputs.nodes as { name: string; process: { startFlags: string[] } }[];
    assert.deepStrictEqual(
      nodes.map((n) => n.name),
      ["n1", "n2", "n3"],
    );
    assert.ok(nodes.every((n) => n.process.startFlags.includes(`--certs-dir=${sim.certsDir}`)));
    assert.deepStrictEqual(
      (r.props.nodeStatuses as Props[]).map((s) => s.version),
      ["v23.1.11", "v23.1.11", "v23.1.11"],
    );
    assert.ok(!plugin.lines.some((l) => l.includes("PRIVATE KEY")), "no key material in the plugin's log");
  });
});
