/**
 * The catch-up signal on a secure cluster: CockroachDB serves
 * `/_status/ranges` and `/_status/raft` only to a logged-in web session there
 * (`authenticationMux`: 401 "a valid authentication cookie is required"),
 * so the provider logs in with `POST /login` as sql.user/sql.password; the
 * gate holds with a password (the `/_status/raft` fan-out's RPCs between the
 * nodes go inside TLS), and without one it does not pass, saying why.
 *
 * Loopback range: 127.0.121.x. About 10 s.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as https from "https";
import * as path from "path";
import { ClusterReader } from "../../provider/cluster/reader";
import { sampleClusterGate, type ClusterSample } from "../../provider/rollout/gates";
import { parseSpec } from "../../provider/spec/parse";
import { inputsFor } from "../support/provider-harness";
import { startSimCluster, type SimCluster } from "../support/sim-cluster";

const VERSION = "v23.1.11";
const PASSWORD = "pw-h17-gate";

/** One HTTPS request to a node, verified with the cluster's CA. */
function request(ca: string, url: string, method = "GET", body?: string): Promise<{ status: number; body: string; setCookie: string[] }> {
  return new Promise((resolve, reject) => {
    const req = https.request(url, { method, ca, headers: body ? { "Content-Type": "application/json" } : {} }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (b: Buffer) => chunks.push(b));
      res.on("end", () =>
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8"), setCookie: res.headers["set-cookie"] ?? [] }),
      );
    });
    req.on("error", reject);
    req.end(body);
  });
}

describe("cluster gate on a secure cluster (catch-up through a web session)", function () {
  this.timeout(120_000);
  let sim: SimCluster;
  let ca: string;
  const readers: ClusterReader[] = [];

  before(async () => {
    sim = await startSimCluster({
      nodes: 3,
      version: VERSION,
      baseIp: "127.0.121.10",
      timeScale: 0.1,
      secure: true,
      rootPassword: PASSWORD,
    });
    ca = fs.readFileSync(path.join(sim.certsDir!, "ca.crt"), "utf8");
  });

  after(async () => {
    for (const r of readers) await r.close();
    await sim?.stop();
  });

  function gateWith(password: string | undefined): Promise<ClusterSample> {
    // Without a password, SQL authenticates with root's client certificate, which HTTP cannot use.
    const cert = (f: string): string => fs.readFileSync(path.join(sim.certsDir!, f), "utf8");
    const tls = password !== undefined ? { ca } : { ca, cert: cert("client.root.crt"), key: cert("client.root.key") };
    const sql = { user: "root", certsDir: sim.certsDir, tls, ...(password !== undefined && { password }) };
    const spec = parseSpec({ ...inputsFor(sim, VERSION, "http://127.0.0.1:9"), sql });
    const reader = new ClusterReader(spec.sql, spec.nodes);
    readers.push(reader);
    return sampleClusterGate(reader, spec.nodes);
  }

  it("answers /_status/ranges only to a logged-in session, as CockroachDB does", async () => {
    const url = `https://${sim.nodes[0].httpAddr}/_status/ranges/local`;
    const anonymous = await request(ca, url);
    assert.deepStrictEqual([anonymous.status, anonymous.body], [401, "a valid authentication cookie is required\n"]);
    const raftAnonymous = await request(ca, `https://${sim.nodes[0].httpAddr}/_status/raft`);
    assert.deepStrictEqual([raftAnonymous.status, raftAnonymous.body], [401, "a valid authentication cookie is required\n"]);
    const bad = await request(
      ca,
      `https://${sim.nodes[0].httpAddr}/login`,
      "POST",
      JSON.stringify({ username: "root", password: "wrong" }),
    );
    assert.strictEqual(bad.status, 401);
    assert.match(bad.body, /the provided credentials did not match any account on the server/);
    const good = await request(
      ca,
      `https://${sim.nodes[0].httpAddr}/login`,
      "POST",
      JSON.stringify({ username: "root", password: PASSWORD }),
    );
    assert.strictEqual(good.status, 200);
    const cookie = good.setCookie.map((c) => c.split(";")[0]).find((c) => c.startsWith("session="));
    assert.ok(cookie, `a session cookie: ${good.setCookie.join(" | ")}`);
    // Sessions are cluster-wide: another node accepts the cookie.
    const other = await new Promise<number>((resolve, reject) => {
      https
        .get(`https://${sim.nodes[1].httpAddr}/_status/ranges/local`, { ca, headers: { Cookie: cookie } }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        })
        .on("error", reject);
    });
    assert.strictEqual(other, 200);
  });

  it("holds with sql.password (the provider logs in), and with a client certificate only does not pass, naming the cause", async () => {
    const ok = await gateWith(PASSWORD);
    assert.ok(ok.ok, ok.detail);
    const without = await gateWith(undefined);
    assert.strictEqual(without.ok, false);
    assert.match(without.detail, /catch-up not proven: cluster: no raft state: .*sql\.password is not set/);
  });
});
