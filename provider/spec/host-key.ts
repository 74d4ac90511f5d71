/**
 * Host-key pinning for SSH connections: what a `hostKey` input may say, and
 * whether the key a server presents matches it. Pure: no ssh2, no I/O, so
 * spec validation can use it too (`hostKeyProblem`).
 *
 * Accepted forms of `connection.hostKey`:
 *
 * | form                                   | example                                        |
 * | -------------------------------------- | ---------------------------------------------- |
 * | authorized_keys line (comment optional) | `ssh-ed25519 AAAAC3Nza... root@db1`            |
 * | known_hosts / ssh-keyscan line          | `10.0.0.1 ssh-ed25519 AAAAC3Nza...`            |
 * | SHA256 fingerprint (`ssh-keygen -lf`)   | `SHA256:Vq2b3M7y...`                           |
 * | several of the above, one per line      | the whole output of `ssh-keyscan host`         |
 * | the explicit, dangerous opt-out         | `insecure-accept-any`                          |
 *
 * Unlike @pulumi/command (which ignores host keys when `hostKey` is absent),
 * a missing `hostKey` is refused at connect time: the provider stops and
 * replaces database binaries, so talking to an impostor is not an option a
 * user should get by omission. `insecure-accept-any` exists for throwaway
 * test hosts only: with it, any server that answers on the address is
 * trusted, including one in the middle.
 */
import { createHash } from "crypto";

/** The explicit opt-out. Dangerous: any server answering on the address is trusted. */
export const INSECURE_ACCEPT_ANY_HOST_KEY = "insecure-accept-any";

export interface PinnedKey {
  /** Key type as written, e.g. "ssh-ed25519". */
  readonly type: string;
  /** The public key blob (base64-decoded second field). */
  readonly blob: Buffer;
  readonly fingerprint: string;
}

export type HostKeyPin =
  | { readonly kind: "keys"; readonly keys: readonly PinnedKey[] }
  | { readonly kind: "fingerprints"; readonly fingerprints: readonly string[] }
  | { readonly kind: "insecure-accept-any" };

/** The outcome of comparing a presented key with the pin; `presented*` is for error messages. */
export interface HostKeyVerdict {
  readonly ok: boolean;
  readonly presentedType: string;
  readonly presentedFingerprint: string;
}

const KEY_TYPES: readonly string[] = [
  "ssh-ed25519",
  "ecdsa-sha2-nistp256",
  "ecdsa-sha2-nistp384",
  "ecdsa-sha2-nistp521",
  "ssh-rsa",
  "ssh-dss",
];

/** Server host-key algorithms ssh2 must offer to get a key of each type; RSA keys sign with several. */
const ALGORITHMS_BY_KEY_TYPE: Readonly<Record<string, readonly string[]>> = {
  "ssh-rsa": ["rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"],
};

/** OpenSSH's fingerprint: "SHA256:" + unpadded base64 of the SHA-256 of the key blob. */
export function fingerprintOf(blob: Buffer): string {
  return "SHA256:" + createHash("sha256").update(blob).digest("base64").replace(/=+$/, "");
}

/** The key type embedded at the start of an SSH public key blob (uint32 length + name). */
export function keyTypeOf(blob: Buffer): string {
  if (blob.length < 4) return "unknown";
  const len = blob.readUInt32BE(0);
  if (len <= 0 || len > 64 || 4 + len > blob.length) return "unknown";
  return blob.subarray(4, 4 + len).toString("latin1");
}

/**
 * Parses a `hostKey` input. Throws an Error whose message says what is wrong
 * and which forms are accepted (host keys are public: quoting them is safe).
 */
export function parseHostKeyPin(text: string): HostKeyPin {
  const trimmed = text.trim();
  if (trimmed === INSECURE_ACCEPT_ANY_HOST_KEY) return { kind: "insecure-accept-any" };
  const lines = trimmed
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("#"));
  if (lines.length === 0) throw new Error(`empty host key; ${FORMS}`);
  if (lines.every((l) => l.startsWith("SHA256:"))) {
    return { kind: "fingerprints", fingerprints: lines.map(parseFingerprint) };
  }
  return { kind: "keys", keys: lines.map(parseKeyLine) };
}

