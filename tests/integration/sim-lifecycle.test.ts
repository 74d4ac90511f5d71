/**
 * A sim node's life as the reference describes it (§3–4): readiness during
 * startup and drain, `cockroach node drain` output, 57P01 for new sessions
 * while draining, SIGTERM's graceful shutdown lines and exit 0, a second
 * SIGTERM ignored, SIGINT during shutdown stopping hard, restarts keeping
 * their node ID, pid files written once ready, drain timeouts.
 * Loopback range: 127.0.13.x.
 */
import * as assert from "assert";
import { ChildProcessWithoutNullStreams, execFileSync, spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { Client } from "pg";
import { SimCluster, httpGet, parseTsv, runCockroach, startSimCluster, waitFor } from "../support/sim-cluster";

const HOST1 = ["--host", "127.0.13.11:26257", "--insecure"];

async function readiness(httpAddr: string): Promise<string> {
  try {
    const r = await httpGet(httpAddr, "/health?ready=1", 1000);
    return r.status === 200 ? "ready" : `${r.status} ${(JSON.parse(r.body) as { message: string }).message}`;
  } catch {
    return "refused";
  }
}

async function setSetting(name: string, value: string): Promise<void> {
  const client = new Client({ host: "127.0.13.11", port: 26257, user: "root", database: "defaultdb" });
  await client.connect();
  try {
    await client.query(`SET CLUSTER SETTING ${name} = '${value}'`);
  } finally {
    await client.end();
  }
}

/** A node started in the foreground, its stdout collected. */
interface Foreground {
  readonly child: ChildProcessWithoutNullStreams;
  stdout(): string;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function startForeground(binary: string, args: readonly string[]): Foreground {
  const child = spawn(binary, ["start", ...args]);
  let out = "";
  child.stdout.on("data", (b: Buffer) => (out += b.toString()));
  child.stderr.on("data", () => undefined);
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on("exit", (code, signal) => resolve({ code, signal })),
  );
  return { child, stdout: () => out, exit };
}

describe("sim node lifecycle (start, drain, signals)", function () {
  this.timeout(90_000);
  let c: SimCluster;

  before(async () => {
    c = await startSimCluster({ nodes: 3, version: "v23.1.11", baseIp: "127.0.13.10", timeScale: 0.1 });
  });
  after(async () => c?.stop());

  it("drains a node by ID: progress on stderr, `ok` on stdout, then 503 `node is shutting down` and 57P01 for new sessions", async () => {
    const r = await runCockroach(c.nodes[0].binary, ["node", "drain", "2", ...HOST1]);
    assert.strictEqual(r.code, 0, r.stderr);
    assert.strictEqual(r.stdout, "ok\n");
    assert.match(r.stderr, /^node is draining\.\.\. remaining: [1-9]\d*\nnode is draining\.\.\. remaining: 0 \(complete\)\n$/);
    assert.strictEqual(await readiness("127.0.13.12:8080"), "503 node is shutting down");
    assert.strictEqual((await httpGet("127.0.13.12:8080", "/api/v2/health/?ready=true")).status, 500);
    assert.strictEqual((await httpGet("127.0.13.11:8080", "/api/v2/health/?ready=true")).status, 200);
    const client = new Client({ host: "127.0.13.12", port: 26257, user: "root", database: "defaultdb" });
    await assert.rejects(
      client.connect(),
      (e: Error & { code?: string }) => e.code === "57P01" && /server is not accepting clients/.test(e.message),
    );
    const status = parseTsv((await runCockroach(c.nodes[0].binary, ["node", "status", "--decommission", ...HOST1])).stdout);
    assert.deepStrictEqual(
      status.map((x) => x.is_draining),
      ["false", "true", "false"],
    );
    assert.match(c.nodeLog("n2"), /drain request completed without server shutdown/);
  });

  it("stops a drained node with SIGTERM (exit 0, ports closed) and restarts it with its node ID, pid file rewritten", async () => {
    const oldPid = c.killNode("n2", "SIGTERM");
    await c.waitForExit("n2", 10_000);
    assert.strictEqual(await readiness("127.0.13.12:8080"), "refused");
    assert.match(c.nodeLog("n2"), /server drained and shutdown completed/);
    const started = await c.startNode("n2");
    assert.strictEqual(started.code, 0, started.stderr);
    assert.match(started.stdout, /^CockroachDB node starting at .* \(took \d+\.\ds\)\nbuild: {15}CCL v23\.1\.11 @ /);
    assert.match(started.stdout, /\nstatus: {14}restarted pre-existing node\nnodeID: {14}2\n$/);
    const pid = Number(fs.readFileSync(c.nodes[1].pidFile, "utf8"));
    assert.notStrictEqual(pid, oldPid);
    assert.strictEqual(c.pidOf("n2"), pid);
    assert.strictEqual(await readiness("127.0.13.12:8080"), "ready");
  });

  it("warns that draining without a node ID or --self is deprecated, and drains the --host node", async () => {
    const r = await runCockroach(c.nodes[0].binary, ["node", "drain", "--host", "127.0.13.13:26257", "--insecure"]);
    assert.strictEqual(r.code, 0, r.stderr);
    assert.match(
      r.stderr,
      /^warning: draining a node without node ID or passing --self explicitly is deprecated\.\nnode is draining\.\.\. /,
    );
    assert.strictEqual(await readiness("127.0.13.13:8080"), "503 node is shutting down");
    await c.restartNode("n3");
    assert.strictEqual(await readiness("127.0.13.13:8080"), "ready");
  });

  it("drains and stops a node with `node drain --shutdown` from a v24.2+ CLI; older CLIs reject the flag", async () => {
    const old = await runCockroach(c.nodes[0].binary, ["node", "drain", "2", "--shutdown", ...HOST1]);
    assert.strictEqual(old.code, 1);
    assert.match(old.stderr, /^Error: unknown flag: --shutdown\n/);
    const cli = extractCli(c, "v24.2.1");
    const r = await runCockroach(cli, ["node", "drain", "2", "--shutdown", ...HOST1]);
    assert.strictEqual(r.code, 0, r.stderr);
    assert.strictEqual(r.stdout, "ok\n");
    await c.waitForExit("n2", 10_000);
    assert.match(
      c.nodeLog("n2"),
      /drain request received with doDrain = true, shutdown = false[\s\S]*server drained and shutdown completed\n$/,
    );
    assert.strictEqual((await c.startNode("n2")).code, 0);
  });

  it("reports the readiness messages in order while a node starts", async () => {
    c.killNode("n3", "SIGKILL");
    await c.waitForExit("n3");
    const seen: string[] = [];
    let polling = true;
    const poller = (async () => {
      while (polling) {
        const r = await readiness("127.0.13.13:8080");
        if (seen[seen.length - 1] !== r) seen.push(r);
        await new Promise((res) => setTimeout(res, 5));
      }
    })();
    const started = await c.startNode("n3");
    await waitFor("n3 ready", async () => (seen.includes("ready") ? true : undefined), 5000);
    polling = false;
    await poller;
    assert.strictEqual(started.code, 0, started.stderr);
    const states = seen.filter((s) => s !== "refused");
    assert.ok(states.includes("503 node is not accepting SQL clients"), `saw ${JSON.stringify(seen)}`);
    const order = ["503 liveness record not found", "503 node is not accepting SQL clients", "ready"];
    const ranks = states.map((s) => order.indexOf(s));
    assert.ok(
      ranks.every((r) => r >= 0) && ranks.every((r, i) => i === 0 || r >= ranks[i - 1]),
      `unexpected order ${JSON.stringify(seen)}`,
    );
  });

  it("prints the shutdown lines on SIGTERM in the foreground, ignores a second SIGTERM, and exits 0", async () => {
    await setSetting("server.shutdown.drain_wait", "5s"); // 0.5 s at this time scale: room for a second signal
    const fg = startForeground(c.nodes[0].binary, foregroundFlags(c, 4));
    try {
      await waitFor("n4 banner", async () => (/nodeID:/.test(fg.stdout()) ? true : undefined), 15_000);
      assert.match(fg.stdout(), /\nstatus: {14}initialized new node, joined pre-existing cluster\nnodeID: {14}4\n/);
      fg.child.kill("SIGTERM");
      await new Promise((r) => setTimeout(r, 150));
      fg.child.kill("SIGTERM");
      const exit = await fg.exit;
      assert.deepStrictEqual(exit, { code: 0, signal: null });
      const tail = fg.stdout().slice(fg.stdout().indexOf("nodeID:"));
      assert.match(
        tail,
        /\ninitiating graceful shutdown of server\nreceived additional signal 'terminated'; continuing graceful shutdown\nserver drained and shutdown completed\n$/,
      );
    } finally {
      if (fg.child.exitCode === null) fg.child.kill("SIGKILL");
    }
  });

  it("stops hard with a non-zero exit on SIGINT during a graceful shutdown", async () => {
    const fg = startForeground(c.nodes[0].binary, foregroundFlags(c, 4));
    try {
      await waitFor("n4 banner", async () => (/nodeID:/.test(fg.stdout()) ? true : undefined), 15_000);
      assert.match(fg.stdout(), /status: {14}restarted pre-existing node\nnodeID: {14}4\n/);
      fg.child.kill("SIGTERM");
      await new Promise((r) => setTimeout(r, 150));
      fg.child.kill("SIGINT");
      const exit = await fg.exit;
      assert.strictEqual(exit.code, 1);
      assert.match(
        fg.stdout(),
        /\ninitiating graceful shutdown of server\nreceived signal 'interrupt' during shutdown, initiating hard shutdown/,
      );
      assert.doesNotMatch(fg.stdout(), /server drained and shutdown completed/);
    } finally {
      if (fg.child.exitCode === null) fg.child.kill("SIGKILL");
      await setSetting("server.shutdown.drain_wait", "0s");
    }
  });

  it("stops hard with `too early to drain` when SIGTERM arrives before the node has started", async () => {
    const fg = startForeground(c.nodes[0].binary, foregroundFlags(c, 5));
    try {
      await waitFor(
        "n5 joined but not yet serving",
        async () => ((await readiness("127.0.13.15:8080")) === "503 node is not accepting SQL clients" ? true : undefined),
        10_000,
        2,
      );
      fg.child.kill("SIGTERM");
      const exit = await fg.exit;
      assert.strictEqual(exit.code, 1);
      assert.strictEqual(fg.stdout(), "too early to drain; used hard shutdown instead\n");
    } finally {
      if (fg.child.exitCode === null) fg.child.kill("SIGKILL");
    }
  });

  it("fails a drain that cannot finish with `ERROR: drain timeout`, exit 1 (fault drain-timeout)", async () => {
    const faulty = c.buildRelease("v23.1.11", "drain-timeout");
    c.installRelease("n3", faulty.tarball);
    const restarted = await c.restartNode("n3");
    assert.strictEqual(restarted.code, 0, restarted.stderr);
    await setSetting("server.shutdown.query_wait", "0s");
    await setSetting("server.shutdown.jobs_wait", "0s");
    await setSetting("server.shutdown.lease_transfer_wait", "2s");
    const t0 = Date.now();
    const r = await runCockroach(c.nodes[0].binary, ["node", "drain", "3", "--drain-wait", "1s", ...HOST1]);
    assert.strictEqual(r.code, 1);
    assert.match(
      r.stderr,
      /^warning: --drain-wait is 1s, but the server\.shutdown\.\{drain,query,jobs,connection,lease_transfer\}_wait cluster settings require a value of at least 2s; using the larger value\n/,
    );
    assert.match(r.stderr, /node is draining\.\.\. remaining: [1-9]\d*\n/);
    assert.match(
      r.stderr,
      /ERROR: drain timeout, consider adjusting --drain-wait, especially under custom server\.shutdown cluster settings\nFailed running "node drain"\n$/,
    );
    assert.ok(Date.now() - t0 >= 2000, "waited the raised drain-wait");
    assert.strictEqual(r.stdout, "");
    // The stuck node never finishes its SIGTERM drain; only SIGKILL stops it.
    c.killNode("n3", "SIGKILL");
    await c.waitForExit("n3");
    c.installRelease("n3", path.join(c.dir, "releases", "cockroach-v23.1.11.linux-amd64.tgz"));
    assert.strictEqual((await c.startNode("n3")).code, 0);
  });
});

/** A `cockroach` CLI of another version, unpacked from its release tarball. */
function extractCli(c: SimCluster, version: string): string {
  const r = c.buildRelease(version);
  const dir = path.join(c.dir, `cli-${version}`);
  fs.mkdirSync(dir, { recursive: true });
  execFileSync("tar", ["-xzf", r.tarball, "-C", dir]);
  return path.join(dir, `cockroach-${version}.linux-amd64`, "cockroach");
}

/** Flags for an extra node `n<i>` inside the cluster dir (it joins the cluster on first start). */
function foregroundFlags(c: SimCluster, i: number): string[] {
  const ip = `127.0.13.${10 + i}`;
  const home = path.join(c.dir, `n${i}`);
  fs.mkdirSync(home, { recursive: true });
  return [
    "--insecure",
    `--listen-addr=${ip}:26257`,
    `--http-addr=${ip}:8080`,
    "--join=127.0.13.11:26257",
    `--store=${home}/store`,
    `--log-dir=${home}`,
  ];
}
