/**
 * The local transport's stdin (real child processes): given input is fed and
 * closed; without input the command reads end-of-file at once (stdin is
 * /dev/null, no pipe), so nothing waits on it; extra environment is added to
 * the provider's own; a daemon holding the output pipes does not hold the call.
 */
import * as assert from "assert";
import { LocalTransport } from "../../provider/transport/local";

describe("local transport: stdin and environment", () => {
  const t = new LocalTransport();

  it("feeds stdin and closes it", async () => {
    const r = await t.exec(["sh", "-c", "cat; echo done"], { stdin: "line1\nline2\n", timeoutMs: 10_000 });
    assert.deepStrictEqual([r.code, r.stdout], [0, "line1\nline2\ndone\n"]);
  });

  it("without stdin, a command that reads it sees end-of-file at once", async () => {
    const r = await t.exec(["sh", "-c", "cat; wc -c < /dev/stdin; echo done"], { timeoutMs: 10_000 });
    assert.deepStrictEqual([r.code, r.stdout.replace(/ /g, "")], [0, "0\ndone\n"]);
  });

  it("adds extra environment variables to the provider's own", async () => {
    const r = await t.exec(["sh", "-c", 'echo "$CRDB_TEST_EXTRA:$PATH"'], { env: { CRDB_TEST_EXTRA: "x" }, timeoutMs: 10_000 });
    assert.strictEqual(r.stdout.trim(), `x:${process.env.PATH}`);
  });

  it("returns once the command exits, even while a process it started in the background holds its output open", async () => {
    const r = await t.exec(["sh", "-c", "sleep 60 & echo $!"], { timeoutMs: 30_000 });
    const pid = Number(r.stdout.trim());
    try {
      assert.strictEqual(r.code, 0);
      assert.ok(pid > 0, `the background pid was printed (${r.stdout})`);
    } finally {
      if (pid > 0) process.kill(pid, "SIGKILL");
    }
  });
});
