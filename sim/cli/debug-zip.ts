/**
 * `cockroach debug zip FILE --host H --insecure` (reference §7): collects
 * cluster-wide crdb_internal tables through --host, then per live node its
 * tables (through that node's SQL address), status and log, into a real zip,
 * printing progress on stderr as CockroachDB does. Dead nodes are skipped.
 */
import * as fs from "fs";
import * as path from "path";
import { CliError, cannotDial, dialCause, isHangUp, rpcServerClosed } from "./errors";
import { CLIENT_FLAGS, UsageError, flagBool, parseFlags } from "./flags";
import { renderTable } from "./format";
import { SqlConn, Target, resolveTarget } from "./sql-conn";
import { ZipWriter } from "./zip-writer";
import { RPC, RpcTls, postJson, splitHostPort } from "../node/rpc";
import { rpcTls, urlSslParams } from "./client-security";

const CLUSTER_TABLES = [
  "crdb_internal.gossip_liveness",
  "crdb_internal.gossip_nodes",
  "crdb_internal.kv_node_liveness",
  "crdb_internal.kv_node_status",
  "crdb_internal.kv_store_status",
];

const NODE_TABLES = [
  "crdb_internal.gossip_liveness",
  "crdb_internal.gossip_nodes",
  "crdb_internal.kv_node_status",
  "crdb_internal.kv_store_status",
];

export async function runDebug(args: readonly string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub !== "zip")
    throw new UsageError(sub ? `unknown command "${sub}" for "cockroach debug"` : `"cockroach debug" requires a subcommand: zip`);
  const specs = [
    ...CLIENT_FLAGS,
    ...["redact", "include-goroutine-stacks", "include-range-info", "cpu-profile-duration"].map((name) => ({
      name,
      kind: "bool" as const,
    })),
  ];
  const p = parseFlags(rest, specs);
  if (p.positionals.length !== 1) throw new UsageError(`accepts 1 arg(s), received ${p.positionals.length}`);
  void flagBool(p, "redact");
  const out = path.resolve(p.positionals[0]);
  const target = resolveTarget(p, "system");
  const say = (scope: string, text: string): boolean => process.stderr.write(`[${scope}] ${text}`);
  say("cluster", `establishing RPC connection to ${target.host}:${target.port}...\n`);
  // --host is the RPC address; the node tells its SQL address (CR pkg/cli/zip.go asks the node's details over gRPC).
  const sqlAddr = await sqlAddressOf(target);
  const [sqlHost, sqlPort] = splitHostPort(sqlAddr);
  const conn = await SqlConn.open({ ...target, host: sqlHost, port: sqlPort }, "cockroach debug zip", { internals: true });
  say("cluster", `using SQL address: ${sqlAddr}\n`);
  say("cluster", `creating output file ${out}...`);
  const zip = new ZipWriter();
  process.stderr.write(" done\n");
  try {
    for (const table of CLUSTER_TABLES) await dumpTable(zip, conn, table, "debug", (t) => say("cluster", t));
    const nodes = await conn.query("SELECT node_id, address, sql_address, is_live FROM crdb_internal.gossip_nodes ORDER BY node_id");
    say("cluster", "requesting nodes... received response... writing JSON output: debug/nodes.json...");
    zip.add(
      "debug/nodes.json",
      JSON.stringify(
        nodes.rows.map(([id, address, sqlAddress, live]) => ({ id, address, sqlAddress, live })),
        null,
        2,
      ),
    );
    process.stderr.write(" done\n");
    for (const [id, address, sqlAddress, live] of nodes.rows) {
      const scope = `node ${id}`;
      if (live !== "true") {
        say(scope, "skipping node; node is not live\n");
        continue;
      }
      await dumpNode(zip, String(id), String(address), String(sqlAddress), target, (t) => say(scope, t));
    }
  } finally {
    await conn.close();
  }
  fs.writeFileSync(out, zip.finish());
  return 0;
}

async function dumpTable(zip: ZipWriter, conn: SqlConn, table: string, dir: string, say: (t: string) => void): Promise<void> {
  const file = `${dir}/${table}.txt`;
  say(`retrieving SQL data for ${table}... writing output: ${file}...`);
  try {
    const t = await conn.query(`SELECT * FROM ${table}`);
    zip.add(file, renderTable(t, "tsv"));
    process.stderr.write(" done\n");
  } catch (e) {
    zip.add(`${file}.err.txt`, (e as Error).message + "\n");
    process.stderr.write(` error: ${(e as Error).message}\n`);
  }
}

async function dumpNode(
  zip: ZipWriter,
  id: string,
  address: string,
  sqlAddress: string,
  base: Target,
  say: (t: string) => void,
): Promise<void> {
  const dir = `debug/nodes/${id}`;
  const [host, port] = splitHostPort(sqlAddress);
  say(`using SQL connection URL: postgresql://${base.user}@${host}:${port}/system?${urlSslParams(base.security, base.user)}\n`);
  let conn: SqlConn;
  try {
    conn = await SqlConn.open({ ...base, host, port }, "cockroach debug zip", { internals: true });
  } catch (e) {
    say(`unable to connect: ${(e as Error).message}\n`);
    return;
  }
  try {
    for (const table of NODE_TABLES) await dumpTable(zip, conn, table, dir, say);
  } finally {
    await conn.close();
  }
  const [rpcHost, rpcPort] = splitHostPort(address);
  const tlsOpts = rpcTls(base.security);
  const rpc = (method: string, file: string, what: string, render: (body: unknown) => string): Promise<void> =>
    rpcFile(zip, { host: rpcHost, port: rpcPort, tls: tlsOpts }, { method, file, what, render }, say);
  await rpc(RPC.node, `${dir}/status.json`, "requesting node details", (b) => JSON.stringify(b, null, 2));
  await rpc(RPC.logFile, `${dir}/logs/cockroach.log`, "requesting log file", (b) => String((b as { text?: string }).text ?? ""));
}

interface RpcEndpoint {
  readonly host: string;
  readonly port: number;
  readonly tls: RpcTls | undefined;
}

interface RpcFileSpec {
  readonly method: string;
  readonly file: string;
  readonly what: string;
  render(body: unknown): string;
}

async function rpcFile(zip: ZipWriter, to: RpcEndpoint, spec: RpcFileSpec, say: (t: string) => void): Promise<void> {
  say(`${spec.what}... `);
  try {
    const res = await postJson(to.host, to.port, spec.method, {}, 10_000, to.tls);
    if (res.status !== 200) throw new CliError(`rpc failed with status ${res.status}`);
    process.stderr.write(`received response... writing output: ${spec.file}...`);
    zip.add(spec.file, spec.render(res.body));
    process.stderr.write(" done\n");
  } catch (e) {
    process.stderr.write(`error: ${(e as Error).message}\n`);
  }
}

/** The node's SQL address, asked over RPC at --host; fails as the CLI does when --host does not speak RPC. */
async function sqlAddressOf(target: Target): Promise<string> {
  let res: { status: number; body: unknown };
  try {
    res = await postJson(target.host, target.port, RPC.node, {}, 10_000, rpcTls(target.security));
  } catch (e) {
    if (isHangUp(e)) throw rpcServerClosed();
    throw cannotDial(`${target.host}:${target.port}`, dialCause(e as NodeJS.ErrnoException));
  }
  if (res.status !== 200) throw new CliError(`rpc error: ${(res.body as { error?: string }).error ?? `status ${res.status}`}`);
  const addr = (res.body as { desc?: { sqlAddress?: { addressField?: string } } }).desc?.sqlAddress?.addressField;
  return addr || `${target.host}:${target.port}`;
}
