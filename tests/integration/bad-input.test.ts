/**
 * The bad-input matrix, against a live sim cluster: every case is refused —
 * by `check` (what `pulumi preview` runs) with a failure at the offending
 * field, or by the update's pre-flight with a message naming the node or
 * the field — and no node is touched: every pid, binary and inode is what it
 * was, and the monitor sees no node go down or unready.
 *
 * Cases refused by `check` are also sent to `update` (as if check had been
 * skipped): it must refuse them too, before any I/O on the nodes.
 *
 * The SQL credential cases (wrong password, foreign CA, wrong server name,
 * plain text to TLS) are in bad-input-secure.test.ts.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { failurePath } from "../../provider/engine/check-failures";
import * as lifecycle from "../../provider/lifecycle";
import type { CheckFailure, ClusterVersionInputs, ClusterVersionOutputs, NodeInput } from "../../provider/core/types";
import { startSimCluster, type SimCluster } from "../support/sim-cluster";
import { converge, fastStrategy, inputsFor, nodeFacts, watch } from "../support/provider-harness";

const FROM = "v23.1.11";
const TO = "v23.1.12";
const ID = "crdb-bad";

/** A case: inputs built from valid ones, and where and how it must be refused. */
interface Case {
  readonly name: string;
  readonly inputs: (ok: ClusterVersionInputs) => unknown;
  /** Refused by check at this property, with a reason matching `why`. Otherwise refused by the update with a message matching `why`. */
  readonly property?: string;
  readonly why: RegExp;
}

const node = (ok: ClusterVersionInputs, i: number, patch: Record<string, unknown>): NodeInput[] =>
  ok.nodes.map((n, j) => (j === i ? ({ ...n, ...patch } as NodeInput) : n));
const strategy = (ok: ClusterVersionInputs, s: Record<string, unknown>) => ({ ...ok, strategy: { ...ok.strategy, ...s } });

