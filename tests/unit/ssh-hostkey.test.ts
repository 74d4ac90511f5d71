/**
 * Host-key pins: every accepted form, the refusals and their wording, the
 * fingerprint OpenSSH prints, and which host-key algorithms get offered.
 * Fixture keys and fingerprints were made with `ssh-keygen -t ed25519|ecdsa`
 * and `ssh-keygen -l -E sha256`.
 */
import * as assert from "assert";
import {
  algorithmsExcluding,
  fingerprintOf,
  hostKeyAlgorithmsFor,
  hostKeyProblem,
  keyTypeOf,
  parseHostKeyPin,
  verifyHostKey,
  type HostKeyPin,
} from "../../provider/spec/host-key";

const ED25519 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIK8+9PvUCP+IWnbnM8onJfRE8q3575gOrjdQYGWqNrEy root@db1";
const ED25519_FP = "SHA256:LZ4LHn4hVHtbu8siVD8xTQzRN0YlT4TkR5TW5leqVis";
const ECDSA =
  "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBEwoYjw2ZzQFjQ2xvH6cwQCMBAL9O4WwXgmstl0BEPvYcPnODOe93R18A6SifCwkPOelna/pIOi5xklymfclf1g=";
const ECDSA_FP = "SHA256:NHTCt8Zjjnsm8M2a5Bjx/nrocsAl/oE61UjutiLlEgE";

const blobOf = (line: string): Buffer => Buffer.from(line.split(" ")[1], "base64");

