/**
 * Validation and normalisation of `nodes[]`: names, addresses, connection,
 * paths and process manager of each node, then the checks across nodes
 * (unique names and addresses).
 */
import { hostKeyProblem } from "./host-key";
import * as path from "path";
import type { Connection, HostPort, NodeSpec, ProcessManager } from "../core/types";
import { defaultRpcAddr } from "./rpc-addr";
import {
  Reader,
  join,
  kindOf,
  pemLabel,
  readAbsPath,
  readBool,
  readDuration,
  readInt,
  readObject,
  readOneOf,
  readRequiredString,
  readString,
  readStringArray,
  shown,
} from "./read";

const NODE_KEYS = ["name", "connection", "sqlAddr", "httpAddr", "rpcAddr", "locality", "binaryPath", "stagingDir", "process"] as const;
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
const PROCESS_KEYS = {
  cockroach: ["manager", "startFlags", "pidFile", "logFile"],
  systemd: ["manager", "unit", "useSudo"],
  commands: ["manager", "start", "stop", "status"],
} as const;
const MANAGERS = ["cockroach", "systemd", "commands"] as const;

/** Defaults of @pulumi/command's ConnectionArgs, which `connection` mirrors. */
const SSH_DEFAULTS = { port: 22, user: "root", dialErrorLimit: 10, perDialTimeoutMs: 15_000 } as const;

/** The nodes read so far: `names` is undefined when `nodes` itself is unknown or invalid. */
export interface NodesRead {
  readonly specs: readonly (NodeSpec | undefined)[];
  /** One entry per node; undefined where the name is unknown or invalid. */
  readonly names: readonly (string | undefined)[] | undefined;
  readonly localities: readonly (string | undefined)[];
}

export function readNodes(r: Reader, v: unknown): NodesRead {
  const none: NodesRead = { specs: [], names: undefined, localities: [] };
  if (v === undefined) return (r.fail("nodes", "is required: a list of the cluster's nodes"), none);
  if (r.isUnknown("nodes", v)) return none;
  if (!Array.isArray(v)) return (r.fail("nodes", `must be a list of nodes (got ${kindOf(v)})`), none);
  if (v.length === 0) return (r.fail("nodes", "must list at least one node"), none);
  const raws = v.map((item, i) => (r.isUnknown(`nodes[${i}]`, item) ? undefined : readObject(r, `nodes[${i}]`, item ?? null, NODE_KEYS)));
  const names = raws.map((raw, i) => (raw === undefined ? undefined : readNodeName(r, `nodes[${i}].name`, raw.name)));
  const localities = raws.map((raw, i) => (raw === undefined ? undefined : readLocality(r, `nodes[${i}].locality`, raw.locality)));
  const specs = raws.map((raw, i) => (raw === undefined ? undefined : readNode(r, `nodes[${i}]`, raw, names[i], localities[i])));
  refuseDuplicates(r, names, (i) => `nodes[${i}].name`, "name");
  refuseSharedAddresses(r, raws);
  return { specs, names, localities };
}

function readNodeName(r: Reader, p: string, v: unknown): string | undefined {
  return readRequiredString(r, p, v, {
    pattern: { re: /^[^\s\0-\x1f][^\0-\x1f]{0,127}$/, expected: "1 to 128 printable characters, not starting with a space" },
  });
}