const CHECK_CASES: readonly Case[] = [
  {
    name: "a version without the v",
    inputs: (ok) => ({ ...ok, version: "23.1.12" }),
    property: "version",
    why: /"23\.1\.12" must be a CockroachDB build tag starting with v, e\.g\. v23\.1\.12/,
  },
  {
    name: "a version without a patch number",
    inputs: (ok) => ({ ...ok, version: "v23.1" }),
    property: "version",
    why: /"v23\.1" is not a version like v23\.1\.12/,
  },
  {
    name: "a version that is a word",
    inputs: (ok) => ({ ...ok, version: "latest" }),
    property: "version",
    why: /"latest" must be a CockroachDB build tag starting with v/,
  },
  {
    name: "an unknown series (27.1)",
    inputs: (ok) => ({ ...ok, version: "v27.1.0" }),
    property: "version",
    why: /"v27\.1\.0" series 27\.1 is not known to this provider \(known: [^)]+\).*use a newer provider package/,
  },
  {
    name: "a skipped major (23.1 -> 24.1)",
    inputs: (ok) => ({ ...ok, version: "v24.1.0" }),
    property: "version",
    why: /cannot move from v23\.1\.11 to v24\.1\.0: .*allowed next: 23\.2; upgrade one step at a time: 23\.1 -> 23\.2 -> 24\.1/,
  },
  { name: "zero nodes", inputs: (ok) => ({ ...ok, nodes: [] }), property: "nodes", why: /at least one node/ },
  {
    name: "duplicate node names",
    inputs: (ok) => ({ ...ok, nodes: node(ok, 1, { name: "n1" }) }),
    property: "nodes[1].name",
    why: /duplicate name "n1": nodes\[0\] has the same name; each node needs its own/,
  },
  {
    name: "two nodes on one SQL address",
    inputs: (ok) => ({ ...ok, nodes: node(ok, 2, { sqlAddr: ok.nodes[0].sqlAddr }) }),
    property: "nodes[2].sqlAddr",
    why: /duplicate sqlAddr "127\.0\.66\.11:26257": nodes\[0\] has the same sqlAddr/,
  },
  {
    name: "a SQL address without a port",
    inputs: (ok) => ({ ...ok, nodes: node(ok, 0, { sqlAddr: "127.0.65.11" }) }),
    property: "nodes[0].sqlAddr",
    why: /must be "host:port"/,
  },
  {
    name: "an HTTP port out of range",
    inputs: (ok) => ({ ...ok, nodes: node(ok, 0, { httpAddr: "127.0.65.11:99999" }) }),
    property: "nodes[0].httpAddr",
    why: /port must be from 1 to 65535 \(got 99999\)/,
  },
  {
    name: "a relative binary path",
    inputs: (ok) => ({ ...ok, nodes: node(ok, 0, { binaryPath: "cockroach" }) }),
    property: "nodes[0].binaryPath",
    why: /absolute path/,
  },
  {
    name: "an unknown process manager",
    inputs: (ok) => ({ ...ok, nodes: node(ok, 0, { process: { manager: "docker" } }) }),
    property: "nodes[0].process.manager",
    why: /"cockroach", "systemd", "commands"/,
  },
  {
    name: "a malformed SSH host key",
    inputs: (ok) => ({
      ...ok,
      nodes: node(ok, 0, { connection: { host: "127.0.65.11", password: "pw", hostKey: "ssh-ed25519 not-base64!!" } }),
    }),
    property: "nodes[0].connection.hostKey",
    why: /malformed base64 key data after ssh-ed25519/,
  },
  {
    name: "a negative bake",
    inputs: (ok) => strategy(ok, { waitAfterRejoin: "-5s" }),
    property: "strategy.waitAfterRejoin",
    why: /must not be negative \(got "-5s"\)/,
  },
  {
    name: "a negative canary bake in seconds",
    inputs: (ok) => strategy(ok, { canaryBake: -3 }),
    property: "strategy.canaryBake",
    why: /must not be negative \(got -3\)/,
  },
  {
    name: "a zero drain deadline",
    inputs: (ok) => strategy(ok, { deadlines: { drain: "0s" } }),
    property: "strategy.deadlines.drain",
    why: /greater than zero/,
  },
  {
    name: "zero gate samples",
    inputs: (ok) => strategy(ok, { gateSamples: 0 }),
    property: "strategy.gateSamples",
    why: /must be from 1 to 100 \(got 0\)/,
  },
  { name: "an unknown batch mode", inputs: (ok) => strategy(ok, { batch: "zone" }), property: "strategy.batch", why: /"node".*"locality"/ },
  {
    name: "an unknown finalize mode",
    inputs: (ok) => strategy(ok, { finalize: "sometimes" }),
    property: "strategy.finalize",
    why: /"manual", "auto" or "afterBake:<duration>"/,
  },
  {
    name: "a misspelt strategy key",
    inputs: (ok) => strategy(ok, { canaryBak: "1s" }),
    property: "strategy.canaryBak",
    why: /unknown key "canaryBak"; did you mean "canaryBake"\? Allowed keys: /,
  },
  {
    name: "an order naming an unknown node",
    inputs: (ok) => strategy(ok, { order: ["n1", "n2", "n9"] }),
    property: "strategy.order[2]",
    why: /names no node: "n9"; node names are "n1", "n2", "n3"/,
  },
  {
    name: "maxUnavailable above 1 without locality batches",
    inputs: (ok) => strategy(ok, { maxUnavailable: 2 }),
    property: "strategy.maxUnavailable",
    why: /must be 1 unless strategy\.batch is "locality"/,
  },
  {
    name: "maxUnavailable as large as the cluster",
    inputs: (ok) => ({
      ...strategy(ok, { batch: "locality", maxUnavailable: 3 }),
      nodes: ok.nodes.map((n, i) => ({ ...n, locality: `zone=${"abc"[i]}` })),
    }),
    property: "strategy.maxUnavailable",
    why: /at most 2 \(the number of nodes minus one\)/,
  },
  { name: "a lease TTL below 2s", inputs: (ok) => strategy(ok, { leaseTtl: "1s" }), property: "strategy.leaseTtl", why: /at least 2s/ },
  {
    name: "a release URL without {version}",
    inputs: (ok) => ({ ...ok, release: { urlTemplate: "https://example.com/cockroach.tgz" } }),
    property: "release.urlTemplate",
    why: /must contain \{version\}/,
  },
  {
    name: "a release URL over ftp",
    inputs: (ok) => ({ ...ok, release: { urlTemplate: "ftp://example.com/cockroach-{version}.tgz" } }),
    property: "release.urlTemplate",
    why: /https:\/\/, http:\/\/ or file:\/\//,
  },
  {
    name: "a sha256 that is not 64 hex digits",
    inputs: (ok) => ({ ...ok, release: { ...ok.release, sha256: "abc" } }),
    property: "release.sha256",
    why: /64 hex digits/,
  },
  {
    name: "a password on an insecure cluster",
    inputs: (ok) => ({ ...ok, sql: { insecure: true, password: "hunter2" } }),
    property: "sql.password",
    why: /cannot be used with sql\.insecure = true/,
  },
  {
    name: "a misspelt top-level key",
    inputs: (ok) => ({ ...ok, verison: "v23.1.12" }),
    property: "verison",
    why: /unknown key "verison"; did you mean "version"\?/,
  },
];

