/**
 * Which SSH failures are retried, how they are worded, what a command is
 * called in errors, and the dial backoff schedule.
 */
import * as assert from "assert";
import { classifyDialError, commandName, describeDialError, dialBackoffMs, maxDialAttempts } from "../../provider/transport/ssh-errors";

describe("provider/transport/ssh-errors", () => {
  const table: [string, { message: string; level?: string; code?: string }, boolean, string][] = [
    ["connection refused", { message: "connect ECONNREFUSED", level: "client-socket", code: "ECONNREFUSED" }, false, "transient"],
    ["connection reset", { message: "read ECONNRESET", level: "client-socket", code: "ECONNRESET" }, false, "transient"],
    ["host unreachable", { message: "connect EHOSTUNREACH", level: "client-socket", code: "EHOSTUNREACH" }, false, "transient"],
    ["a handshake timeout", { message: "Timed out while waiting for handshake", level: "client-timeout" }, false, "transient"],
    ["a name that does not resolve yet", { message: "getaddrinfo EAI_AGAIN", level: "client-dns", code: "EAI_AGAIN" }, false, "transient"],
    ["a server closing during the handshake", { message: "Connection lost before handshake", level: "protocol" }, false, "transient"],
    ["refused logins", { message: "All configured authentication methods failed", level: "client-authentication" }, false, "auth"],
    ["our host-key refusal", { message: "Host denied (verification failed)", level: "handshake" }, true, "host-key"],
    ["no common algorithm", { message: "Handshake failed: no matching host key format", level: "handshake" }, false, "fatal"],
    ["an unexpected socket error", { message: "EACCES", level: "client-socket", code: "EACCES" }, false, "fatal"],
  ];
  for (const [what, err, refused, kind] of table) {
    it(`treats ${what} as ${kind}`, () => {
      assert.strictEqual(classifyDialError(err, refused), kind);
    });
  }

  it("words dial failures for people, naming perDialTimeout when it expired", () => {
    assert.strictEqual(
      describeDialError({ message: "x", level: "client-timeout" }, 15_000),
      "no SSH handshake within 15s (perDialTimeout)",
    );
    assert.strictEqual(
      describeDialError({ message: "x", code: "ECONNREFUSED" }, 1),
      "connection refused (is sshd running and listening on that address and port?)",
    );
    assert.strictEqual(describeDialError({ message: "getaddrinfo ENOTFOUND db9", code: "ENOTFOUND" }, 1), "host name does not resolve");
    assert.strictEqual(describeDialError({ message: "something else" }, 1), "something else");
  });

  it("names a command by its program, or a shell script by its first word, never by its arguments", () => {
    assert.strictEqual(commandName(["/usr/local/bin/cockroach", "node", "drain", "--self"]), "cockroach");
    assert.strictEqual(commandName(["sh", "-c", "/opt/x/cockroach start --background; echo ok"]), "sh -c cockroach");
    assert.strictEqual(commandName(["sh", "-c", "  kill -TERM 123"]), "sh -c kill");
    assert.strictEqual(commandName(["systemctl", "stop", "secret-unit"]), "systemctl");
    assert.strictEqual(commandName([]), "command");
  });

  it("backs off exponentially from 0.5 s, capped at 8 s", () => {
    assert.deepStrictEqual([1, 2, 3, 4, 5, 6, 10].map(dialBackoffMs), [500, 1000, 2000, 4000, 8000, 8000, 8000]);
  });

  it("reads dialErrorLimit as @pulumi/command does: negative is unlimited, 0 is one attempt", () => {
    assert.strictEqual(maxDialAttempts(10), 10);
    assert.strictEqual(maxDialAttempts(0), 1);
    assert.strictEqual(maxDialAttempts(-1), Number.POSITIVE_INFINITY);
  });
});
