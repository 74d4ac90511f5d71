/**
 * A secure sim cluster (`up --secure`, reference §3 `--certs-dir`): real
 * X.509 certificates as `cockroach cert` writes them, pgwire inside TLS
 * with client-certificate or password authentication, clear text refused
 * as CockroachDB refuses it, users and passwords kept cluster-wide, HTTPS
 * on 8080 (with /health still answered in clear text and a redirect for
 * everything else), and the CLI over TLS with --certs-dir.
 * Loopback range: 127.0.18.x.
 */
import * as assert from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Client, ClientConfig } from "pg";
import { SimCluster, httpGet, parseTsv, runCockroach, startSimCluster } from "../support/sim-cluster";

const ROOT_PASSWORD = "r00t-Secret-42";
const N1 = "127.0.18.11";
const N2 = "127.0.18.12";
const N3 = "127.0.18.13";

describe("sim secure cluster (TLS, certificates, passwords)", function () {
  this.timeout(60_000);
  let c: SimCluster;
  let certs: string;
  let ca: Buffer;
  let bin: string;

  const connect = async (host: string, cfg: Partial<ClientConfig>): Promise<Client> => {
    const client = new Client({ host, port: 26257, user: "root", database: "defaultdb", ...cfg });
    client.on("error", () => undefined);
    await client.connect();
    return client;
  };
  /** Runs one statement as `cfg` and returns the rows; the connection is closed either way. */
  const sql = async (host: string, cfg: Partial<ClientConfig>, text: string): Promise<Record<string, unknown>[]> => {
    const client = await connect(host, cfg);
    try {
      return (await client.query(text)).rows as Record<string, unknown>[];
    } finally {
      await client.end();
    }
  };
  const asRoot = (): Partial<ClientConfig> => ({
    ssl: { ca, cert: fs.readFileSync(path.join(certs, "client.root.crt")), key: fs.readFileSync(path.join(certs, "client.root.key")) },
  });

  before(async () => {
    c = await startSimCluster({
      nodes: 3,
      version: "v23.1.11",
      baseIp: "127.0.18.10",
      timeScale: 0.1,
      secure: true,
      rootPassword: ROOT_PASSWORD,
    });
    assert.ok(c.certsDir, "a secure cluster reports its certs dir");
    certs = c.certsDir;
    ca = fs.readFileSync(path.join(certs, "ca.crt"));
    bin = c.nodes[0].binary;
  });
  after(async () => c?.stop());

  it("lays out ca.crt, node and root client certificates (keys 0600) and starts nodes with --certs-dir instead of --insecure", () => {
    const mode = (f: string): string => (fs.statSync(path.join(certs, f)).mode & 0o777).toString(8);
    assert.deepStrictEqual(fs.readdirSync(certs).sort(), ["ca.crt", "client.root.crt", "client.root.key", "node.crt", "node.key"]);
    assert.deepStrictEqual(["node.key", "client.root.key", "ca.crt", "node.crt"].map(mode), ["600", "600", "644", "644"]);
    assert.strictEqual((fs.statSync(path.join(c.dir, "ca.key")).mode & 0o777).toString(8), "600");
    for (const n of c.providerNodes) {
      assert.ok(n.process.startFlags.includes(`--certs-dir=${certs}`));
      assert.ok(!n.process.startFlags.includes("--insecure"));
    }
    const text = execFileSync("openssl", ["x509", "-in", path.join(certs, "node.crt"), "-noout", "-text"], { encoding: "utf8" });
    assert.match(text, /Subject: O = Cockroach, CN = node/);
    assert.match(text, /IP Address:127\.0\.18\.11, IP Address:127\.0\.18\.12, IP Address:127\.0\.18\.13, DNS:localhost/);
    execFileSync("openssl", [
      "verify",
      "-CAfile",
      path.join(certs, "ca.crt"),
      path.join(certs, "node.crt"),
      path.join(certs, "client.root.crt"),
    ]);
    assert.strictEqual(c.status().certsDir, certs);
  });

  it("authenticates root by client certificate or by password inside TLS, and refuses a wrong password with 28P01", async () => {
    assert.deepStrictEqual(await sql(N1, asRoot(), "SELECT current_user AS u"), [{ u: "root" }]);
    assert.deepStrictEqual(await sql(N2, { ssl: { ca }, password: ROOT_PASSWORD }, "SELECT current_user AS u"), [{ u: "root" }]);
    await assert.rejects(connect(N2, { ssl: { ca }, password: "wrong" }), (e: Error & { code?: string }) => {
      assert.strictEqual(e.code, "28P01");
      assert.strictEqual(e.message, "password authentication failed for user root");
      return true;
    });
  });

  it("refuses a clear-text session with 08P01 `node is running secure mode, SSL connection required`", async () => {
    await assert.rejects(connect(N3, { ssl: false, password: ROOT_PASSWORD }), (e: Error & { code?: string }) => {
      assert.strictEqual(e.code, "08P01");
      assert.strictEqual(e.message, "node is running secure mode, SSL connection required");
      return true;
    });
  });

  it("keeps users and passwords cluster-wide: created on one node, they log in on another; errors as CockroachDB's", async () => {
    const admin = await connect(N1, asRoot());
    try {
      assert.strictEqual((await admin.query("CREATE USER bob WITH PASSWORD 'b0b-pw'")).command, "CREATE");
      await assert.rejects(admin.query("CREATE USER bob"), /^error: a role\/user named bob already exists$/);
      await admin.query("CREATE USER IF NOT EXISTS bob");
      await assert.rejects(admin.query("ALTER USER nobody WITH PASSWORD 'x'"), /role\/user nobody does not exist/);
      await assert.rejects(admin.query("DROP USER root"), /cannot drop special role root/);
      const users = (await admin.query("SHOW USERS")).rows as { username: string }[];
      assert.deepStrictEqual(
        users.map((u) => u.username),
        ["admin", "bob", "root"],
      );
    } finally {
      await admin.end();
    }
    assert.deepStrictEqual(await sql(N3, { user: "bob", password: "b0b-pw", ssl: { ca } }, "SELECT current_user AS u"), [{ u: "bob" }]);
    await sql(N2, asRoot(), "ALTER USER bob WITH PASSWORD 'b1b-pw'");
    await assert.rejects(connect(N3, { user: "bob", password: "b0b-pw", ssl: { ca } }), /password authentication failed for user bob/);
    await sql(N2, asRoot(), "DROP USER bob");
    await assert.rejects(connect(N1, { user: "bob", password: "b1b-pw", ssl: { ca } }), /password authentication failed for user bob/);
  });

  it("serves HTTPS on 8080 with the node certificate; in clear text only /health answers, the rest redirects (307) to https", async () => {
    assert.deepStrictEqual(await httpGet(`${N1}:8080`, "/health?ready=1", 5000, ca), { status: 200, body: "{}" });
    const vars = await httpGet(`${N2}:8080`, "/_status/vars", 5000, ca);
    assert.strictEqual(vars.status, 200);
    assert.match(vars.body, /\nraftlog_behind\{store="2",node_id="2"\} \d+\n/);
    assert.deepStrictEqual(await httpGet(`${N1}:8080`, "/health", 5000), { status: 200, body: "{}" });
    const redirected = await httpGet(`${N1}:8080`, "/_status/vars", 5000);
    assert.strictEqual(redirected.status, 307);
    assert.strictEqual(redirected.location, `https://${N1}:8080/_status/vars`);
  });

  it("runs the CLI over TLS with --certs-dir (node status, sql -e, node drain, debug zip) and refuses --insecure", async () => {
    const certsFlag = `--certs-dir=${certs}`;
    const status = await runCockroach(bin, ["node", "status", "--host", `${N2}:26257`, certsFlag]);
    assert.strictEqual(status.code, 0, status.stderr);
    assert.deepStrictEqual(
      parseTsv(status.stdout).map((r) => [r.id, r.is_live]),
      [
        ["1", "true"],
        ["2", "true"],
        ["3", "true"],
      ],
    );
    assert.deepStrictEqual(await runCockroach(bin, ["sql", "--host", N3, certsFlag, "-e", "SELECT current_user"]), {
      code: 0,
      stdout: "current_user\nroot\n",
      stderr: "",
    });
    const plain = await runCockroach(bin, ["sql", "--host", N3, "--insecure", "-e", "SELECT 1"]);
    assert.strictEqual(plain.code, 1);
    assert.match(plain.stderr, /^ERROR: node is running secure mode, SSL connection required\nSQLSTATE: 08P01\n/);
    const noCerts = await runCockroach(bin, ["sql", "--host", N3, "--certs-dir", path.join(c.dir, "missing"), "-e", "SELECT 1"]);
    assert.match(noCerts.stderr, /^ERROR: cannot load certificates\./);
    const zipFile = path.join(c.dir, "debug.zip");
    const zip = await runCockroach(bin, ["debug", "zip", zipFile, "--host", `${N1}:26257`, certsFlag]);
    assert.strictEqual(zip.code, 0, zip.stderr);
    assert.match(zip.stderr, /\[node 3\] requesting node details\.\.\. received response/);
    const drain = await runCockroach(bin, ["node", "drain", "3", "--host", `${N1}:26257`, certsFlag]);
    assert.deepStrictEqual([drain.code, drain.stdout], [0, "ok\n"], drain.stderr);
    const refused = await runCockroach(bin, ["node", "drain", "3", "--host", `${N1}:26257`, "--insecure"]);
    assert.strictEqual(refused.code, 1);
    assert.match(refused.stderr, /node is running secure mode, SSL connection required/);
  });

  it("restarts a node from its start flags (SIGTERM, then start with --certs-dir) and it still knows root's password", async () => {
    const restarted = await c.restartNode("n3");
    assert.strictEqual(restarted.code, 0, restarted.stderr);
    assert.match(restarted.stdout, /status: +restarted pre-existing node/);
    assert.deepStrictEqual(await sql(N3, { ssl: { ca }, password: ROOT_PASSWORD }, "SELECT 1 AS one"), [{ one: "1" }]);
  });

  it("makes certificates with `cockroach cert` like CockroachDB, refusing to overwrite files", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "crdb-sim-certs-"));
    try {
      const d = path.join(dir, "certs");
      const key = path.join(dir, "safe", "ca.key");
      const run = (args: string[]): Promise<{ code: number; stdout: string; stderr: string }> =>
        runCockroach(bin, ["cert", ...args, `--certs-dir=${d}`, `--ca-key=${key}`]);
      assert.deepStrictEqual(await run(["create-ca"]), { code: 0, stdout: "", stderr: "" });
      assert.strictEqual((await run(["create-node", "localhost", "10.0.0.1"])).code, 0);
      assert.strictEqual((await run(["create-client", "maxroach"])).code, 0);
      assert.deepStrictEqual(fs.readdirSync(d).sort(), ["ca.crt", "client.maxroach.crt", "client.maxroach.key", "node.crt", "node.key"]);
      const again = await run(["create-client", "maxroach"]);
      assert.strictEqual(again.code, 1);
      assert.match(again.stderr, /^ERROR: failed to generate client certificate and key: .*client\.maxroach\.crt: file exists\n/);
      const text = execFileSync("openssl", ["x509", "-in", path.join(d, "client.maxroach.crt"), "-noout", "-subject"], {
        encoding: "utf8",
      });
      assert.match(text, /CN = maxroach/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
