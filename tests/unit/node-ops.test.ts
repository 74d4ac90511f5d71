/**
 * Node operations through the local transport, against real processes and
 * files: a stand-in `cockroach` script (a shell script, not the simulator)
 * that starts a background process with a pid file, answers `version
 * --build-tag` and `node drain`. What is asserted is what NodeOps does on a
 * host: the pid file is honoured, the process is really gone after stop,
 * SIGKILL comes only after the deadline and is reported, the swap keeps the
 * previous binary, and start failures carry the log tail.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { isNodeOpFailed } from "../../provider/core/errors";
import { NodeOps, parseBuildTag } from "../../provider/node/ops";
import { LocalTransport } from "../../provider/transport/local";
import type { NodeSpec } from "../../provider/core/types";

/** A fake release binary: behaviour switched by files next to it, so tests need no env plumbing. */
function fakeCockroach(tag: string): string {
  return `#!/bin/sh
here=$(dirname "$0")
case "$1" in
  version) echo "${tag}"; exit 0 ;;
  start)
    [ -f "$here/../fail-start" ] && { echo "ERROR: cannot start: store locked" >&2; exit 1; }
    pidfile=""
    while [ $# -gt 0 ]; do [ "$1" = "--pid-file" ] && pidfile="$2"; shift; done
    if [ -f "$here/../ignore-term" ]; then
      ( trap '' TERM; echo "${tag} running" >> "$here/../node.log"; exec sleep 300 ) > /dev/null 2>&1 &
    else
      ( echo "${tag} running" >> "$here/../node.log"; exec sleep 300 ) > /dev/null 2>&1 &
    fi
    echo $! > "$pidfile"
    echo "build: CCL ${tag}"; exit 0 ;;
  node)
    n=$(cat "$here/../drain-count" 2>/dev/null || echo 0); echo $((n+1)) > "$here/../drain-count"
    [ -f "$here/../drain-timeout" ] && { echo "ERROR: drain timeout" >&2; exit 1; }
    echo "node is draining... remaining: 0 (complete)" >&2; echo ok; exit 0 ;;
esac
exit 2
`;
}

/** Alive and not a zombie waiting to be reaped. */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
  return stat.replace(/.*\) /, "")[0] !== "Z";
}

