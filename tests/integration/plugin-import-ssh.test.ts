/**
 * `pulumi import` with `connection=ssh` through the plugin process (issue 12's
 * ID format, README "Import ID"): the import reads the nodes from the cluster
 * over SQL and gives every node an SSH connection to its own host (the SQL
 * host), with the ID's user, port and agent socket; no key goes into the ID
 * or the state. Then the operator's step — pin each host's key, change
 * `version` — and an update over the provider protocol rolls the cluster
 * through the nodes' real sshd, authenticated by a real ssh-agent. Each node
 * is a "host": its own loopback address (127.0.205.11-13) with sshd on
 * port 22. Time scale 0.1.
 */
import * as assert from "assert";
import { startPlugin, type PluginProcess } from "../support/plugin-client";
import { fastStrategy, nodeFacts, runningBuilds, watch } from "../support/provider-harness";
import { startSimCluster, type SimCluster } from "../support/sim-cluster";
import { assertNoSecrets } from "../support/ssh-connection";
import { createHostAdmin, generateKeyPair, startSshAgent, type HostAdmin, type KeyPair, type SshAgent } from "../support/ssh-identities";
import { startSshd, type SshdServer } from "../support/sshd";

type Props = Record<string, unknown>;
const [FROM, TO] = ["v23.1.11", "v23.1.12"];

describe("plugin over gRPC: import with connection=ssh, then a roll over SSH", function () {
  this.timeout(300_000);
  let sim: SimCluster;
  let key: KeyPair;
  let admin: HostAdmin;
  let agent: SshAgent;
  let servers: SshdServer[] = [];
  let plugin: PluginProcess;
  let releaseUrl: string;
  let closeReleases: (() => Promise<void>) | undefined;
  let imported: { id: string; props: Props; inputs: Props };

  const logins = (s: SshdServer): number => (s.log().match(new RegExp(`Accepted publickey for ${admin.name}`, "g")) ?? []).length;

  before(async () => {
    key = generateKeyPair();
    admin = createHostAdmin();
    agent = await startSshAgent(key.file);
    sim = await startSimCluster({ nodes: 3, version: FROM, baseIp: "127.0.205.10", timeScale: 0.1 });
    servers = await Promise.all(sim.nodes.map((n) => startSshd({ host: n.sqlAddr.split(":")[0], authorizedKeys: [key.publicKey] })));
    const served = await sim.serveReleases(sim.buildRelease(TO).dir);
    releaseUrl = served.url;
    closeReleases = served.close;
    plugin = await startPlugin();
  });

  after(async () => {
    await plugin?.stop();
    await closeReleases?.();
    await sim?.stop();
    for (const s of servers) await s.stop();
    await agent?.stop();
    admin?.remove();
    key?.remove();
  });

  it("imports every node with an SSH connection to its own host, touching nothing and holding no key", async () => {
    const before = nodeFacts(sim);
    const id = `crdb://root@${sim.providerNodes[0].sqlAddr}?sslmode=disable&connection=ssh&sshUser=${admin.name}&sshAgent=${agent.socket}`;
    imported = await plugin.read(id);
    const nodes = imported.inputs.nodes as { name: string; sqlAddr: string; connection: Props }[];
    assert.deepStrictEqual(
      nodes.map((n) => n.name),
      ["n1", "n2", "n3"],
    );
    for (const n of nodes) {
      assert.deepStrictEqual(
        n.connection,
        { host: n.sqlAddr.split(":")[0], port: 22, user: admin.name, agentSocketPath: agent.socket },
        `${n.name}.connection: the SQL host, the ID's user, port and agent`,
      );
    }
    assert.deepStrictEqual(nodeFacts(sim), before, "import touched no node");
    assert.ok(
      servers.every((s) => logins(s) === 0),
      "the import itself needs no SSH login (it reads the cluster over SQL)",
    );
    assertNoSecrets([JSON.stringify(imported), ...plugin.lines], [key.privateKey]);
  });

  it("with each host's key pinned and a new version, an update rolls the cluster over SSH", async () => {
    assert.ok(imported, "the import ran");
    // The operator's step after an import: pin every host's key (an SSH connection without one is refused), change version.
    const nodes = (imported.inputs.nodes as { connection: Props }[]).map((n, i) => ({
      ...n,
      connection: { ...n.connection, hostKey: servers[i].hostKey },
    }));
    const news = {
      ...imported.inputs,
      nodes,
      version: TO,
      release: { urlTemplate: `${releaseUrl}/cockroach-{version}.linux-amd64.tgz` },
      strategy: fastStrategy(),
    };
    const checked = await plugin.check(news, imported.inputs);
    assert.deepStrictEqual(checked.failures, []);
    const monitor = await watch(sim);
    let outs: Props;
    try {
      outs = await plugin.update(imported.id, imported.props, checked.inputs);
    } finally {
      await monitor.stop();
    }
    assert.deepStrictEqual(await runningBuilds(sim), { n1: TO, n2: TO, n3: TO });
    assert.deepStrictEqual(
      (outs.nodeStatuses as { version: string }[]).map((s) => s.version),
      [TO, TO, TO],
    );
    servers.forEach((s, i) => assert.ok(logins(s) > 0, `n${i + 1}'s commands went through its sshd (no login in its log)`));
    assert.deepStrictEqual(monitor.violations({ maxUnavailable: 1 }), [], "never more than one node down or unready");
    assertNoSecrets([JSON.stringify(outs), ...plugin.lines], [key.privateKey]);
  });
});
