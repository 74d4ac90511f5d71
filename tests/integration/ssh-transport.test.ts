/**
 * The SSH transport against a real OpenSSH server (Debian's sshd), no mocks:
 * commands, quoting, stdin/env, exit codes, timeouts that really kill the
 * remote process group, dropped connections, SFTP uploads, connection reuse.
 * Loopback 127.0.40.1-3.
 */
import * as assert from "assert";
import { createHash } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { isTransportError } from "../../provider/core/errors";
import type { Connection } from "../../provider/core/types";
import { SshTransport } from "../../provider/transport/ssh";
import { assertNoSecrets, sshConnection } from "../support/ssh-connection";
import { createHostAdmin, generateKeyPair, type HostAdmin, type KeyPair } from "../support/ssh-identities";
import { startSshd, type SshdServer } from "../support/sshd";

const HOST = "127.0.40.1";

describe("provider/transport/ssh against a real sshd", function () {
  this.timeout(60_000);
  let server: SshdServer;
  let key: KeyPair;
  let admin: HostAdmin;
  let transport: SshTransport;
  let scratch: string;
  const captured: string[] = [];

  before(async () => {
    key = generateKeyPair();
    admin = createHostAdmin();
    server = await startSshd({ host: HOST, authorizedKeys: [key.publicKey] });
    scratch = fs.mkdtempSync(path.join(os.tmpdir(), "ssh-transport-"));
  });
  beforeEach(() => {
    transport = new SshTransport(conn());
  });
  afterEach(async () => {
    await transport.close();
  });
  after(async () => {
    assertNoSecrets(captured, [key.privateKey]);
    await server?.stop();
    admin?.remove();
    key?.remove();
    fs.rmSync(scratch, { recursive: true, force: true });
  });

  function conn(extra: Partial<Connection> = {}): Connection {
    return sshConnection(server, { user: admin.name, privateKey: key.privateKey, ...extra });
  }

  async function run(argv: string[], opts = {}): Promise<{ stdout: string; stderr: string; code: number | null }> {
    const r = await transport.exec(argv, opts);
    captured.push(r.stdout, r.stderr);
    return r;
  }

  async function failure(p: Promise<unknown>): Promise<Error> {
    try {
      await p;
    } catch (e) {
      captured.push((e as Error).message);
      return e as Error;
    }
    throw new Error("expected a failure");
  }

  it("runs argv as the connection's user and returns stdout, stderr and the exit code", async () => {
    const r = await run(["sh", "-c", 'echo "$LOGNAME $HOME"; echo oops >&2; exit 3']);
    assert.deepStrictEqual(r, { stdout: `${admin.name} ${admin.home}\n`, stderr: "oops\n", code: 3 });
    assert.strictEqual(transport.description, `ssh ${admin.name}@${HOST}:22`);
  });

  it("passes arguments verbatim: spaces, quotes, dollars, globs and newlines", async () => {
    const args = ["a b", "it's", '"dq"', "$HOME", "*", "x\ny", "", "--flag=1;rm -rf /"];
    const r = await run(["printf", "[%s]\\n", ...args]);
    assert.strictEqual(r.stdout, args.map((a) => `[${a}]\n`).join(""));
  });

  it("feeds stdin and closes it, and sets extra environment variables", async () => {
    const r = await run(["sh", "-c", 'cat; echo "$GREETING/$OTHER"'], {
      stdin: "line1\nline2\n",
      env: { GREETING: "hello world", OTHER: "it's" },
    });
    assert.strictEqual(r.stdout, "line1\nline2\nhello world/it's\n");
  });

  it("does not wait for stdin when none is given", async () => {
    const r = await run(["cat"], { timeoutMs: 5_000 });
    assert.deepStrictEqual(r, { stdout: "", stderr: "", code: 0 });
  });

  it("reports a command killed by a signal with a null exit code", async () => {
    const r = await run(["sh", "-c", "kill -9 $$"]);
    assert.strictEqual(r.code, null);
  });

  it("kills the remote command and everything it started when the timeout expires", async () => {
    const pidFile = path.join(scratch, "child.pid");
    const started = Date.now();
    const err = await failure(run(["sh", "-c", `sleep 300 & echo $! > ${pidFile}; wait`], { timeoutMs: 1_500 }));
    assert.ok(isTransportError(err), String(err));
    assert.match(
      err.message,
      new RegExp(`^ssh ${admin.name}@127\\.0\\.40\\.1:22: sh -c sleep: timed out after 1500 ms \\(remote command killed\\)$`),
    );
    assert.ok(Date.now() - started < 6_000, "the timeout returned promptly");
    const child = Number(fs.readFileSync(pidFile, "utf8"));
    await waitUntil(() => !processAlive(child), 3_000, `the remote child ${child} to be killed`);
  });

  it("kills the remote command when the abort signal fires", async () => {
    const pidFile = path.join(scratch, "aborted.pid");
    const ac = new AbortController();
    void waitUntil(() => fs.existsSync(pidFile), 10_000, "the remote shell to start").then(() => ac.abort());
    const err = await failure(run(["sh", "-c", `echo $$ > ${pidFile}; sleep 300`], { signal: ac.signal }));
    assert.match(err.message, /aborted \(remote command killed\)/);
    const pid = Number(fs.readFileSync(pidFile, "utf8"));
    await waitUntil(() => !processAlive(pid), 3_000, `the remote shell ${pid} to be killed`);
  });

  it("reuses one SSH connection for many commands, also when they run concurrently", async () => {
    const before = countMatches(server.log(), new RegExp(`Accepted publickey for ${admin.name} `, "g"));
    const results = await Promise.all(Array.from({ length: 24 }, (_, i) => run(["sh", "-c", `sleep 0.2; echo ${i}`])));
    assert.deepStrictEqual(
      results.map((r) => r.stdout),
      Array.from({ length: 24 }, (_, i) => `${i}\n`),
    );
    await run(["true"]);
    assert.strictEqual(countMatches(server.log(), new RegExp(`Accepted publickey for ${admin.name} `, "g")) - before, 1);
  });

  it("copies a small file over SFTP with the requested mode, leaving no partial file behind", async () => {
    const local = path.join(scratch, "flags.txt");
    fs.writeFileSync(local, "--insecure\n");
    const remote = path.join(scratch, "remote-flags.txt");
    await transport.putFile(local, remote, 0o600);
    assert.strictEqual(fs.readFileSync(remote, "utf8"), "--insecure\n");
    assert.strictEqual(fs.statSync(remote).mode & 0o7777, 0o600);
    assert.deepStrictEqual(
      fs.readdirSync(scratch).filter((f) => f.includes(".part-")),
      [],
    );
  });

  it("streams a 100 MB file over SFTP, byte for byte, keeping the local mode and replacing the old file", async () => {
    const local = path.join(scratch, "big.bin");
    writeRandomFile(local, 100 * 1024 * 1024);
    fs.chmodSync(local, 0o755);
    const remote = path.join(scratch, "big-remote.bin");
    fs.writeFileSync(remote, "old contents");
    const started = Date.now();
    await transport.putFile(local, remote);
    const ms = Date.now() - started;
    console.log(`      100 MB over SFTP in ${ms} ms (${Math.round(100_000 / ms)} MB/s)`);
    assert.strictEqual(sha256(remote), sha256(local));
    assert.strictEqual(fs.statSync(remote).mode & 0o7777, 0o755);
    fs.rmSync(local);
    fs.rmSync(remote);
  });

  it("fails a copy into a missing directory with a TransportError naming both paths", async () => {
    const local = path.join(scratch, "x.txt");
    fs.writeFileSync(local, "x");
    const err = await failure(transport.putFile(local, "/nonexistent-dir/x.txt"));
    assert.ok(isTransportError(err));
    assert.match(err.message, new RegExp(`copy ${local} to /nonexistent-dir/x.txt: `));
  });

  it("fails the command in flight with 'connection lost' when sshd dies, and dials again once it is back", async () => {
    const started = path.join(scratch, "sleeper.started");
    const inflight = failure(run(["sh", "-c", `touch ${started}; exec sleep 300`]));
    await waitUntil(() => fs.existsSync(started), 10_000, "the remote command to start");
    await server.kill();
    const err = await inflight;
    assert.ok(isTransportError(err));
    assert.match(err.message, new RegExp(`^ssh ${admin.name}@127\\.0\\.40\\.1:22: connection lost during sh -c touch`));
    await server.restart();
    const r = await run(["echo", "back"]);
    assert.strictEqual(r.stdout, "back\n");
  });

  it("retries the dial with backoff while sshd is down and connects when it comes back", async () => {
    await server.kill();
    setTimeout(() => void server.restart(), 1_200);
    const patient = new SshTransport(conn({ dialErrorLimit: 6 }));
    try {
      const r = await patient.exec(["echo", "eventually"]);
      assert.strictEqual(r.stdout, "eventually\n");
    } finally {
      await patient.close();
    }
  });

  it("gives up after dialErrorLimit attempts with the last cause", async () => {
    const nobody = new SshTransport(conn({ host: "127.0.40.3", dialErrorLimit: 3 }));
    const started = Date.now();
    const err = await failure(nobody.exec(["true"]));
    const ms = Date.now() - started;
    assert.strictEqual(
      err.message,
      `ssh ${admin.name}@127.0.40.3:22: cannot connect after 3 attempts: connection refused (is sshd running and listening on that address and port?)`,
    );
    // Backoff 0.5 s + 1 s between the three attempts.
    assert.ok(ms >= 1_400 && ms < 5_000, `took ${ms} ms`);
  });

  it("runs commands through transport/index's openTransport for kind ssh", async () => {
    const { openTransport } = require("../../provider/transport/index") as typeof import("../../provider/transport/index");
    const t = await openTransport(conn());
    try {
      assert.strictEqual((await t.exec(["hostname"])).code, 0);
    } finally {
      await t.close();
    }
  });
});

function processAlive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}

async function waitUntil(cond: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function countMatches(text: string, re: RegExp): number {
  return (text.match(re) ?? []).length;
}

function sha256(file: string): string {
  return createHash("sha256").update(fs.readFileSync(file)).digest("hex");
}

function writeRandomFile(file: string, bytes: number): void {
  const fd = fs.openSync(file, "w");
  const chunk = Buffer.alloc(1024 * 1024);
  for (let i = 0; i < bytes / chunk.length; i++) {
    for (let j = 0; j < chunk.length; j += 4) chunk.writeUInt32LE((Math.random() * 0xffffffff) >>> 0, j);
    fs.writeSync(fd, chunk);
  }
  fs.closeSync(fd);
}