describe("provider/node: operations on a host", function () {
  this.timeout(30_000);
  let dir: string;
  let ops: NodeOps;
  let node: NodeSpec;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "node-ops-"));
    fs.mkdirSync(path.join(dir, "bin", "lib"), { recursive: true });
    fs.mkdirSync(path.join(dir, "release", "lib"), { recursive: true });
    fs.writeFileSync(path.join(dir, "bin", "cockroach"), fakeCockroach("v23.1.11"), { mode: 0o755 });
    fs.writeFileSync(path.join(dir, "bin", "lib", "libgeos.so"), "old geos");
    fs.writeFileSync(path.join(dir, "release", "cockroach"), fakeCockroach("v23.1.12"), { mode: 0o755 });
    fs.writeFileSync(path.join(dir, "release", "lib", "libgeos.so"), "new geos");
    node = {
      name: "n1",
      connection: { kind: "local", host: "localhost", port: 22, user: "root", dialErrorLimit: 1, perDialTimeoutMs: 1000 },
      sqlAddr: { host: "127.0.20.1", port: 26257 },
      httpAddr: { host: "127.0.20.1", port: 8080 },
      rpcAddr: { host: "127.0.20.1", port: 26257 },
      locality: "",
      binaryPath: path.join(dir, "bin", "cockroach"),
      stagingDir: path.join(dir, "bin", ".crdb-upgrade"),
      process: {
        manager: "cockroach",
        startFlags: ["--insecure"],
        pidFile: path.join(dir, "cockroach.pid"),
        logFile: path.join(dir, "node.log"),
      },
    };
    ops = new NodeOps(node, new LocalTransport(), { insecure: true });
  });

  afterEach(async () => {
    const pid = await ops.runningPid().catch(() => undefined);
    if (pid !== undefined) process.kill(pid, "SIGKILL");
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("reads the build of a binary, and reports a missing binary as undefined", async () => {
    assert.strictEqual(await ops.buildOf(node.binaryPath), "v23.1.11");
    assert.strictEqual(await ops.buildOf(ops.oldBinaryPath), undefined);
  });

  it("starts through the pid file and stops by SIGTERM until the process is gone", async () => {
    assert.strictEqual(await ops.processState(), "stopped");
    await ops.start(10_000);
    const pid = await ops.runningPid();
    assert.ok(pid, "a running pid after start");
    assert.strictEqual(await ops.processState(), "running");
    const r = await ops.stop(5_000);
    assert.strictEqual(r.escalated, false);
    assert.ok(!isAlive(pid as number), "the process is really gone");
    assert.strictEqual(await ops.processState(), "stopped");
  });

  it("sends SIGKILL only after the stop deadline, and says so", async () => {
    fs.writeFileSync(path.join(dir, "ignore-term"), "");
    await ops.start(10_000);
    const t0 = Date.now();
    const r = await ops.stop(1_000);
    assert.strictEqual(r.escalated, true);
    assert.ok(Date.now() - t0 >= 1_000, "waited the deadline before escalating");
    assert.strictEqual(await ops.processState(), "stopped");
  });

  it("swaps the binary keeping the previous one as _old, and lib/ as lib_old", async () => {
    const release = path.join(dir, "release");
    await ops.swapBinary({ source: path.join(release, "cockroach"), keepPrevious: true, libDir: path.join(release, "lib") });
    assert.strictEqual(await ops.buildOf(node.binaryPath), "v23.1.12");
    assert.strictEqual(await ops.buildOf(ops.oldBinaryPath), "v23.1.11");
    assert.strictEqual(fs.readFileSync(path.join(dir, "bin", "lib", "libgeos.so"), "utf8"), "new geos");
    assert.strictEqual(fs.readFileSync(path.join(dir, "bin", "lib_old", "libgeos.so"), "utf8"), "old geos");
    assert.ok(!fs.existsSync(`${node.binaryPath}.new`), "no leftover .new file");
    // Rollback direction: _old goes back in, and stays as it is.
    await ops.swapBinary({ source: ops.oldBinaryPath, keepPrevious: false, libDir: path.join(dir, "bin", "lib_old") });
    assert.strictEqual(await ops.buildOf(node.binaryPath), "v23.1.11");
    assert.strictEqual(await ops.buildOf(ops.oldBinaryPath), "v23.1.11");
    assert.strictEqual(fs.readFileSync(path.join(dir, "bin", "lib", "libgeos.so"), "utf8"), "old geos");
  });

  it("fails a start with the command output and the tail of the node log", async () => {
    fs.writeFileSync(path.join(dir, "node.log"), "I230101 starting\nE230101 disk full on /data\n");
    fs.writeFileSync(path.join(dir, "fail-start"), "");
    await assert.rejects(ops.start(10_000), (e: unknown) => {
      assert.ok(isNodeOpFailed(e));
      assert.match(e.message, /^start node n1 \(127\.0\.20\.1\): start exited 1/);
      assert.match(e.message, /store locked/);
      assert.match(e.message, /disk full on \/data/);
      return true;
    });
  });

  it("retries a drain that timed out once, then fails naming the node and phase", async () => {
    fs.writeFileSync(path.join(dir, "drain-timeout"), "");
    await assert.rejects(
      ops.drain(2_000),
      /^NodeOpFailed: drain node n1 \(127\.0\.20\.1\): cockroach node drain failed: ERROR: drain timeout/,
    );
    assert.strictEqual(fs.readFileSync(path.join(dir, "drain-count"), "utf8").trim(), "2");
    fs.rmSync(path.join(dir, "drain-timeout"));
    fs.rmSync(path.join(dir, "drain-count"));
    assert.deepStrictEqual(await ops.drain(2_000), { attempts: 1 });
  });

  it("keeps an in-flight journal until it is cleared", async () => {
    assert.strictEqual(await ops.readJournal(), undefined);
    const entry = {
      target: "v23.1.12",
      from: "v23.1.11",
      phase: "drain" as const,
      at: "2024-01-01T00:00:00.000Z",
      direction: "upgrade" as const,
    };
    await ops.writeJournal(entry);
    assert.deepStrictEqual(await ops.readJournal(), entry);
    await ops.clearJournal();
    assert.strictEqual(await ops.readJournal(), undefined);
  });

  it("parses the build tag from both forms of cockroach version", () => {
    assert.strictEqual(parseBuildTag("v24.1.0\n"), "v24.1.0");
    assert.strictEqual(parseBuildTag("Build Tag:        v24.1.0\nBuild Time:       2024/05/01\n"), "v24.1.0");
    assert.strictEqual(parseBuildTag(""), undefined);
  });
});