describe("provider: bad inputs are refused and touch nothing", function () {
  this.timeout(300_000);
  let sim: SimCluster;
  let served: { url: string; close(): Promise<void> | void };
  let sha256: string;
  let adopted: ClusterVersionOutputs;
  let ok: ClusterVersionInputs;
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "bad-input-"));

  before(async () => {
    sim = await startSimCluster({ nodes: 3, version: FROM, baseIp: "127.0.66.10", timeScale: 0.1 });
    const rel = sim.buildRelease(TO);
    sha256 = rel.sha256;
    served = await sim.serveReleases(rel.dir);
    const r = await converge("", undefined, inputsFor(sim, FROM, served.url));
    assert.ok(r.outs, r.failure?.message);
    adopted = r.outs as ClusterVersionOutputs;
    ok = inputsFor(sim, TO, served.url, { strategy: fastStrategy() });
  });

  after(async () => {
    await served?.close();
    await sim?.stop();
    fs.rmSync(scratch, { recursive: true, force: true });
  });

  /** The update's refusal message, whether the engine would get a partial failure or a plain error. */
  async function updateMessage(news: unknown): Promise<string> {
    try {
      await lifecycle.update(ID, adopted as unknown as Record<string, unknown>, news as Record<string, unknown>, { log: () => undefined });
      return "(no refusal: the update went through)";
    } catch (e) {
      return String((e as { message?: unknown }).message);
    }
  }

  /** Runs `attempt` with the monitor on and proves that no node was touched. */
  async function touchesNothing<T>(attempt: () => Promise<T>): Promise<T> {
    const before = nodeFacts(sim);
    const monitor = await watch(sim);
    const result = await attempt();
    await monitor.stop();
    assert.deepStrictEqual(monitor.changedSinceBaseline(), [], "no pid or binary changed");
    assert.strictEqual(monitor.maxDownAtOnce().count, 0, "no node went down or unready");
    assert.deepStrictEqual(
      nodeFacts(sim).map((f) => [f.name, f.pid, f.binary, f.binaryIno]),
      before.map((f) => [f.name, f.pid, f.binary, f.binaryIno]),
    );
    return result;
  }

  describe("refused by check (pulumi preview), and by update too", () => {
    for (const c of CHECK_CASES) {
      it(`${c.name}: a failure at ${c.property}`, async () => {
        const news = c.inputs(ok);
        const { failures } = await lifecycle.check(adopted as unknown as Record<string, unknown>, news as Record<string, unknown>);
        const at = failures.filter((f: CheckFailure) => failurePath(f) === c.property);
        assert.strictEqual(at.length, 1, `one failure at ${c.property}; got ${JSON.stringify(failures)}`);
        assert.match(at[0].reason, c.why);
        assert.ok(!JSON.stringify(failures).includes("hunter2"), "no secret in a failure");
        const message = await touchesNothing(() => updateMessage(news));
        assert.doesNotMatch(message, /went through/);
        assert.ok(!message.includes("hunter2"), "no secret in the message");
      });
    }
  });

  describe("refused by the update's pre-flight, naming the node or field", () => {
    const refusedByUpdate = async (news: unknown, why: RegExp): Promise<string> => {
      const { failures } = await lifecycle.check(adopted as unknown as Record<string, unknown>, news as Record<string, unknown>);
      assert.deepStrictEqual(failures, [], "valid to check: only the live cluster can tell");
      const message = await touchesNothing(() => updateMessage(news));
      assert.match(message, why);
      return message;
    };

    it("an unknown patch release (v23.1.999, not on the release server)", async () => {
      await refusedByUpdate(
        { ...ok, version: "v23.1.999" },
        /^preflight: refused, no node was touched: stage-release node n1 \(127\.0\.66\.11\): cannot fetch http:\/\/[\d.:]+\/cockroach-v23\.1\.999\.linux-amd64\.tgz\.sha256sum \(is v23\.1\.999 a published release, and does release\.urlTemplate point at it\? .*404/,
      );
    });

    it("a release checksum mismatch", async () => {
      await refusedByUpdate(
        { ...ok, release: { ...ok.release, sha256: "0".repeat(64) } },
        /^preflight: refused, no node was touched: .*checksum mismatch.*expected 0{64}, got [0-9a-f]{64}/,
      );
    });

    it("a release URL that serves HTML", async () => {
      const dir = path.join(scratch, "html");
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(path.join(dir, `cockroach-${TO}.linux-amd64.tgz`), "<!DOCTYPE html><html><body>Sign in</body></html>\n");
      const html = await sim.serveReleases(dir);
      try {
        await refusedByUpdate(
          { ...ok, release: { urlTemplate: `${html.url}/cockroach-{version}.linux-amd64.tgz`, sha256 } },
          /^preflight: refused, no node was touched: .*served HTML, not a release tarball/,
        );
      } finally {
        await html.close();
      }
    });

    it("a release server that does not answer", async () => {
      await refusedByUpdate(
        { ...ok, release: { urlTemplate: "http://127.0.66.250:9/cockroach-{version}.linux-amd64.tgz" } },
        /^preflight: refused, no node was touched: .*cannot fetch http:\/\/127\.0\.66\.250:9\//,
      );
    });

    it("a node reached over SSH on a closed port", async () => {
      const conn = {
        host: "127.0.66.11",
        port: 1,
        user: "root",
        password: "hunter2",
        hostKey: "insecure-accept-any",
        dialErrorLimit: 1,
        perDialTimeout: 2,
      };
      const message = await refusedByUpdate(
        { ...ok, nodes: node(ok, 1, { connection: conn }) },
        /^preflight: refused, no node was touched: .*node n2 cannot be inspected: .*ssh root@127\.0\.66\.11:1: cannot connect after 1 attempt: connection refused \(is sshd running and listening on that address and port\?\)/,
      );
      assert.ok(!message.includes("hunter2"));
    });

    it("a local node listed with a wrong SQL address", async () => {
      const wrong = node(ok, 1, { sqlAddr: "127.0.66.99:26257" });
      await refusedByUpdate(
        { ...ok, nodes: wrong },
        /^preflight: refused, no node was touched: .*node n2 is unknown to the cluster \(no member with its sqlAddr\).*node 2 \(127\.0\.66\.12:26257\) is an active member of the cluster but not listed in nodes/,
      );
    });

    it("a node list missing a member of the cluster", async () => {
      await refusedByUpdate(
        { ...ok, nodes: ok.nodes.slice(0, 2) },
        /^preflight: refused, no node was touched: node 3 \(127\.0\.66\.13:26257\) is an active member of the cluster but not listed in nodes/,
      );
    });

    it("a node list with a node the cluster does not have", async () => {
      const extraDir = path.join(scratch, "n4");
      fs.mkdirSync(path.join(extraDir, "bin"), { recursive: true });
      fs.copyFileSync(ok.nodes[0].binaryPath, path.join(extraDir, "bin", "cockroach"));
      const extra: NodeInput = {
        ...ok.nodes[2],
        name: "n4",
        sqlAddr: "127.0.66.14:26257",
        httpAddr: "127.0.66.14:8080",
        binaryPath: path.join(extraDir, "bin", "cockroach"),
        stagingDir: path.join(extraDir, "staging"),
        process: { manager: "cockroach", startFlags: ["--insecure"], pidFile: path.join(extraDir, "cockroach.pid") },
      };
      await refusedByUpdate(
        { ...ok, nodes: [...ok.nodes, extra] },
        /^preflight: refused, no node was touched: .*node n4 is unknown to the cluster \(no member with its sqlAddr\)/,
      );
    });
  });
});
