/**
 * The provider's update against a 3-node simulated cluster whose nodes are
 * reached only through their own real sshd (each node a "host": its own
 * loopback address with sshd on port 22, its own host keys, its own admin
 * account). Scenarios run in order on one cluster, each moving it to the next
 * patch release:
 *
 *   refusals first (wrong host key on n2, failed login on n3: nothing touched),
 *   v23.1.11 -> v23.1.12  a patch upgrade over SSH,
 *   v23.1.12 -> v23.1.13  n2's sshd killed while n2 restarts; once it is back, the next run resumes,
 *   v23.1.13 -> v23.1.14  air-gapped: the provider downloads once and copies over SFTP,
 *   v23.1.14 -> v23.1.15  the process managed by user commands (start/stop/status shell snippets),
 *   v23.1.15 -> v23.1.16  the process managed by systemd: the provider's exact systemctl command
 *                         lines, answered by a systemctl stand-in (systemd cannot run here).
 *
 * Every scenario checks the safety invariants from outside, that the nodes
 * end uniform, and that no secret (private key, passphrase) appears in any
 * progress line, error or non-input output. Loopback 127.0.41.11-13.
 */
import * as assert from "assert";
import { shellJoin, shellQuote } from "../../provider/transport/transport";
import type { ClusterVersionInputs, ClusterVersionOutputs, NodeInput } from "../../provider/core/types";
import { converge, fastStrategy, nodeFacts, runningBuilds, watch, type CallResult } from "../support/provider-harness";
import { startSimCluster, type SimCluster } from "../support/sim-cluster";
import { assertNoSecrets } from "../support/ssh-connection";
import { installSystemctlShim, type ShimUnit, type SystemctlShim } from "../support/ssh-systemctl-shim";
import { createHostAdmin, generateKeyPair, type HostAdmin, type KeyPair } from "../support/ssh-identities";
import { startSshd, type SshdServer } from "../support/sshd";

const BASE_IP = "127.0.41.10";
const VERSIONS = ["v23.1.11", "v23.1.12", "v23.1.13", "v23.1.14", "v23.1.15", "v23.1.16"] as const;
const PASSPHRASE = "ssh scenario passphrase";

