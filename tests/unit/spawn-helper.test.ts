/**
 * The local transport's spawn helper (provider/transport/spawn-helper.ts),
 * with real processes: commands are children of the helper, not of this
 * process (the fork that blocked the provider's event loop is the helper's);
 * a helper that dies fails what it was running as "outcome unknown" and the next
 * command gets a new one; an idle helper keeps no process alive.
 */
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { LocalTransport } from "../../provider/transport/local";

const LOCAL = path.resolve(__dirname, "../../provider/transport/local.js");

async function parentOfCommand(t: LocalTransport): Promise<number> {
  const r = await t.exec(["sh", "-c", "echo $PPID"]);
  return Number(r.stdout.trim());
}

describe("local transport: spawn helper", function () {
  this.timeout(20_000);
  const t = new LocalTransport();

  it("runs commands as children of a helper process, not of this one", async () => {
    const parent = await parentOfCommand(t);
    assert.ok(parent > 0 && parent !== process.pid, `the command's parent is ${parent}, this process is ${process.pid}`);
    assert.strictEqual(await parentOfCommand(t), parent, "one helper for every command");
  });

  it("commands run in this process's environment of the moment, as if spawned here", async () => {
    await parentOfCommand(t); // the helper exists, forked with the environment as it was
    const had = process.env.SPAWN_HELPER_PROBE;
    try {
      process.env.SPAWN_HELPER_PROBE = "set after the fork";
      assert.strictEqual((await t.exec(["sh", "-c", 'echo "$SPAWN_HELPER_PROBE"'])).stdout.trim(), "set after the fork");
      delete process.env.SPAWN_HELPER_PROBE;
      assert.strictEqual((await t.exec(["sh", "-c", 'echo "${SPAWN_HELPER_PROBE-unset}"'])).stdout.trim(), "unset");
      const r = await t.exec(["sh", "-c", 'echo "$SPAWN_HELPER_PROBE"'], { env: { SPAWN_HELPER_PROBE: "given" } });
      assert.strictEqual(r.stdout.trim(), "given", "a command's own env still wins");
    } finally {
      if (had === undefined) delete process.env.SPAWN_HELPER_PROBE;
      else process.env.SPAWN_HELPER_PROBE = had;
    }
  });

  it("a helper that dies fails the command in flight as of unknown outcome, and the next command gets a new helper", async () => {
    const helper = await parentOfCommand(t);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "spawn-helper-"));
    const pidFile = path.join(dir, "pid");
    try {
      const inFlight = t.exec(["sh", "-c", `echo $$ > ${pidFile}; exec sleep 10`]);
      for (let i = 0; i < 100 && !fs.existsSync(pidFile); i++) await new Promise((r) => setTimeout(r, 50));
      process.kill(helper, "SIGKILL");
      await assert.rejects(inFlight, /local: sh: outcome unknown: the spawn helper process exited while it ran/);
      const next = await parentOfCommand(t);
      assert.notStrictEqual(next, helper);
    } finally {
      // The command outlives its helper (its own process group, as it outlived the provider before): ended here.
      const pid = Number(fs.readFileSync(pidFile, "utf8").trim());
      if (pid > 0) process.kill(pid, "SIGKILL");
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("an idle helper keeps no process alive: a script that ran a command exits by itself", () => {
    const script = `new (require(${JSON.stringify(LOCAL)}).LocalTransport)().exec(["echo", "ran"]).then((r) => console.log(r.stdout.trim()))`;
    const r = spawnSync(process.execPath, ["-e", script], { timeout: 10_000 });
    assert.strictEqual(r.signal, null, "not killed by the timeout");
    assert.deepStrictEqual([r.status, r.stdout.toString().trim()], [0, "ran"]);
  });
});
