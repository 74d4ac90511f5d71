/**
 * `nodes[].connection`: "local", or an SSH connection object with the field
 * names of @pulumi/command's ConnectionArgs (secrets read as secrets).
 */
import { hostKeyProblem } from "./host-key";
import type { Connection } from "../core/types";
import { Reader, join, pemLabel, readAbsPath, readDuration, readInt, readObject, readRequiredString, readString, shown } from "./read";

const CONNECTION_KEYS = [
  "host",
  "port",
  "user",
  "password",
  "privateKey",
  "privateKeyPassword",
  "agentSocketPath",
  "dialErrorLimit",
  "perDialTimeout",
  "hostKey",
] as const;

/** Defaults of @pulumi/command's ConnectionArgs, which `connection` mirrors. */
const SSH_DEFAULTS = { port: 22, user: "root", dialErrorLimit: 10, perDialTimeoutMs: 15_000 } as const;

export function readConnection(r: Reader, p: string, v: unknown): Connection | undefined {
  const local: Connection = { kind: "local", host: "localhost", ...SSH_DEFAULTS };
  if (v === undefined || v === "local") return local;
  if (r.isUnknown(p, v)) return undefined;
  if (typeof v === "string") return r.fail(p, `must be "local" or an SSH connection object with at least "host" (got ${shown(v)})`);
  const raw = readObject(r, p, v, CONNECTION_KEYS);
  if (raw === undefined) return undefined;
  const host = readRequiredString(r, join(p, "host"), raw.host, {
    pattern: { re: /^[^\s]+$/, expected: "a host name or address without spaces" },
  });
  const port = readInt(r, join(p, "port"), raw.port, 1, 65535);
  const user = readString(r, join(p, "user"), raw.user);
  const password = readString(r, join(p, "password"), raw.password, { secret: true });
  const privateKey = readPrivateKey(r, join(p, "privateKey"), raw.privateKey);
  const privateKeyPassword = readString(r, join(p, "privateKeyPassword"), raw.privateKeyPassword, { secret: true });
  const agentSocketPath = readAbsPath(r, join(p, "agentSocketPath"), raw.agentSocketPath);
  const dialErrorLimit = readInt(r, join(p, "dialErrorLimit"), raw.dialErrorLimit, 1, 1000);
  const perDialTimeoutMs = readDuration(r, join(p, "perDialTimeout"), raw.perDialTimeout, true);
  const hostKey = readHostKey(r, join(p, "hostKey"), raw.hostKey);
  if (host === undefined) return undefined;
  return {
    kind: "ssh",
    host,
    port: port ?? SSH_DEFAULTS.port,
    user: user ?? SSH_DEFAULTS.user,
    ...(password !== undefined && { password }),
    ...(privateKey !== undefined && { privateKey }),
    ...(privateKeyPassword !== undefined && { privateKeyPassword }),
    ...(agentSocketPath !== undefined && { agentSocketPath }),
    dialErrorLimit: dialErrorLimit ?? SSH_DEFAULTS.dialErrorLimit,
    perDialTimeoutMs: perDialTimeoutMs ?? SSH_DEFAULTS.perDialTimeoutMs,
    ...(hostKey !== undefined && { hostKey }),
  };
}

/** PEM or OpenSSH private keys; the reason says what is wrong without showing any of the key. */
function readPrivateKey(r: Reader, p: string, v: unknown): string | undefined {
  const text = readString(r, p, v, { secret: true });
  if (text === undefined) return undefined;
  const label = pemLabel(text);
  if (label === undefined || !label.endsWith("PRIVATE KEY")) {
    const what =
      label === undefined
        ? "it has no -----BEGIN ... PRIVATE KEY----- / -----END ...----- block"
        : `it is a PEM "${label}" block, not a private key`;
    return r.fail(p, `must be a PEM or OpenSSH private key (the key text, not a file path); ${what} (value not shown: it is secret)`);
  }
  return text;
}

/**
 * A host-key pin in any form the SSH transport accepts (authorized_keys or
 * known_hosts line, ssh-keyscan output, `SHA256:` fingerprint, or the explicit
 * `insecure-accept-any` opt-out); one parser decides, so check and connect agree.
 */
function readHostKey(r: Reader, p: string, v: unknown): string | undefined {
  const text = readString(r, p, v);
  if (text === undefined) return undefined;
  const problem = hostKeyProblem(text);
  return problem === undefined ? text : r.fail(p, problem);
}