function readNode(
  r: Reader,
  p: string,
  raw: Readonly<Record<string, unknown>>,
  name: string | undefined,
  locality: string | undefined,
): NodeSpec | undefined {
  const connection = readConnection(r, join(p, "connection"), raw.connection);
  const sqlAddr = readHostPort(r, join(p, "sqlAddr"), raw.sqlAddr);
  const httpAddr = readHostPort(r, join(p, "httpAddr"), raw.httpAddr);
  const rpcAddrGiven = raw.rpcAddr === undefined ? undefined : readHostPort(r, join(p, "rpcAddr"), raw.rpcAddr);
  const binaryPath =
    raw.binaryPath === undefined
      ? r.fail(join(p, "binaryPath"), "is required, e.g. /usr/local/bin/cockroach")
      : readAbsPath(r, join(p, "binaryPath"), raw.binaryPath);
  const stagingDir = readAbsPath(r, join(p, "stagingDir"), raw.stagingDir);
  const proc = readProcess(r, join(p, "process"), raw.process);
  if (name === undefined || locality === undefined || connection === undefined || sqlAddr === undefined || httpAddr === undefined)
    return undefined;
  if (binaryPath === undefined || proc === undefined) return undefined;
  if (raw.rpcAddr !== undefined && rpcAddrGiven === undefined) return undefined;
  // `node drain` and `debug zip` speak gRPC to this address (see rpc-addr.ts).
  const rpcAddr = rpcAddrGiven ?? defaultRpcAddr(proc.manager === "cockroach" ? proc.startFlags : undefined, sqlAddr);
  // Staged releases sit next to the binary so the swap is a rename on one filesystem.
  const staging = stagingDir ?? path.posix.join(path.posix.dirname(binaryPath), ".crdb-upgrade");
  return {
    name,
    connection,
    sqlAddr,
    httpAddr,
    rpcAddr,
    ...(rpcAddrGiven !== undefined && { rpcAddrGiven: true }),
    locality,
    binaryPath,
    stagingDir: staging,
    process: proc,
  };
}

const LOCALITY = /^[^=,\s]+=[^=,\s]+(,[^=,\s]+=[^=,\s]+)*$/;

function readLocality(r: Reader, p: string, v: unknown): string | undefined {
  if (v === "") return "";
  return (
    readString(r, p, v, { pattern: { re: LOCALITY, expected: 'key=value pairs separated by commas, e.g. "region=us-east1,zone=a"' } }) ??
    (v === undefined ? "" : undefined)
  );
}

const HOST = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_]([A-Za-z0-9_.-]*[A-Za-z0-9_])?)$/;

/** "host:port" or "[v6]:port"; the port must be 1-65535. */
export function readHostPort(r: Reader, p: string, v: unknown): HostPort | undefined {
  if (v === undefined) return r.fail(p, 'is required, as "host:port", e.g. "10.0.0.1:26257"');
  const text = readString(r, p, v);
  if (text === undefined) return undefined;
  const m = /^(.*):(\d{1,5})$/.exec(text);
  if (m === null || !HOST.test(m[1])) return r.fail(p, `must be "host:port", e.g. "10.0.0.1:26257" or "[::1]:26257" (got ${shown(v)})`);
  const port = Number(m[2]);
  if (port < 1 || port > 65535) return r.fail(p, `port must be from 1 to 65535 (got ${port})`);
  const host = m[1].startsWith("[") ? m[1].slice(1, -1) : m[1];
  return { host, port };
}