describe("SSH scenarios: the provider rolls a cluster reached only over SSH", function () {
  this.timeout(300_000);
  let sim: SimCluster;
  let key: KeyPair;
  let stranger: KeyPair;
  let admin: HostAdmin;
  let servers: SshdServer[] = [];
  let shim: SystemctlShim;
  let releaseUrl: string;
  let closeReleases: () => Promise<void>;
  let outs: ClusterVersionOutputs;
  const captured: string[] = [];

  before(async () => {
    key = generateKeyPair({ passphrase: PASSPHRASE });
    stranger = generateKeyPair();
    admin = createHostAdmin();
    sim = await startSimCluster({ nodes: 3, version: VERSIONS[0], baseIp: BASE_IP, timeScale: 0.1 });
    shim = installSystemctlShim(sim.providerNodes.map(shimUnitOf));
    const sessionEnv = { PATH: `${shim.dir}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin` };
    servers = await Promise.all(
      sim.nodes.map((n) => startSshd({ host: n.sqlAddr.split(":")[0], authorizedKeys: [key.publicKey], sessionEnv })),
    );
    let dir = "";
    for (const v of VERSIONS.slice(1)) dir = sim.buildRelease(v).dir;
    const served = await sim.serveReleases(dir);
    releaseUrl = served.url;
    closeReleases = served.close;
    const adopt = record(await converge("", undefined, inputs(VERSIONS[0])));
    assert.ok(adopt.outs, `adopting the cluster over SSH failed: ${adopt.failure?.message}`);
    outs = adopt.outs;
  });

  after(async () => {
    await closeReleases?.();
    await sim?.stop();
    for (const s of servers) await s.stop();
    shim?.remove();
    admin?.remove();
    key?.remove();
    stranger?.remove();
  });

  afterEach(function () {
    // Whatever happened, nothing secret may have been printed or returned.
    assertNoSecrets(captured, [key.privateKey, PASSPHRASE]);
  });

  /** The sim's nodes, each reached through its own sshd; `tweak` alters one node's connection. */
  function sshNodes(tweak: (i: number, c: Record<string, unknown>) => Record<string, unknown> = (_i, c) => c): NodeInput[] {
    return sim.providerNodes.map((n, i) => ({
      ...n,
      connection: tweak(i, {
        host: servers[i].host,
        port: servers[i].port,
        user: admin.name,
        privateKey: key.privateKey,
        privateKeyPassword: PASSPHRASE,
        hostKey: servers[i].hostKey,
        dialErrorLimit: 2,
        perDialTimeout: 5,
      }) as unknown as NodeInput["connection"],
    }));
  }

  function inputs(version: string, extra: Partial<ClusterVersionInputs> = {}, nodes = sshNodes()): ClusterVersionInputs {
    return {
      version,
      nodes,
      sql: { insecure: true },
      release: { urlTemplate: `${releaseUrl}/cockroach-{version}.linux-amd64.tgz` },
      strategy: fastStrategy(),
      ...extra,
    };
  }

  /** Keeps what a user would see (lines, error, the outputs that are not echoed inputs) for the secret check. */
  function record(r: CallResult): CallResult {
    captured.push(...r.lines);
    if (r.failure) captured.push(r.failure.message, ...r.failure.reasons, JSON.stringify(withoutInputs(r.failure.properties)));
    if (r.outs) captured.push(JSON.stringify(withoutInputs(r.outs)));
    return r;
  }

  async function expectUniform(version: string): Promise<void> {
    const facts = nodeFacts(sim);
    assert.deepStrictEqual(
      facts.map((f) => [f.name, f.binary, f.alive]),
      facts.map((f) => [f.name, version, true]),
    );
    const running = await runningBuilds(sim);
    assert.deepStrictEqual(
      Object.values(running),
      facts.map(() => version),
      "every node runs the same build",
    );
  }

  const sessions = (s: SshdServer): number => (s.log().match(/Starting session: command/g) ?? []).length;

  it("refuses a wrong host key on n2 before touching any node, naming n2's host and the key it presents", async () => {
    const before = nodeFacts(sim);
    const r = record(
      await converge(
        "crdb",
        outs,
        inputs(
          VERSIONS[1],
          {},
          sshNodes((i, c) => (i === 1 ? { ...c, hostKey: stranger.publicKey } : c)),
        ),
      ),
    );
    const message = failureMessage(r);
    assert.match(message, /^preflight: refused, no node was touched: .*node n2 /);
    assert.match(message, /host key mismatch/);
    assert.ok(message.includes(`${admin.name}@${servers[1].host}:22`), message);
    assert.ok(message.includes(servers[1].fingerprint), `names the presented fingerprint: ${message}`);
    assert.deepStrictEqual(nodeFacts(sim), before, "no node was touched (same pids, same binaries)");
  });

  it("refuses a failed login on n3 before touching any node, naming user@host:port and the methods tried", async () => {
    const before = nodeFacts(sim);
    const sessionsBefore = sessions(servers[2]);
    const r = record(
      await converge(
        "crdb",
        outs,
        inputs(
          VERSIONS[1],
          {},
          sshNodes((i, c) => (i === 2 ? { ...c, privateKey: stranger.privateKey, privateKeyPassword: undefined } : c)),
        ),
      ),
    );
    const message = failureMessage(r);
    assert.match(message, /^preflight: refused, no node was touched: .*node n3 /);
    assert.match(
      message,
      new RegExp(`authentication failed for ${admin.name}@127\\.0\\.41\\.13:22: the server refused every method tried \\(publickey`),
    );
    assert.strictEqual(sessions(servers[2]), sessionsBefore, "no command ran on n3");
    assert.deepStrictEqual(nodeFacts(sim), before, "no node was touched (same pids, same binaries)");
  });

  it("rolls a patch upgrade over SSH on 3 nodes, one at a time, every command going through each node's sshd", async () => {
    const sessionsBefore = servers.map(sessions);
    const monitor = await watch(sim);
    const r = record(await converge("crdb", outs, inputs(VERSIONS[1])));
    await monitor.stop();
    assert.ok(r.outs, `update failed: ${r.failure?.message}\n${r.lines.join("\n")}`);
    assert.deepStrictEqual(monitor.violations({ maxUnavailable: 1 }), []);
    assert.deepStrictEqual(monitor.disturbanceOrder(), ["n1", "n2", "n3"]);
    assert.strictEqual(r.outs.lastRollout?.outcome, "succeeded");
    await expectUniform(VERSIONS[1]);
    servers.forEach((s, i) => assert.ok(sessions(s) > sessionsBefore[i], `commands for n${i + 1} ran through its sshd`));
    outs = r.outs;
  });

  it("fails clearly when n2's sshd dies while n2 restarts, and converges on the next run once sshd is back", async () => {
    const oldPid = sim.pidOf("n2");
    const monitor = await watch(sim);
    const running = converge("crdb", outs, inputs(VERSIONS[2])).then(record);
    // n2's old process gone = it is in its restart phase (stop, swap, start): take its SSH away.
    await waitFor(() => oldPid !== undefined && sim.pidOf("n2") !== oldPid, 120_000, "n2 to stop");
    await servers[1].kill();
    const message = failureMessage(await running);

    // Bring sshd back and resume first, so that the cluster converges whatever the message said.
    await servers[1].restart();
    const resumed = record(await converge("crdb", (await running).failure?.properties ?? outs, inputs(VERSIONS[2])));
    await monitor.stop();
    assert.ok(resumed.outs, `resume failed: ${resumed.failure?.message}\n${resumed.lines.join("\n")}`);
    outs = resumed.outs;
    assert.deepStrictEqual(monitor.violations({ maxUnavailable: 1 }), []);
    await expectUniform(VERSIONS[2]);

    // The failed run said which node, which phase, and why.
    assert.match(message, new RegExp(`ssh ${admin.name}@127\\.0\\.41\\.12:22: (connection lost during|cannot connect)`), message);
    assert.match(
      message,
      /^(stop|swap-binary|start|await-node) node n2 \(127\.0\.41\.12\): /,
      `the error names the phase and the node: ${message}`,
    );
  });

  it("rolls air-gapped (release.fetch: provider): one download by the provider, copied to each node over SFTP", async () => {
    const sftpBefore = servers.map((s) => (s.log().match(/Starting session: subsystem 'sftp'/g) ?? []).length);
    const monitor = await watch(sim);
    const r = record(
      await converge(
        "crdb",
        outs,
        inputs(VERSIONS[3], { release: { urlTemplate: `${releaseUrl}/cockroach-{version}.linux-amd64.tgz`, fetch: "provider" } }),
      ),
    );
    await monitor.stop();
    assert.ok(r.outs, `update failed: ${r.failure?.message}\n${r.lines.join("\n")}`);
    assert.deepStrictEqual(monitor.violations({ maxUnavailable: 1 }), []);
    await expectUniform(VERSIONS[3]);
    servers.forEach((s, i) => {
      const sftp = (s.log().match(/Starting session: subsystem 'sftp'/g) ?? []).length;
      assert.ok(sftp > sftpBefore[i], `the release reached n${i + 1} over SFTP`);
    });
    outs = r.outs;
  });

  it("rolls nodes managed by user commands (start, stop, status) over SSH", async () => {
    const sessionsBefore = servers.map(sessions);
    const nodes = sshNodes().map(asUserCommands);
    const monitor = await watch(sim);
    const r = record(await converge("crdb", outs, inputs(VERSIONS[4], {}, nodes)));
    await monitor.stop();
    assert.ok(r.outs, `update failed: ${r.failure?.message}\n${r.lines.join("\n")}`);
    assert.deepStrictEqual(monitor.violations({ maxUnavailable: 1 }), []);
    assert.strictEqual(r.outs.lastRollout?.outcome, "succeeded");
    await expectUniform(VERSIONS[4]);
    servers.forEach((s, i) => assert.ok(sessions(s) > sessionsBefore[i], `commands for n${i + 1} ran through its sshd`));
    outs = r.outs;
  });

  it("rolls nodes managed by systemd over SSH with exactly systemctl stop, start and is-active, one unit at a time", async () => {
    const nodes = sshNodes().map((n) => ({ ...n, process: { manager: "systemd" as const, unit: unitOf(n.name), useSudo: false } }));
    const callsBefore = shim.calls().length;
    const monitor = await watch(sim);
    const r = record(await converge("crdb", outs, inputs(VERSIONS[5], {}, nodes)));
    await monitor.stop();
    assert.ok(r.outs, `update failed: ${r.failure?.message}\n${r.lines.join("\n")}`);
    assert.deepStrictEqual(monitor.violations({ maxUnavailable: 1 }), []);
    await expectUniform(VERSIONS[5]);
    const calls = shim.calls().slice(callsBefore);
    for (const c of calls) assert.match(c, /^(is-active|stop|start) cockroach-n[123]\.service$/);
    assert.deepStrictEqual(
      calls.filter((c) => !c.startsWith("is-active")),
      ["n1", "n2", "n3"].flatMap((n) => [`stop ${unitOf(n)}`, `start ${unitOf(n)}`]),
      "each unit stopped then started, one after another",
    );
    outs = r.outs;
  });
});

