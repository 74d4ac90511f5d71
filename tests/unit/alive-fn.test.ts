/**
 * The shell's `alive` (provider/node/shell.ts), run by real shells against
 * real processes: a running process is alive, an exited and reaped one is
 * not, and a zombie (exited, its parent never reaps it) is not either — the
 * case `kill -0` alone gets wrong. Also through pidScript, as the stop and
 * the status read it. Each shell the host may have as `sh` (dash, bash).
 */
import * as assert from "assert";
import { spawn, spawnSync, type ChildProcess } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ALIVE_FN } from "../../provider/node/shell";
import { pidScript } from "../../provider/node/process-manager";

const SHELLS = ["/bin/sh", "/usr/bin/dash", "/bin/bash"].filter((s) => fs.existsSync(s));

function aliveIn(shell: string, pid: number): number | null {
  return spawnSync(shell, ["-c", `${ALIVE_FN}; alive ${pid}`]).status;
}

function procState(pid: number): string | undefined {
  try {
    return fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ").pop()?.[0];
  } catch {
    return undefined;
  }
}

describe("alive (shell function)", function () {
  this.timeout(20_000);
  let holder: ChildProcess | undefined;
  let zombie = 0;
  let running: ChildProcess | undefined;
  let dir = "";

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "alive-fn-"));
    running = spawn("sleep", ["30"], { stdio: "ignore" });
    // The background `sleep 0` is the child of the `sleep 30` that the shell execs into, which never reaps it.
    holder = spawn("sh", ["-c", "sleep 0 & echo $!; exec sleep 30"], { stdio: ["ignore", "pipe", "ignore"] });
    zombie = await new Promise<number>((resolve) => holder?.stdout?.once("data", (b: Buffer) => resolve(Number(String(b).trim()))));
    for (let i = 0; i < 100 && procState(zombie) !== "Z"; i++) await new Promise((r) => setTimeout(r, 50));
    assert.strictEqual(procState(zombie), "Z", "the test's zombie exists");
  });

  after(() => {
    running?.kill("SIGKILL");
    holder?.kill("SIGKILL");
    fs.rmSync(dir, { recursive: true, force: true });
  });

  for (const shell of SHELLS) {
    it(`${shell}: a running process is alive`, () => {
      assert.strictEqual(aliveIn(shell, running?.pid as number), 0);
    });

    it(`${shell}: a zombie is not alive`, () => {
      assert.strictEqual(aliveIn(shell, zombie), 1);
    });

    it(`${shell}: a pid no process has is not alive`, () => {
      const gone = spawnSync("sh", ["-c", "echo $$"]).stdout.toString().trim();
      assert.strictEqual(aliveIn(shell, Number(gone)), 1);
    });

    it(`${shell}: pidScript prints a live pid, exits 4 for a zombie's`, () => {
      const f = path.join(dir, "cockroach.pid");
      fs.writeFileSync(f, `${running?.pid}\n`);
      const live = spawnSync(shell, ["-c", pidScript(f)]);
      assert.deepStrictEqual([live.status, live.stdout.toString().trim()], [0, String(running?.pid)]);
      fs.writeFileSync(f, `${zombie}\n`);
      assert.strictEqual(spawnSync(shell, ["-c", pidScript(f)]).status, 4);
    });
  }
});