function readConnection(r: Reader, p: string, v: unknown): Connection | undefined {
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

function readProcess(r: Reader, p: string, v: unknown): ProcessManager | undefined {
  if (v === undefined) return r.fail(p, 'is required: { manager: "cockroach" | "systemd" | "commands", ... }');
  if (r.isUnknown(p, v)) return undefined;
  if (typeof v !== "object" || v === null || Array.isArray(v)) return r.fail(p, `must be an object with a "manager" (got ${kindOf(v)})`);
  const rawManager = (v as { readonly manager?: unknown }).manager;
  if (rawManager === undefined) return r.fail(join(p, "manager"), `is required: one of ${MANAGERS.map((m) => `"${m}"`).join(", ")}`);
  const manager = readOneOf(r, join(p, "manager"), rawManager, MANAGERS);
  const raw = manager === undefined ? undefined : readObject(r, p, v, PROCESS_KEYS[manager]);
  if (manager === undefined || raw === undefined) return undefined;
  if (manager === "systemd") {
    const unit = readRequiredString(r, join(p, "unit"), raw.unit, {
      pattern: { re: /^[A-Za-z0-9:_.\\@-]+$/, expected: 'a systemd unit name like "cockroach.service"' },
    });
    const useSudo = readBool(r, join(p, "useSudo"), raw.useSudo);
    return unit === undefined ? undefined : { manager, unit, useSudo: useSudo ?? false };
  }
  if (manager === "commands") {
    const [start, stop, status] = (["start", "stop", "status"] as const).map((k) => readRequiredString(r, join(p, k), raw[k]));
    return start === undefined || stop === undefined || status === undefined ? undefined : { manager, start, stop, status };
  }
  return readCockroachProcess(r, p, raw);
}

/** The provider adds `--background --pid-file <pidFile>` itself, so the user's flags must not. */
function readCockroachProcess(r: Reader, p: string, raw: Readonly<Record<string, unknown>>): ProcessManager | undefined {
  const flags =
    raw.startFlags === undefined
      ? r.fail(join(p, "startFlags"), 'is required: the flags after "cockroach start", e.g. ["--insecure", "--store=/data"]')
      : readStringArray(r, join(p, "startFlags"), raw.startFlags);
  flags?.forEach((f, i) => {
    if (f !== undefined && /^--(background|pid-file)(=|$)/.test(f))
      r.fail(
        join(join(p, "startFlags"), i),
        `must not contain ${f.split("=")[0]}: the provider adds --background and --pid-file <pidFile> itself`,
      );
  });
  const pidFile =
    raw.pidFile === undefined
      ? r.fail(join(p, "pidFile"), "is required, e.g. /var/run/cockroach.pid")
      : readAbsPath(r, join(p, "pidFile"), raw.pidFile);
  const logFile = readAbsPath(r, join(p, "logFile"), raw.logFile);
  if (flags === undefined || flags.some((f) => f === undefined) || pidFile === undefined) return undefined;
  return { manager: "cockroach", startFlags: flags as string[], pidFile, ...(logFile !== undefined && { logFile }) };
}

function refuseDuplicates(r: Reader, values: readonly (string | undefined)[], pathOf: (i: number) => string, what: string): void {
  const firstAt = new Map<string, number>();
  values.forEach((v, i) => {
    if (v === undefined) return;
    const seen = firstAt.get(v);
    if (seen === undefined) firstAt.set(v, i);
    else r.fail(pathOf(i), `duplicate ${what} ${shown(v)}: nodes[${seen}] has the same ${what}; each node needs its own`);
  });
}

/** No two endpoints (SQL or HTTP, any node) may share a host:port: they would be the same socket. */
function refuseSharedAddresses(r: Reader, raws: readonly (Readonly<Record<string, unknown>> | undefined)[]): void {
  const key = (hp: HostPort | undefined): string | undefined => (hp === undefined ? undefined : `${hp.host.toLowerCase()}:${hp.port}`);
  const parsed = raws.map((raw) => ({ sql: parseQuiet(raw?.sqlAddr), http: parseQuiet(raw?.httpAddr) }));
  refuseDuplicates(
    r,
    parsed.map((a) => key(a.sql)),
    (i) => `nodes[${i}].sqlAddr`,
    "sqlAddr",
  );
  refuseDuplicates(
    r,
    parsed.map((a) => key(a.http)),
    (i) => `nodes[${i}].httpAddr`,
    "httpAddr",
  );
  const sqlOwner = new Map(parsed.map((a, i) => [key(a.sql), i] as const).filter(([k]) => k !== undefined));
  parsed.forEach((a, i) => {
    const owner = sqlOwner.get(key(a.http));
    if (a.http !== undefined && owner !== undefined)
      r.fail(`nodes[${i}].httpAddr`, `is the same host:port as nodes[${owner}].sqlAddr; SQL and HTTP listen on different ports`);
  });
}

function parseQuiet(v: unknown): HostPort | undefined {
  return readHostPort(new Reader(false), "", v);
}
