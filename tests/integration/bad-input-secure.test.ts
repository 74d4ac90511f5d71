/**
 * The bad-input matrix, continued: SQL credentials that a secure cluster
 * (TLS, root password) refuses — a wrong password, a CA that did not sign
 * the nodes' certificates, a server name the certificate does not carry,
 * plain text to a TLS cluster. Each passes `check` (only the cluster can
 * tell) and is refused by the update's pre-flight with the cause and what
 * to check, touching no node. Another CA is made with openssl, which must
 * be installed.
 */
import * as assert from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as lifecycle from "../../provider/lifecycle";
import type { ClusterVersionInputs, ClusterVersionOutputs } from "../../provider/core/types";
import { startSimCluster, type SimCluster } from "../support/sim-cluster";
import { converge, fastStrategy, inputsFor, nodeFacts, watch } from "../support/provider-harness";

const FROM = "v23.1.11";
const TO = "v23.1.12";
const ID = "crdb-bad-sql";

describe("provider: bad SQL credentials on a secure cluster are refused and touch nothing", function () {
  this.timeout(300_000);
  const PASSWORD = "pw-7c1e-right";
  let sim: SimCluster;
  let served: { url: string; close(): Promise<void> | void };
  let adopted: ClusterVersionOutputs;
  let ok: ClusterVersionInputs;
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "bad-sql-"));

  before(async () => {
    sim = await startSimCluster({ nodes: 3, version: FROM, baseIp: "127.0.80.10", timeScale: 0.1, secure: true, rootPassword: PASSWORD });
    served = await sim.serveReleases(sim.buildRelease(TO).dir);
    const certsDir = sim.certsDir;
    assert.ok(certsDir, "a secure sim cluster has a certs dir");
    const sql = { user: "root", certsDir, tls: { ca: fs.readFileSync(path.join(certsDir, "ca.crt"), "utf8") }, password: PASSWORD };
    const r = await converge("", undefined, { ...inputsFor(sim, FROM, served.url), sql });
    assert.ok(r.outs, r.failure?.message);
    adopted = r.outs as ClusterVersionOutputs;
    ok = { ...inputsFor(sim, TO, served.url, { strategy: fastStrategy() }), sql };
  });

  after(async () => {
    await served?.close();
    await sim?.stop();
    fs.rmSync(scratch, { recursive: true, force: true });
  });

  async function refused(sql: Record<string, unknown>, why: RegExp): Promise<string> {
    const news = { ...ok, sql: { ...ok.sql, ...sql } };
    const { failures } = await lifecycle.check(adopted as unknown as Record<string, unknown>, news as unknown as Record<string, unknown>);
    assert.deepStrictEqual(failures, [], "valid to check: only the live cluster can tell");
    const before = nodeFacts(sim);
    const monitor = await watch(sim);
    let message = "(no refusal: the update went through)";
    try {
      await lifecycle.update(ID, adopted as unknown as Record<string, unknown>, news as unknown as Record<string, unknown>, {
        log: () => undefined,
      });
    } catch (e) {
      message = String((e as { message?: unknown }).message);
    }
    await monitor.stop();
    assert.match(message, why);
    assert.ok(!message.includes(PASSWORD) && !message.includes("pw-wrong"), "no password in the message");
    assert.deepStrictEqual(monitor.changedSinceBaseline(), [], "no pid or binary changed");
    assert.strictEqual(monitor.maxDownAtOnce().count, 0, "no node went down or unready");
    assert.deepStrictEqual(
      nodeFacts(sim).map((f) => [f.pid, f.binaryIno]),
      before.map((f) => [f.pid, f.binaryIno]),
    );
    return message;
  }

  it("a wrong SQL password", async () => {
    await refused(
      { password: "pw-wrong" },
      /^preflight: refused, no node was touched: cannot read the cluster over SQL: SQL on n1: password authentication failed for user root \(check sql\.user and sql\.password\)$/,
    );
  });

  it("a CA that did not sign the nodes' certificates", async () => {
    const key = path.join(scratch, "other-ca.key");
    const crt = path.join(scratch, "other-ca.crt");
    try {
      execFileSync(
        "openssl",
        ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", crt, "-days", "1", "-subj", "/CN=Some Other CA"],
        { stdio: "pipe" },
      );
    } catch (e) {
      throw new Error(`this test makes a second CA with openssl: install it (apt-get install -y openssl): ${(e as Error).message}`);
    }
    await refused(
      { tls: { ca: fs.readFileSync(crt, "utf8") } },
      /^preflight: refused, no node was touched: cannot read the cluster over SQL: no SQL gateway answered \(tried n1, n2, n3\): self-signed certificate in certificate chain \(sql\.tls\.ca must be the CA certificate that signed the nodes' certificates, e\.g\. the certs dir's ca\.crt\)$/,
    );
  });

  it("a TLS server name the nodes' certificate does not carry", async () => {
    await refused(
      { tls: { ...(ok.sql?.tls ?? {}), serverName: "db.example.com" } },
      /^preflight: refused, no node was touched: cannot read the cluster over SQL: .*Host: db\.example\.com\. is not in the cert's altnames: .* \(sql\.tls\.serverName, or the node's address, must be a name in the nodes' certificate\)$/,
    );
  });

  it("plain text to a TLS cluster (sql.insecure on a secure cluster)", async () => {
    await refused(
      { insecure: true, password: undefined, tls: undefined },
      /^preflight: refused, no node was touched: cannot read the cluster over SQL: .*SSL connection required \(the cluster is secure: set sql\.insecure to false and give sql\.tls\.ca and a password or client certificate\)$/,
    );
  });
});
