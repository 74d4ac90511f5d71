/**
 * The command line the SSH transport sends, checked by handing it to a real
 * POSIX shell (/bin/sh, what sshd runs it with on most hosts): arguments and
 * environment values arrive byte for byte, and the process-group marker line
 * comes first.
 */
import * as assert from "assert";
import { spawnSync } from "child_process";
import { buildRemoteCommand } from "../../provider/transport/ssh-exec";

const NASTY = [
  "plain",
  "with space",
  "it's",
  '"double"',
  "$HOME",
  "`id`",
  "$(id)",
  "*",
  "a\nb",
  "",
  "-n",
  "--x=1;rm -rf /",
  "\\",
  "tab\there",
  "ünïcödé",
  "!bang",
];

function runInSh(line: string): { marker: string; rest: string } {
  const r = spawnSync("/bin/sh", ["-c", line], { encoding: "utf8" });
  assert.strictEqual(r.status, 0, r.stderr);
  const nl = r.stdout.indexOf("\n");
  return { marker: r.stdout.slice(0, nl), rest: r.stdout.slice(nl + 1) };
}

describe("provider/transport/ssh-exec command line", () => {
  it("delivers every argument verbatim through a real shell", () => {
    const { rest } = runInSh(buildRemoteCommand(["printf", "<%s>\\n", ...NASTY]));
    assert.strictEqual(rest, NASTY.map((a) => `<${a}>\n`).join(""));
  });

  it("sets environment variables with values verbatim, through env", () => {
    const env = { A: "it's $HOME", B: "x\ny", C: "" };
    const { rest } = runInSh(buildRemoteCommand(["sh", "-c", 'printf "%s|%s|%s" "$A" "$B" "$C"'], env));
    assert.strictEqual(rest, "it's $HOME|x\ny|");
  });

  it("prints the shell's process-group marker before the command runs", () => {
    const { marker } = runInSh(buildRemoteCommand(["true"]));
    assert.match(marker, /^crdb-upgrade-pgid:\d+$/);
  });

  it("refuses environment variable names a shell could misread", () => {
    assert.throws(() => buildRemoteCommand(["true"], { "A;rm": "x" }), /invalid environment variable name "A;rm"/);
    assert.throws(() => buildRemoteCommand(["true"], { "1A": "x" }), /invalid environment variable name/);
  });
});
