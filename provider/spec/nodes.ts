/**
 * Validation and normalisation of `nodes[]`: names, addresses, connection,
 * paths and process manager of each node, then the checks across nodes
 * (unique names and addresses).
 */
import { readConnection } from "./connection";
import { readProcess } from "./process";
import * as path from "path";
import type { HostPort, NodeSpec } from "../core/types";
import { defaultRpcAddr } from "./rpc-addr";
import { Reader, join, kindOf, readAbsPath, readObject, readRequiredString, readString, shown } from "./read";

const NODE_KEYS = ["name", "connection", "sqlAddr", "httpAddr", "rpcAddr", "locality", "binaryPath", "stagingDir", "process"] as const;
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
