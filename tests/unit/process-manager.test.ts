/**
 * The one process-manager module (provider/node/process-manager.ts): every
 * word `systemctl is-active` can print maps to the process state systemd
 * documents for it (man/unit-states.xml), and the probe's shell (statusShell,
 * run here by a real `sh` against a stand-in `systemctl` on PATH) reads every
 * word exactly as NodeOps.processState does (stateFromStatus) — the
 * observation and the operations can no longer disagree. Also: the start,
 * stop and status commands of each manager.
 */
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import {
  IS_ACTIVE_STATES,
  processStateFromIsActive,
  startArgv,
  stateFromStatus,
  statusArgv,
  statusShell,
  stopArgv,
} from "../../provider/node/process-manager";
import type { NodeProcessState, ProcessSpec } from "../../provider/core/types";

const systemd: ProcessSpec = { manager: "systemd", unit: "cockroach.service", useSudo: false };

/** Runs statusShell in a real sh with `systemctl` answering `word`; the state it printed. */
function shellState(dir: string, pm: ProcessSpec, word: string): string {
  fs.writeFileSync(path.join(dir, "systemctl"), `#!/bin/sh\n[ -n "${word}" ] && echo "${word}"\nexit 3\n`, { mode: 0o755 });
  const r = spawnSync("sh", ["-c", statusShell(pm)], { env: { ...process.env, PATH: `${dir}:${process.env.PATH}` }, encoding: "utf8" });
  return /process=(\S+)/.exec(r.stdout)?.[1] ?? `(nothing: ${r.stderr})`;
}

describe("provider/node/process-manager", () => {
  let dir: string;
  before(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "process-manager-"))));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  // Every ACTIVE state systemd documents, and what the provider must make of it.
  const documented: [string, NodeProcessState][] = [
    ["active", "running"],
    ["reloading", "running"],
    ["refreshing", "running"],
    ["activating", "running"],
    ["deactivating", "draining"],
    ["inactive", "stopped"],
    ["failed", "stopped"],
    ["maintenance", "stopped"],
  ];
  // Not an ACTIVE state: an empty answer (sudo refused), a sub-state, an error text, a word from a newer systemd.
  const undocumented = ["", "dead", "unknown", "sudo: a password is required", "frobnicating"];

  it("knows every documented is-active word, and no other", () => {
    assert.deepStrictEqual(Object.keys(IS_ACTIVE_STATES).sort(), documented.map(([w]) => w).sort());
  });

  for (const [word, state] of documented) {
    it(`reads is-active "${word}" as ${state}, in TypeScript and in the probe's shell alike`, () => {
      assert.strictEqual(processStateFromIsActive(`${word}\n`), state);
      assert.strictEqual(stateFromStatus(systemd, { code: word === "active" ? 0 : 3, stdout: `${word}\n` }), state);
      assert.strictEqual(shellState(dir, systemd, word), state);
    });
  }

  for (const word of undocumented) {
    it(`reads is-active ${JSON.stringify(word)} as unknown, never stopped`, () => {
      assert.strictEqual(processStateFromIsActive(word), "unknown");
      assert.strictEqual(shellState(dir, systemd, word), "unknown");
    });
  }

  it("reads the user's status command by its exit code, in both places", () => {
    for (const [status, state] of [
      ["true", "running"],
      ["false", "stopped"],
    ] as const) {
      const pm: ProcessSpec = { manager: "commands", start: "s", stop: "t", status };
      const r = spawnSync(statusArgv(pm)[0], statusArgv(pm).slice(1));
      assert.strictEqual(stateFromStatus(pm, { code: r.status, stdout: "" }), state);
      assert.strictEqual(shellState(dir, pm, ""), state);
    }
  });

  it("reads a cockroach pid file the same way in both places: live pid running, dead or missing pid stopped", () => {
    const pidFile = path.join(dir, "cockroach.pid");
    const pm: ProcessSpec = { manager: "cockroach", startFlags: [], pidFile };
    const ask = (): NodeProcessState => {
      const r = spawnSync(statusArgv(pm)[0], statusArgv(pm).slice(1), { encoding: "utf8" });
      return stateFromStatus(pm, { code: r.status, stdout: r.stdout });
    };
    assert.strictEqual(ask(), "stopped");
    assert.strictEqual(shellState(dir, pm, ""), "stopped");
    fs.writeFileSync(pidFile, `${process.pid}\n`);
    assert.strictEqual(ask(), "running");
    assert.strictEqual(shellState(dir, pm, ""), "running");
    fs.writeFileSync(pidFile, "999999999\n");
    assert.strictEqual(ask(), "stopped");
    assert.strictEqual(shellState(dir, pm, ""), "stopped");
  });

  it("maps each manager to its start, stop and status commands", () => {
    const node = { binaryPath: "/opt/cockroach", stagingDir: "/opt/.crdb-upgrade" };
    const sudo: ProcessSpec = { manager: "systemd", unit: "cockroach@n1.service", useSudo: true };
    assert.deepStrictEqual(startArgv({ ...node, process: sudo }), ["sudo", "-n", "systemctl", "start", "cockroach@n1.service"]);
    assert.deepStrictEqual(stopArgv(sudo), ["sudo", "-n", "systemctl", "stop", "cockroach@n1.service"]);
    assert.deepStrictEqual(statusArgv(sudo), ["sudo", "-n", "systemctl", "is-active", "cockroach@n1.service"]);
    const cmds: ProcessSpec = { manager: "commands", start: "svc up", stop: "svc down", status: "svc ok" };
    assert.deepStrictEqual(
      [startArgv({ ...node, process: cmds }), stopArgv(cmds), statusArgv(cmds)],
      [
        ["sh", "-c", "svc up"],
        ["sh", "-c", "svc down"],
        ["sh", "-c", "svc ok"],
      ],
    );
    const crdb: ProcessSpec = { manager: "cockroach", startFlags: ["--insecure"], pidFile: "/opt/c.pid" };
    const start = startArgv({ ...node, process: crdb });
    assert.strictEqual(start[0], "sh");
    assert.match(
      start[2],
      /\/opt\/cockroach start --background --pid-file \/opt\/c\.pid --insecure >\/opt\/\.crdb-upgrade\/start\.out 2>&1 <\/dev\/null/,
    );
    assert.strictEqual(stopArgv(crdb), undefined, "stopped by signals to its pid, not by a command");
  });
});
