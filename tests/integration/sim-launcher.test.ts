/**
 * The simulator's launcher as the provider engineers use it: `npm run sim --
 * up` prints exactly one JSON object (the contract), leaves one process per
 * node running on its own loopback address, `status` reports live pids and
 * `down` stops everything by pid. Also `release` and `serve`.
 * Loopback range: 127.0.11.x.
 */
import * as assert from "assert";
import { execFile, execFileSync, spawn } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { isAlive as alive } from "../support/processes";
import { httpGet } from "../support/sim-cluster";

const ROOT = path.resolve(__dirname, "..", "..", "..");
const RUN_SIM = path.join(ROOT, "scripts", "run-sim.js");

function sim(args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [RUN_SIM, ...args], { cwd: ROOT, timeout: 120_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

function refuses(hostPort: string): Promise<boolean> {
  const [host, port] = hostPort.split(":");
  return new Promise((resolve) => {
    const s = net.createConnection(Number(port), host);
    s.once("connect", () => {
      s.destroy();
      resolve(false);
    });
    s.once("error", () => resolve(true));
  });
}

interface UpJson {
  dir: string;
  version: string;
  timeScale: number;
  nodes: {
    id: number;
    name: string;
    sqlAddr: string;
    httpAddr: string;
    pid: number;
    binary: string;
    store: string;
    log: string;
    pidFile: string;
    locality: string;
  }[];
  providerNodes: {
    name: string;
    connection: string;
    sqlAddr: string;
    httpAddr: string;
    locality?: string;
    binaryPath: string;
    process: { manager: string; pidFile: string; logFile: string; startFlags: string[] };
  }[];
}

describe("sim launcher (npm run sim)", function () {
  this.timeout(120_000);
  let dir: string;

  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "sim-launcher-"))));
  afterEach(async () => {
    await sim(["down", "--dir", dir, "--grace", "1"]);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("`up` prints one JSON object with the contract, leaves every node running, and `down` stops them all by pid", async () => {
    const up = await sim([
      "up",
      "--dir",
      dir,
      "--nodes",
      "3",
      "--version",
      "v23.1.11",
      "--base-ip",
      "127.0.11.10",
      "--time-scale",
      "0.1",
      "--localities",
      "region=a,zone=1;region=a,zone=2;region=b,zone=1",
    ]);
    assert.strictEqual(up.code, 0, up.stderr);
    const info = JSON.parse(up.stdout) as UpJson;
    assert.deepStrictEqual(Object.keys(info), ["dir", "version", "timeScale", "nodes", "providerNodes"]);
    assert.strictEqual(info.dir, fs.realpathSync(dir) === dir ? dir : info.dir);
    assert.strictEqual(info.version, "v23.1.11");
    assert.strictEqual(info.timeScale, 0.1);
    assert.deepStrictEqual(
      info.nodes.map((n) => [n.id, n.name, n.sqlAddr, n.httpAddr, n.locality]),
      [
        [1, "n1", "127.0.11.11:26257", "127.0.11.11:8080", "region=a,zone=1"],
        [2, "n2", "127.0.11.12:26257", "127.0.11.12:8080", "region=a,zone=2"],
        [3, "n3", "127.0.11.13:26257", "127.0.11.13:8080", "region=b,zone=1"],
      ],
    );
    for (const n of info.nodes) {
      assert.ok(alive(n.pid), `${n.name} pid ${n.pid} runs`);
      assert.strictEqual(Number(fs.readFileSync(n.pidFile, "utf8")), n.pid);
      assert.strictEqual(n.binary, path.join(info.dir, n.name, "bin", "cockroach"));
      assert.ok(fs.existsSync(path.join(info.dir, n.name, "bin", "lib", "libgeos.so")));
      assert.match(fs.readFileSync(n.log, "utf8"), /node startup completed/);
      assert.strictEqual((await httpGet(n.httpAddr, "/health?ready=1")).status, 200);
    }
    const p1 = info.providerNodes[0];
    assert.deepStrictEqual(Object.keys(p1), ["name", "connection", "sqlAddr", "httpAddr", "locality", "binaryPath", "process"]);
    assert.deepStrictEqual(p1.process, {
      manager: "cockroach",
      pidFile: info.nodes[0].pidFile,
      logFile: info.nodes[0].log,
      startFlags: [
        "--insecure",
        "--listen-addr=127.0.11.11:26257",
        "--http-addr=127.0.11.11:8080",
        "--join=127.0.11.11:26257,127.0.11.12:26257,127.0.11.13:26257",
        `--store=${info.nodes[0].store}`,
        "--locality=region=a,zone=1",
        `--log-dir=${path.dirname(info.nodes[0].log)}`,
      ],
    });
    const tarball = path.join(info.dir, "releases", "cockroach-v23.1.11.linux-amd64.tgz");
    assert.ok(fs.existsSync(tarball) && fs.existsSync(tarball + ".sha256sum"));

    const again = await sim(["up", "--dir", dir, "--nodes", "3", "--version", "v23.1.11", "--base-ip", "127.0.11.10"]);
    assert.strictEqual(again.code, 1);
    assert.match(again.stderr, /a simulated cluster is still running in .* \(pids \d+/);

    const status = JSON.parse((await sim(["status", "--dir", dir])).stdout) as UpJson;
    assert.deepStrictEqual(
      status.nodes.map((n) => n.pid),
      info.nodes.map((n) => n.pid),
    );

    const down = await sim(["down", "--dir", dir, "--grace", "1"]);
    assert.strictEqual(down.code, 0, down.stderr);
    for (const n of info.nodes) {
      assert.ok(!alive(n.pid), `${n.name} stopped`);
      assert.ok(await refuses(n.sqlAddr), `${n.sqlAddr} refuses connections`);
      assert.ok(await refuses(n.httpAddr), `${n.httpAddr} refuses connections`);
    }
    const after = JSON.parse((await sim(["status", "--dir", dir])).stdout) as UpJson;
    assert.deepStrictEqual(
      after.nodes.map((n) => n.pid),
      [null, null, null],
    );

    const fresh = await sim([
      "up",
      "--dir",
      dir,
      "--nodes",
      "1",
      "--version",
      "v23.2.5",
      "--base-ip",
      "127.0.11.10",
      "--time-scale",
      "0.1",
    ]);
    assert.strictEqual(fresh.code, 0, fresh.stderr);
    const reused = JSON.parse(fresh.stdout) as UpJson;
    assert.deepStrictEqual(
      reused.nodes.map((n) => [n.id, n.name]),
      [[1, "n1"]],
      "a stopped cluster's dir is reused for a fresh cluster",
    );
    assert.ok(!fs.existsSync(path.join(dir, "n2")));
  });

  it("`up --secure --root-password` adds certsDir to the JSON, starts nodes with --certs-dir, and never prints the password", async () => {
    const password = "launcher-Pw-91c2";
    const up = await sim([
      "up",
      "--dir",
      dir,
      "--nodes",
      "1",
      "--version",
      "v23.1.11",
      "--base-ip",
      "127.0.11.40",
      "--time-scale",
      "0.1",
      "--secure",
      "--root-password",
      password,
    ]);
    assert.strictEqual(up.code, 0, up.stderr);
    assert.ok(!(up.stdout + up.stderr).includes(password), "the password is not printed");
    const info = JSON.parse(up.stdout) as UpJson & { certsDir: string };
    assert.deepStrictEqual(Object.keys(info), ["dir", "version", "timeScale", "certsDir", "nodes", "providerNodes"]);
    assert.strictEqual(info.certsDir, path.join(info.dir, "certs"));
    assert.strictEqual(info.providerNodes[0].process.startFlags[0], `--certs-dir=${info.certsDir}`);
    assert.ok(!info.providerNodes[0].process.startFlags.includes("--insecure"));
    assert.ok(!fs.readFileSync(info.nodes[0].log, "utf8").includes(password), "nor logged");
    const ca = fs.readFileSync(path.join(info.certsDir, "ca.crt"));
    assert.strictEqual((await httpGet(info.nodes[0].httpAddr, "/health?ready=1", 5000, ca)).status, 200);
  });

  it("`up` fails with the node's start error and leaves no process behind when an address is taken", async () => {
    const blocker = net.createServer().listen(26257, "127.0.11.32");
    await new Promise((r) => blocker.once("listening", r));
    try {
      const up = await sim([
        "up",
        "--dir",
        dir,
        "--nodes",
        "2",
        "--version",
        "v23.1.11",
        "--base-ip",
        "127.0.11.30",
        "--time-scale",
        "0.1",
      ]);
      assert.strictEqual(up.code, 1);
      assert.match(up.stderr, /ERROR: failed to start server: listen tcp 127\.0\.11\.32:26257: bind: address already in use/);
      assert.strictEqual(up.stdout, "");
      const status = JSON.parse((await sim(["status", "--dir", dir])).stdout) as UpJson;
      assert.deepStrictEqual(
        status.nodes.map((n) => n.pid),
        [null, null],
      );
      assert.ok(!alive(Number(fs.readFileSync(path.join(dir, "fabric.pid"), "utf8"))), "the fabric is stopped too");
    } finally {
      blocker.close();
    }
  });

  it("`release` writes a tarball laid out like CockroachDB's with a .sha256sum that sha256sum accepts", async () => {
    const r = await sim(["release", "v23.2.5", "--out", dir, "--fault", "drain-timeout"]);
    assert.strictEqual(r.code, 0, r.stderr);
    const listing = execFileSync("tar", ["-tzf", path.join(dir, "cockroach-v23.2.5.linux-amd64.tgz")], { encoding: "utf8" })
      .trim()
      .split("\n");
    assert.deepStrictEqual(listing, [
      "cockroach-v23.2.5.linux-amd64/",
      "cockroach-v23.2.5.linux-amd64/cockroach",
      "cockroach-v23.2.5.linux-amd64/lib/",
      "cockroach-v23.2.5.linux-amd64/lib/libgeos.so",
      "cockroach-v23.2.5.linux-amd64/lib/libgeos_c.so",
    ]);
    const sum = fs.readFileSync(path.join(dir, "cockroach-v23.2.5.linux-amd64.tgz.sha256sum"), "utf8");
    assert.match(sum, /^[0-9a-f]{64} {2}cockroach-v23\.2\.5\.linux-amd64\.tgz\n$/);
    assert.match(execFileSync("sha256sum", ["-c", "cockroach-v23.2.5.linux-amd64.tgz.sha256sum"], { cwd: dir, encoding: "utf8" }), /OK/);
    execFileSync("tar", ["-xzf", "cockroach-v23.2.5.linux-amd64.tgz"], { cwd: dir });
    const binary = path.join(dir, "cockroach-v23.2.5.linux-amd64", "cockroach");
    assert.match(fs.readFileSync(binary, "utf8"), /^#!\/bin\/sh\n/);
    assert.strictEqual(execFileSync(binary, ["version", "--build-tag"], { encoding: "utf8" }), "v23.2.5\n");
  });

  it("`release` refuses an unknown fault", async () => {
    const r = await sim(["release", "v23.2.5", "--out", dir, "--fault", "gremlins"]);
    assert.strictEqual(r.code, 1);
    assert.match(r.stderr, /unknown fault "gremlins"/);
  });

  it("`serve` prints its URL as JSON and serves the directory's files", async () => {
    fs.writeFileSync(path.join(dir, "hello.txt"), "hi\n");
    const child = spawn(process.execPath, [RUN_SIM, "serve", dir, "--host", "127.0.11.9"], {
      cwd: ROOT,
      stdio: ["ignore", "pipe", "inherit"],
    });
    try {
      const line = await new Promise<string>((resolve, reject) => {
        let out = "";
        child.stdout.on("data", (c: Buffer) => {
          out += c.toString();
          if (out.includes("}")) resolve(out);
        });
        child.once("exit", () => reject(new Error(`serve exited: ${out}`)));
      });
      const { url } = JSON.parse(line) as { url: string };
      assert.match(url, /^http:\/\/127\.0\.11\.9:\d+$/);
      const hostPort = url.slice("http://".length);
      assert.deepStrictEqual(await httpGet(hostPort, "/hello.txt"), { status: 200, body: "hi\n" });
      assert.strictEqual((await httpGet(hostPort, "/missing.txt")).status, 404);
    } finally {
      if (child.pid) process.kill(child.pid, "SIGTERM");
    }
  });
});