/** For input validation: undefined when `text` is a usable hostKey, else the reason. */
export function hostKeyProblem(text: string): string | undefined {
  try {
    parseHostKeyPin(text);
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

/** Compares the key a server presented (raw blob) with the pin. */
export function verifyHostKey(pin: HostKeyPin, presented: Buffer): HostKeyVerdict {
  const presentedType = keyTypeOf(presented);
  const presentedFingerprint = fingerprintOf(presented);
  const verdict = (ok: boolean): HostKeyVerdict => ({ ok, presentedType, presentedFingerprint });
  switch (pin.kind) {
    case "insecure-accept-any":
      return verdict(true);
    case "fingerprints":
      return verdict(pin.fingerprints.includes(presentedFingerprint));
    case "keys":
      return verdict(pin.keys.some((k) => k.blob.equals(presented)));
  }
}

/**
 * The server host-key algorithms to offer, so the server presents a key of a
 * pinned type (a server usually has ed25519, ecdsa and rsa keys, and would
 * otherwise present whichever the client prefers). undefined = ssh2's default.
 */
export function hostKeyAlgorithmsFor(pin: HostKeyPin): string[] | undefined {
  if (pin.kind !== "keys") return undefined;
  const algorithms: string[] = [];
  for (const key of pin.keys) {
    for (const alg of ALGORITHMS_BY_KEY_TYPE[key.type] ?? [key.type]) {
      if (!algorithms.includes(alg)) algorithms.push(alg);
    }
  }
  return algorithms;
}

/** Key types in ssh2's order of preference (what a server presents first when it has several). */
const KEY_TYPES_BY_PREFERENCE: readonly string[] = [
  "ssh-ed25519",
  "ecdsa-sha2-nistp256",
  "ecdsa-sha2-nistp384",
  "ecdsa-sha2-nistp521",
  "ssh-rsa",
];

/**
 * For fingerprint pins: the host-key algorithms to offer once the server's
 * keys of `seen` types did not match, so it presents its next key; undefined
 * when no type is left. (A fingerprint does not say which of the host's keys
 * it belongs to.)
 */
export function algorithmsExcluding(seen: readonly string[]): string[] | undefined {
  const rest = KEY_TYPES_BY_PREFERENCE.filter((t) => !seen.includes(t)).flatMap((t) => ALGORITHMS_BY_KEY_TYPE[t] ?? [t]);
  return rest.length > 0 ? rest : undefined;
}

const FORMS =
  'expected an authorized_keys line ("ssh-ed25519 AAAA..."), a known_hosts/ssh-keyscan line, ' +
  `a fingerprint ("SHA256:..." from ssh-keygen -lf), or "${INSECURE_ACCEPT_ANY_HOST_KEY}" (dangerous: trusts any server)`;

function parseFingerprint(line: string): string {
  const b64 = line.slice("SHA256:".length).replace(/=+$/, "");
  // A SHA-256 digest is 32 bytes: 43 base64 characters without padding.
  if (!/^[A-Za-z0-9+/]{43}$/.test(b64))
    throw new Error(`malformed fingerprint "${line}": a SHA256 fingerprint has 43 base64 characters; ${FORMS}`);
  return "SHA256:" + b64;
}

function parseKeyLine(line: string): PinnedKey {
  const fields = line.split(/\s+/);
  // known_hosts lines start with host patterns (and maybe a @marker); the key type comes next.
  const at = fields.findIndex((f) => KEY_TYPES.includes(f));
  if (at < 0) {
    throw new Error(`unsupported or missing key type in "${abbreviate(line)}": supported types are ${KEY_TYPES.join(", ")}; ${FORMS}`);
  }
  if (fields[0] === "@revoked") throw new Error(`"${abbreviate(line)}" is a @revoked entry, not a key to trust`);
  const type = fields[at];
  const data = fields[at + 1] ?? "";
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(data)) throw new Error(`missing or malformed base64 key data after ${type} in "${abbreviate(line)}"`);
  const blob = Buffer.from(data, "base64");
  const embedded = keyTypeOf(blob);
  if (embedded !== type) throw new Error(`key data after ${type} is not a ${type} key (it encodes "${embedded}")`);
  return { type, blob, fingerprint: fingerprintOf(blob) };
}

function abbreviate(line: string): string {
  return line.length > 60 ? line.slice(0, 57) + "..." : line;
}