describe("provider/spec/host-key", () => {
  it("computes the SHA256 fingerprint exactly as ssh-keygen -l prints it", () => {
    assert.strictEqual(fingerprintOf(blobOf(ED25519)), ED25519_FP);
    assert.strictEqual(fingerprintOf(blobOf(ECDSA)), ECDSA_FP);
  });

  it("reads the key type embedded in a key blob", () => {
    assert.strictEqual(keyTypeOf(blobOf(ED25519)), "ssh-ed25519");
    assert.strictEqual(keyTypeOf(blobOf(ECDSA)), "ecdsa-sha2-nistp256");
    assert.strictEqual(keyTypeOf(Buffer.from([0, 0])), "unknown");
    assert.strictEqual(keyTypeOf(Buffer.from([0xff, 0xff, 0xff, 0xff, 1])), "unknown");
  });

  describe("accepted forms", () => {
    const cases: [string, string, (pin: HostKeyPin) => void][] = [
      ["an authorized_keys line with a comment", ED25519, (p) => assert.deepStrictEqual(fingerprints(p), [ED25519_FP])],
      [
        "an authorized_keys line without a comment",
        ED25519.split(" ").slice(0, 2).join(" "),
        (p) => assert.deepStrictEqual(fingerprints(p), [ED25519_FP]),
      ],
      ["a known_hosts line with host patterns", `db1,10.0.0.1 ${ED25519}`, (p) => assert.deepStrictEqual(fingerprints(p), [ED25519_FP])],
      [
        "ssh-keyscan output with several keys and comments",
        `# 10.0.0.1:22 SSH-2.0-OpenSSH_9.2\n10.0.0.1 ${ECDSA}\n\n10.0.0.1 ${ED25519}\n`,
        (p) => assert.deepStrictEqual(fingerprints(p), [ECDSA_FP, ED25519_FP]),
      ],
      ["a SHA256 fingerprint", ED25519_FP, (p) => assert.deepStrictEqual(p, { kind: "fingerprints", fingerprints: [ED25519_FP] })],
      [
        "a SHA256 fingerprint with base64 padding",
        ED25519_FP + "=",
        (p) => assert.deepStrictEqual(p, { kind: "fingerprints", fingerprints: [ED25519_FP] }),
      ],
      ["the explicit opt-out", "insecure-accept-any", (p) => assert.deepStrictEqual(p, { kind: "insecure-accept-any" })],
      ["surrounding whitespace", `  ${ED25519}  \n`, (p) => assert.deepStrictEqual(fingerprints(p), [ED25519_FP])],
    ];
    for (const [what, text, check] of cases) {
      it(`accepts ${what}`, () => {
        check(parseHostKeyPin(text));
        assert.strictEqual(hostKeyProblem(text), undefined);
      });
    }
  });

  describe("refusals say what is wrong and which forms are accepted", () => {
    const cases: [string, string, RegExp][] = [
      ["an empty value", "  ", /^empty host key; expected an authorized_keys line/],
      ["an unknown key type", "ssh-foo AAAA", /^unsupported or missing key type in "ssh-foo AAAA": supported types are ssh-ed25519, /],
      ["a key type without data", "ssh-ed25519", /^missing or malformed base64 key data after ssh-ed25519/],
      [
        "data of another key type",
        `ssh-ed25519 ${ECDSA.split(" ")[1]}`,
        /^key data after ssh-ed25519 is not a ssh-ed25519 key \(it encodes "ecdsa-sha2-nistp256"\)$/,
      ],
      ["a truncated fingerprint", "SHA256:abc", /^malformed fingerprint "SHA256:abc": a SHA256 fingerprint has 43 base64 characters/],
      ["an MD5 fingerprint", "MD5:16:27:ac:a5:76:28:2d:36:63:1b:56:4d:eb:df:a6:48", /^unsupported or missing key type/],
      ["a @revoked known_hosts entry", `@revoked * ${ED25519}`, /is a @revoked entry, not a key to trust$/],
      ["a misspelt opt-out", "insecure-accept-all", /^unsupported or missing key type/],
    ];
    for (const [what, text, re] of cases) {
      it(`refuses ${what}`, () => {
        assert.throws(
          () => parseHostKeyPin(text),
          (e: Error) => re.test(e.message),
        );
        assert.match(hostKeyProblem(text) ?? "", re);
      });
    }

    it("quotes at most 60 characters of a long bad line", () => {
      const problem = hostKeyProblem("x".repeat(500)) ?? "";
      assert.ok(problem.includes("x".repeat(57) + "..."));
      assert.ok(!problem.includes("x".repeat(61)));
    });
  });

  describe("verification", () => {
    it("matches a pinned key byte for byte and names the presented key", () => {
      const pin = parseHostKeyPin(ED25519);
      assert.deepStrictEqual(verifyHostKey(pin, blobOf(ED25519)), {
        ok: true,
        presentedType: "ssh-ed25519",
        presentedFingerprint: ED25519_FP,
      });
      assert.deepStrictEqual(verifyHostKey(pin, blobOf(ECDSA)), {
        ok: false,
        presentedType: "ecdsa-sha2-nistp256",
        presentedFingerprint: ECDSA_FP,
      });
    });

    it("matches any of several pinned keys or fingerprints", () => {
      assert.ok(verifyHostKey(parseHostKeyPin(`${ED25519}\n${ECDSA}`), blobOf(ECDSA)).ok);
      assert.ok(verifyHostKey(parseHostKeyPin(`${ED25519_FP}\n${ECDSA_FP}`), blobOf(ECDSA)).ok);
      assert.ok(!verifyHostKey(parseHostKeyPin(ED25519_FP), blobOf(ECDSA)).ok);
    });

    it("accepts anything only under the explicit opt-out", () => {
      assert.ok(verifyHostKey(parseHostKeyPin("insecure-accept-any"), blobOf(ECDSA)).ok);
    });
  });

  describe("host-key algorithms offered", () => {
    it("offers only the pinned key types, so the server presents a key that can match", () => {
      assert.deepStrictEqual(hostKeyAlgorithmsFor(parseHostKeyPin(ECDSA)), ["ecdsa-sha2-nistp256"]);
      assert.deepStrictEqual(hostKeyAlgorithmsFor(parseHostKeyPin(`${ED25519}\n${ECDSA}`)), ["ssh-ed25519", "ecdsa-sha2-nistp256"]);
    });

    it("offers the RSA signature algorithms for an ssh-rsa key", () => {
      const rsa = { kind: "keys" as const, keys: [{ type: "ssh-rsa", blob: Buffer.alloc(0), fingerprint: "" }] };
      assert.deepStrictEqual(hostKeyAlgorithmsFor(rsa), ["rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"]);
    });

    it("for a fingerprint, asks for the server's remaining key types once some did not match", () => {
      assert.deepStrictEqual(algorithmsExcluding(["ssh-ed25519"]), [
        "ecdsa-sha2-nistp256",
        "ecdsa-sha2-nistp384",
        "ecdsa-sha2-nistp521",
        "rsa-sha2-512",
        "rsa-sha2-256",
        "ssh-rsa",
      ]);
      assert.deepStrictEqual(algorithmsExcluding(["ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521"]), [
        "rsa-sha2-512",
        "rsa-sha2-256",
        "ssh-rsa",
      ]);
      assert.strictEqual(
        algorithmsExcluding(["ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521", "ssh-rsa"]),
        undefined,
      );
    });

    it("leaves ssh2's defaults for fingerprints and the opt-out", () => {
      assert.strictEqual(hostKeyAlgorithmsFor(parseHostKeyPin(ED25519_FP)), undefined);
      assert.strictEqual(hostKeyAlgorithmsFor(parseHostKeyPin("insecure-accept-any")), undefined);
    });
  });
});

function fingerprints(pin: HostKeyPin): string[] {
  assert.strictEqual(pin.kind, "keys");
  return pin.kind === "keys" ? pin.keys.map((k) => k.fingerprint) : [];
}
