/**
 * Opening an SSH connection: host-key pinning in ssh2's hostVerifier, the
 * auth plan, and bounded retries with exponential backoff (dialErrorLimit
 * attempts of at most perDialTimeout each). Only transient failures are
 * retried; a refused host key or login fails on the first attempt.
 */
import type { Client, ConnectConfig } from "ssh2";
import { TransportError } from "../core/errors";
import type { Connection } from "../core/types";
import { planAuth, type AuthPlan } from "./ssh-auth";
import { classifyDialError, describeDialError, dialBackoffMs, maxDialAttempts, type Ssh2Error } from "./ssh-errors";
import {
  algorithmsExcluding,
  hostKeyAlgorithmsFor,
  INSECURE_ACCEPT_ANY_HOST_KEY,
  parseHostKeyPin,
  verifyHostKey,
  type HostKeyPin,
  type HostKeyVerdict,
} from "../spec/host-key";

/** SSH-level keepalives: a silently dead peer is noticed after about 15 s, even mid-command. */
const KEEPALIVE_INTERVAL_MS = 5_000;
const KEEPALIVE_COUNT_MAX = 3;

type ClientCtor = new () => Client;

/** Connects, or throws a TransportError that says why (and never a secret). */
export async function dialSsh(conn: Connection, description: string, signal?: AbortSignal): Promise<Client> {
  const pin = pinOf(conn, description);
  const auth = planAuth(conn, description);
  const attempts = maxDialAttempts(conn.dialErrorLimit);
  let algorithms = pin ? hostKeyAlgorithmsFor(pin) : undefined;
  /** Keys the server presented that did not match (several only for fingerprint pins). */
  const refused: HostKeyVerdict[] = [];
  for (let attempt = 1; ; attempt++) {
    if (signal?.aborted) throw new TransportError(description, "connect aborted");
    const outcome = await dialOnce(conn, pin, auth, algorithms, signal);
    if (outcome.client) return outcome.client;
    const { err, verdict } = outcome;
    const kind = classifyDialError(err, verdict !== undefined && !verdict.ok);
    if (kind === "host-key") {
      refused.push(verdict!);
      // A fingerprint may be of another of the host's keys: ask for the next type (not a failed attempt).
      const next = pin?.kind === "fingerprints" ? algorithmsExcluding(refused.map((v) => v.presentedType)) : undefined;
      if (!next) throw hostKeyError(description, pin, refused);
      algorithms = next;
      attempt--;
      continue;
    }
    if (refused.length > 0) throw hostKeyError(description, pin, refused); // no key of another type to offer
    if (kind === "auth") {
      throw new TransportError(
        description,
        `authentication failed for ${conn.user}@${conn.host}:${conn.port}`,
        `the server refused every method tried (${auth.names.join(", ")})`,
      );
    }
    const cause = describeDialError(err, conn.perDialTimeoutMs);
    if (kind === "fatal") throw new TransportError(description, "cannot connect", cause);
    if (attempt >= attempts)
      throw new TransportError(description, `cannot connect after ${attempt} attempt${attempt === 1 ? "" : "s"}`, cause);
    await sleep(dialBackoffMs(attempt), signal);
  }
}

function pinOf(conn: Connection, description: string): HostKeyPin | undefined {
  if (conn.hostKey === undefined || conn.hostKey === "") return undefined;
  try {
    return parseHostKeyPin(conn.hostKey);
  } catch (e) {
    throw new TransportError(description, "connection.hostKey cannot be used", (e as Error).message);
  }
}

type DialOutcome =
  { readonly client: Client } | { readonly client?: undefined; readonly err: Ssh2Error; readonly verdict?: HostKeyVerdict };

function dialOnce(
  conn: Connection,
  pin: HostKeyPin | undefined,
  auth: AuthPlan,
  algorithms: string[] | undefined,
  signal?: AbortSignal,
): Promise<DialOutcome> {
  const { Client: Ssh2Client } = require("ssh2") as { Client: ClientCtor };
  const client = new Ssh2Client();
  let verdict: HostKeyVerdict | undefined;
  const config: ConnectConfig = {
    host: conn.host,
    port: conn.port,
    username: conn.user,
    authHandler: [...auth.methods],
    hostVerifier: (key: Buffer): boolean => {
      // No pin: look at the key only to name it in the refusal.
      verdict = pin ? verifyHostKey(pin, key) : { ...verifyHostKey({ kind: "keys", keys: [] }, key), ok: false };
      return verdict.ok;
    },
    readyTimeout: conn.perDialTimeoutMs,
    keepaliveInterval: KEEPALIVE_INTERVAL_MS,
    keepaliveCountMax: KEEPALIVE_COUNT_MAX,
  };
  if (algorithms) config.algorithms = { serverHostKey: algorithms as never };

  return new Promise<DialOutcome>((resolve) => {
    let settled = false;
    const settle = (o: DialOutcome): void => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener("abort", onAbort);
      if (!o.client) client.end();
      resolve(o);
    };
    const onAbort = (): void => settle({ err: { message: "aborted", level: "aborted" } });
    signal?.addEventListener("abort", onAbort, { once: true });
    client.once("ready", () => settle({ client }));
    client.on("error", (err: Ssh2Error) => settle({ err, verdict }));
    client.once("close", () => settle({ err: { message: "Connection lost before handshake", level: "protocol" }, verdict }));
    try {
      client.connect(config);
      // SSH here is small request/response exchanges (handshake, then one
      // command after another): with Nagle's algorithm and delayed ACKs each
      // round trip would wait ~40 ms. Measured: 94 ms -> 6 ms per command.
      client.setNoDelay(true);
    } catch (e) {
      settle({ err: { message: (e as Error).message, level: "config" } });
    }
  });
}

function hostKeyError(description: string, pin: HostKeyPin | undefined, refused: readonly HostKeyVerdict[]): TransportError {
  const presented = refused.map((v) => `${v.presentedType} ${v.presentedFingerprint}`).join(" and ");
  if (!pin) {
    return new TransportError(
      description,
      "host key not pinned",
      `the server presents ${presented}; verify it out of band (ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub on the host) and set connection.hostKey ` +
        `to the public key line or that fingerprint, or to "${INSECURE_ACCEPT_ANY_HOST_KEY}" for throwaway hosts (dangerous: trusts any server)`,
    );
  }
  const expected =
    pin.kind === "keys" ? pin.keys.map((k) => `${k.type} ${k.fingerprint}`) : pin.kind === "fingerprints" ? pin.fingerprints : [];
  return new TransportError(
    description,
    "host key mismatch",
    `the server presents ${presented}, but connection.hostKey pins ${expected.join(" or ")}; ` +
      "the host was reinstalled or someone is intercepting the connection: check the host and update connection.hostKey",
  );
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}
