/**
 * How SSH failures are told apart and worded. Pure, so the classification is
 * unit-tested without a server.
 *
 * ssh2 tags errors with a `level` (and socket errors with a `code`):
 *
 * | level / code                         | meaning                                  | retry the dial? |
 * | ------------------------------------ | ---------------------------------------- | --------------- |
 * | client-socket ECONNREFUSED/RESET/... | nothing listening, or the host went away | yes             |
 * | client-timeout                       | no handshake within perDialTimeout       | yes             |
 * | client-dns                           | name does not resolve (yet)              | yes             |
 * | protocol "Connection lost before..." | server closed during the handshake       | yes             |
 * | client-authentication                | every auth method was refused            | no              |
 * | handshake (our hostVerifier said no) | host key unknown or changed              | no              |
 * | anything else                        | protocol or algorithm mismatch           | no              |
 *
 * Retrying an authentication or host-key failure cannot succeed and would
 * only hammer the server (and, for auth, risk fail2ban-style lockouts).
 */

export interface Ssh2Error {
  readonly message: string;
  readonly level?: string;
  readonly code?: string;
}

export type DialFailure = "transient" | "auth" | "host-key" | "fatal";

const TRANSIENT_SOCKET_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EHOSTDOWN",
  "EPIPE",
  "ECONNABORTED",
  "EAI_AGAIN",
]);

/** `hostKeyRefused`: our hostVerifier rejected the key on this attempt. */
export function classifyDialError(err: Ssh2Error, hostKeyRefused: boolean): DialFailure {
  if (hostKeyRefused) return "host-key";
  switch (err.level) {
    case "client-authentication":
      return "auth";
    case "client-timeout":
    case "client-dns":
      return "transient";
    case "client-socket":
      return err.code === undefined || TRANSIENT_SOCKET_CODES.has(err.code) ? "transient" : "fatal";
    case "protocol":
      return /connection lost/i.test(err.message) ? "transient" : "fatal";
    default:
      return "fatal";
  }
}

/** A short, secret-free cause for a failed dial attempt. */
export function describeDialError(err: Ssh2Error, perDialTimeoutMs: number): string {
  if (err.level === "client-timeout") return `no SSH handshake within ${Math.round(perDialTimeoutMs / 1000)}s (perDialTimeout)`;
  switch (err.code) {
    case "ECONNREFUSED":
      return "connection refused (is sshd running and listening on that address and port?)";
    case "ECONNRESET":
      return "connection reset by the server";
    case "ETIMEDOUT":
      return "TCP connect timed out";
    case "EHOSTUNREACH":
    case "ENETUNREACH":
      return "host unreachable";
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return "host name does not resolve";
  }
  return err.message;
}

/**
 * The name a command goes by in errors: argv[0]'s basename, or for a shell
 * script the first word of the script. Never the arguments, which may hold
 * paths or values the user considers private.
 */
export function commandName(argv: readonly string[]): string {
  const first = basename(argv[0] ?? "command");
  if (["sh", "bash", "dash", "zsh"].includes(first) && argv[1] === "-c" && argv[2] !== undefined) {
    const word = argv[2].trim().split(/[\s;&|()]+/)[0];
    if (word) return `${first} -c ${basename(word)}`;
  }
  return first;
}

function basename(p: string): string {
  const i = p.lastIndexOf("/");
  return i >= 0 ? p.slice(i + 1) : p;
}

/** Exponential backoff before dial attempt n+1 (n starts at 1): 0.5s, 1s, 2s, 4s, then 8s. */
export function dialBackoffMs(attempt: number): number {
  return Math.min(500 * 2 ** (attempt - 1), 8_000);
}

/** dialErrorLimit as @pulumi/command reads it: -1 (any negative) means unlimited, 0 behaves as 1. */
export function maxDialAttempts(dialErrorLimit: number): number {
  if (dialErrorLimit < 0) return Number.POSITIVE_INFINITY;
  return Math.max(1, Math.floor(dialErrorLimit));
}