const unitOf = (node: string): string => `cockroach-${node}.service`;

function shimUnitOf(n: NodeInput): ShimUnit {
  if (n.process.manager !== "cockroach") throw new Error("sim nodes use the cockroach manager");
  return { unit: unitOf(n.name), binaryPath: n.binaryPath, pidFile: n.process.pidFile, startFlags: n.process.startFlags };
}

/**
 * The same node, managed by user shell commands instead of the built-in
 * cockroach manager. `status` skips zombies: a stopped node may linger as one
 * until its parent reaps it.
 */
function asUserCommands(n: NodeInput): NodeInput {
  if (n.process.manager !== "cockroach") throw new Error("sim nodes use the cockroach manager");
  const { pidFile, startFlags } = n.process;
  const pid = `"$(cat ${shellQuote(pidFile)} 2>/dev/null)"`;
  return {
    ...n,
    process: {
      manager: "commands",
      start: shellJoin([n.binaryPath, "start", "--background", "--pid-file", pidFile, ...startFlags]),
      stop: `kill -TERM ${pid}`,
      status: `p=${pid}; [ -n "$p" ] && kill -0 "$p" 2>/dev/null && ! grep -qs '^State:[[:space:]]*Z' "/proc/$p/status"`,
    },
  };
}

function failureMessage(r: CallResult): string {
  assert.ok(r.failure, `expected the update to fail, it succeeded:\n${r.lines.join("\n")}`);
  if (process.env.SHOW_FAILURES) console.log("      failure: " + r.failure.message);
  return r.failure.message;
}

/** Outputs minus the echoed inputs (which carry the secrets on purpose, under their secret keys). */
function withoutInputs(o: ClusterVersionOutputs): Partial<ClusterVersionOutputs> {
  const { nodes: _nodes, sql: _sql, ...rest } = o;
  return rest;
}

async function waitFor(cond: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
