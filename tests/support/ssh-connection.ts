/**
 * Normalised SSH `Connection`s for tests that call the transport directly
 * (scenario tests go through the provider's spec instead), and a check that
 * no secret leaked into captured text.
 */
import * as assert from "assert";
import type { Connection } from "../../provider/core/types";
import type { SshdServer } from "./sshd";

export function sshConnection(server: Pick<SshdServer, "host" | "port" | "hostKey">, extra: Partial<Connection> = {}): Connection {
  return {
    kind: "ssh",
    host: server.host,
    port: server.port,
    user: "root",
    hostKey: server.hostKey,
    dialErrorLimit: 3,
    perDialTimeoutMs: 5_000,
    ...extra,
  };
}

/**
 * Asserts that none of the secrets, nor any long slice of them (a key's
 * base64 body split across lines), appears in the texts.
 */
export function assertNoSecrets(texts: readonly string[], secrets: readonly (string | undefined)[]): void {
  const haystack = texts.join("\n");
  for (const secret of secrets) {
    if (!secret) continue;
    assert.ok(!haystack.includes(secret), "a secret appears verbatim in captured output");
    for (const line of secret.split("\n")) {
      const body = line.trim();
      if (body.length >= 16 && !body.startsWith("-----")) {
        assert.ok(!haystack.includes(body), "a line of a private key appears in captured output");
      }
    }
  }
}
