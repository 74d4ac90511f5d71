/**
 * Helpers of the spec tests: real SSH key material (generated, never a
 * secret), inputs with one node changed, and failure assertions.
 */
import * as assert from "assert";
import * as crypto from "crypto";
import { checkInputs } from "../../provider/spec/parse";
import type { CheckFailure, ClusterVersionInputs, NodeInput } from "../../provider/core/types";
import { inputs } from "./pure-fixtures";

export const ED25519_KEY = crypto.generateKeyPairSync("ed25519");
export const PRIVATE_PEM = ED25519_KEY.privateKey.export({ type: "pkcs8", format: "pem" }).toString();
export const OPENSSH_PUB = (() => {
  const raw = ED25519_KEY.publicKey.export({ type: "spki", format: "der" }).subarray(-32);
  const str = (b: Buffer): Buffer => Buffer.concat([Buffer.from([0, 0, 0, b.length]), b]);
  return `ssh-ed25519 ${Buffer.concat([str(Buffer.from("ssh-ed25519")), str(raw)]).toString("base64")} test@host`;
})();

/** Inputs with one node replaced by `patch` applied to node i. */
export function withNode(i: number, patch: Record<string, unknown>, base = inputs()): ClusterVersionInputs {
  return { ...base, nodes: base.nodes.map((n, j) => (j === i ? ({ ...n, ...patch } as NodeInput) : n)) };
}

export function failuresOf(news: unknown, olds: unknown = {}): CheckFailure[] {
  return checkInputs(olds, news).failures;
}

/** Asserts exactly one failure, at `property`, whose reason matches. */
export function failsAt(news: unknown, property: string, reason: RegExp): void {
  const f = failuresOf(news);
  assert.deepStrictEqual(
    f.map((x) => x.property),
    [property],
    `expected one failure at ${property}, got ${JSON.stringify(f, null, 1)}`,
  );
  assert.match(f[0].reason, reason);
}
