/**
 * `cockroach node ls|status|drain`. `ls` and `status` send CockroachDB's
 * own queries over pgwire (CR `pkg/cli/node.go`, reference §1) and print
 * with the CLI's headers; `drain` calls the Drain RPC until nothing remains.
 */
import { CliError, cannotDial, dialCause, isHangUp, rpcServerClosed } from "./errors";
import { CLIENT_FLAGS, ParsedArgs, UsageError, flagBool, flagString, parseFlags } from "./flags";
import { parseFormat, renderTable } from "./format";
import { SqlConn, resolveTarget } from "./sql-conn";
import { formatGoDuration, parseGoDuration } from "../common/durations";
import { compareSeries, parseSeries, seriesOfTag } from "../common/versions";
import { DrainResponse, RPC, RpcError, RpcTls, postJson } from "../node/rpc";
import { rpcTls } from "./client-security";

const LIVE_FILTER = " WHERE membership = 'active' OR split_part(expiration,',',1)::decimal > now()::decimal";

const BASE_QUERY = `SELECT node_id AS id, address, sql_address, build_tag AS build, started_at, updated_at, locality,
  CASE WHEN split_part(expiration,',',1)::decimal > now()::decimal THEN true ELSE false END AS is_available,
  ifnull(is_live, false)
FROM crdb_internal.gossip_liveness LEFT JOIN crdb_internal.gossip_nodes USING (node_id)`;

const metricSum = (key: string, alias: string): string => `sum((metrics->>'${key}')::DECIMAL)::INT AS ${alias}`;

const RANGES_QUERY = `SELECT node_id AS id, ${[
  metricSum("replicas.leaders", "replicas_leaders"),
  metricSum("replicas.leaseholders", "replicas_leaseholders"),
  metricSum("replicas", "ranges"),
  metricSum("ranges.unavailable", "ranges_unavailable"),
  metricSum("ranges.underreplicated", "ranges_underreplicated"),
].join(", ")} FROM crdb_internal.kv_store_status GROUP BY node_id`;

const STATS_QUERY = `SELECT node_id AS id, ${[
  metricSum("livebytes", "live_bytes"),
  metricSum("keybytes", "key_bytes"),
  metricSum("valbytes", "value_bytes"),
  metricSum("intentbytes", "intent_bytes"),
  metricSum("sysbytes", "system_bytes"),
].join(", ")} FROM crdb_internal.kv_store_status GROUP BY node_id`;

const DECOMMISSION_QUERY = `SELECT node_id AS id, ranges AS gossiped_replicas, membership != 'active' as is_decommissioning,
  membership AS membership, draining AS is_draining
FROM crdb_internal.gossip_liveness LEFT JOIN crdb_internal.gossip_nodes USING (node_id)`;

const HEADERS = {
  base: ["id", "address", "sql_address", "build", "started_at", "updated_at", "locality", "is_available", "is_live"],
  ranges: ["replicas_leaders", "replicas_leaseholders", "ranges", "ranges_unavailable", "ranges_underreplicated"],
  stats: ["live_bytes", "key_bytes", "value_bytes", "intent_bytes", "system_bytes"],
  decommission: ["gossiped_replicas", "is_decommissioning", "membership", "is_draining"],
};

const NUMERIC = new Set(["id", "gossiped_replicas", ...HEADERS.ranges, ...HEADERS.stats]);

export async function runNode(tag: string, args: readonly string[]): Promise<number> {
  const [sub, ...rest] = args;
  switch (sub) {
    case "ls":
      return nodeLs(rest);
    case "status":
      return nodeStatus(rest);
    case "drain":
      return nodeDrain(tag, rest);
    case undefined:
      throw new UsageError(`"cockroach node" requires a subcommand: ls, status, drain, decommission, recommission`);
    default:
      throw new UsageError(`unknown command "${sub}" for "cockroach node"`);
  }
}

async function withConn<T>(p: ParsedArgs, app: string, fn: (c: SqlConn) => Promise<T>): Promise<T> {
  const conn = await SqlConn.open(resolveTarget(p, "system"), app, { internals: true });
  try {
    return await fn(conn);
  } finally {
    await conn.close();
  }
}

async function nodeLs(args: readonly string[]): Promise<number> {
  const p = parseFlags(args, CLIENT_FLAGS);
  const format = parseFormat(flagString(p, "format"));
  if (p.positionals.length > 0) throw new UsageError(`unknown command "${p.positionals[0]}" for "cockroach node ls"`);
  const t = await withConn(p, "cockroach node ls", (c) => c.query(`SELECT node_id FROM crdb_internal.gossip_liveness${LIVE_FILTER}`));
  process.stdout.write(renderTable({ headers: ["id"], rows: t.rows, align: "r" }, format));
  return 0;
}

async function nodeStatus(args: readonly string[]): Promise<number> {
  const specs = [...CLIENT_FLAGS, ...["ranges", "stats", "decommission", "all"].map((name) => ({ name, kind: "bool" as const }))];
  const p = parseFlags(args, specs);
  const format = parseFormat(flagString(p, "format"));
  if (p.positionals.length > 1) throw new CliError("expected no arguments or a single node ID");
  const all = flagBool(p, "all");
  const parts: { query: string; headers: string[] }[] = [
    { query: flagBool(p, "decommission") || all ? BASE_QUERY : BASE_QUERY + LIVE_FILTER, headers: HEADERS.base },
  ];
  if (all || flagBool(p, "ranges")) parts.push({ query: RANGES_QUERY, headers: HEADERS.ranges });
  if (all || flagBool(p, "stats")) parts.push({ query: STATS_QUERY, headers: HEADERS.stats });
  if (all || flagBool(p, "decommission")) parts.push({ query: DECOMMISSION_QUERY, headers: HEADERS.decommission });
  const joined = parts.map((x) => x.query).reduce((acc, q) => `(${acc}) LEFT JOIN (${q}) USING (id)`);
  const query = `SELECT * FROM (${joined})`;
  const headers = parts.flatMap((x) => x.headers);
  let nodeId: number | undefined;
  if (p.positionals.length === 1) {
    nodeId = Number(p.positionals[0]);
    if (!Number.isInteger(nodeId)) throw new CliError(`could not parse node_id ${p.positionals[0]}`);
  }
  const t = await withConn(p, "cockroach node status", (c) =>
    nodeId === undefined ? c.query(query + " ORDER BY id") : c.query(query + " WHERE id = $1", [nodeId]),
  );
  if (nodeId !== undefined && t.rows.length === 0) throw new CliError(`node ${nodeId} doesn't exist`);
  const align = headers.map((h) => (NUMERIC.has(h) ? "r" : "l")).join("");
  process.stdout.write(renderTable({ headers, rows: t.rows, align }, format));
  return 0;
}

/**
 * The settings `doDrain` asks for (CR pkg/cli/rpc_node_shutdown.go), by their
 * internal (pre-v23.2) keys; it sums them, query_wait twice, with no buffer.
 */
const DRAIN_SETTINGS = [
  "server.shutdown.drain_wait",
  "server.shutdown.connection_wait",
  "server.shutdown.jobs_wait",
  "server.shutdown.query_wait",
  "server.shutdown.lease_transfer_wait",
];

async function nodeDrain(tag: string, args: readonly string[]): Promise<number> {
  // `--shutdown` exists from v24.2 on.
  const hasShutdown = compareSeries(seriesOfTag(tag), parseSeries("24.2")) >= 0;
  const specs = [
    ...CLIENT_FLAGS,
    { name: "self", kind: "bool" as const },
    { name: "drain-wait", kind: "string" as const },
    ...(hasShutdown ? [{ name: "shutdown", kind: "bool" as const }] : []),
  ];
  const p = parseFlags(args, specs);
  let self = flagBool(p, "self");
  if (p.positionals.length > 1) throw new UsageError(`accepts at most 1 arg(s), received ${p.positionals.length}`);
  if (!self && p.positionals.length === 0) {
    process.stderr.write("warning: draining a node without node ID or passing --self explicitly is deprecated.\n");
    self = true;
  }
  if (self && p.positionals.length > 0) throw new CliError("cannot use --self with an explicit node ID");
  const target = p.positionals[0] ?? "local";
  const drainWaitText = flagString(p, "drain-wait") ?? "10m";
  let drainWaitMs = parseGoDuration(drainWaitText);
  if (drainWaitMs === undefined)
    throw new UsageError(`invalid argument "${drainWaitText}" for "--drain-wait" flag: time: invalid duration "${drainWaitText}"`);
  const { host, port, security } = resolveTarget(p);
  const tlsOpts = rpcTls(security);
  drainWaitMs = await checkDrainWait(host, port, drainWaitMs, tlsOpts);
  const deadline = drainWaitMs > 0 ? Date.now() + drainWaitMs : Infinity;
  for (;;) {
    process.stderr.write("node is draining... ");
    const remaining = await drainOnce(host, port, { doDrain: true, shutdown: false, nodeId: target }, deadline, tlsOpts);
    process.stderr.write(`remaining: ${remaining}${remaining === 0 ? " (complete)" : ""}\n`);
    if (remaining === 0) break;
    if (Date.now() >= deadline) throw drainTimeout();
    await new Promise((r) => setTimeout(r, 200));
  }
  if (flagBool(p, "shutdown"))
    await drainOnce(host, port, { doDrain: false, shutdown: true, nodeId: target }, Date.now() + 10_000, tlsOpts).catch(() => 0);
  process.stdout.write("ok\n");
  return 0;
}

function drainTimeout(): CliError {
  return new CliError("drain timeout, consider adjusting --drain-wait, especially under custom server.shutdown cluster settings");
}

/** One Drain RPC, bounded by the --drain-wait deadline. */
async function drainOnce(
  host: string,
  port: number,
  req: { doDrain: boolean; shutdown: boolean; nodeId: string },
  deadline: number,
  tlsOpts: RpcTls | undefined,
): Promise<number> {
  const left = deadline - Date.now();
  if (left <= 0) {
    process.stderr.write("\n");
    throw drainTimeout();
  }
  let res: { status: number; body: unknown };
  try {
    res = await postJson(host, port, RPC.drain, req, Number.isFinite(left) ? left : 0, tlsOpts);
  } catch (e) {
    process.stderr.write("\n");
    if ((e as Error).message === "timeout") throw drainTimeout();
    if (isHangUp(e)) throw rpcServerClosed();
    throw cannotDial(`${host}:${port}`, dialCause(e as NodeJS.ErrnoException));
  }
  if (res.status !== 200) {
    process.stderr.write("\n");
    throw new CliError(
      `error sending drain request: rpc error: code = ${grpcCodeName((res.body as RpcError).code)} desc = ${(res.body as RpcError).error}`,
    );
  }
  return (res.body as DrainResponse).drainRemainingIndicator;
}

/** Raises --drain-wait to the sum of the drain settings when it is shorter, with CockroachDB's warning. */
async function checkDrainWait(host: string, port: number, drainWaitMs: number, tlsOpts: RpcTls | undefined): Promise<number> {
  if (drainWaitMs === 0) return 0;
  try {
    const res = await postJson(host, port, RPC.settings, { keys: DRAIN_SETTINGS }, 5000, tlsOpts);
    const kv = (res.body as { keyValues?: Record<string, { value: string }> }).keyValues ?? {};
    let min = 0;
    for (const [k, v] of Object.entries(kv)) {
      const ms = parseGoDuration(v.value) ?? 0;
      min += k === "server.shutdown.query_wait" ? 2 * ms : ms;
    }
    if (min > drainWaitMs) {
      process.stderr.write(
        `warning: --drain-wait is ${formatGoDuration(drainWaitMs)}, but the server.shutdown.{drain,query,jobs,connection,lease_transfer}_wait ` +
          `cluster settings require a value of at least ${formatGoDuration(min)}; using the larger value\n`,
      );
      return min;
    }
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ECONNREFUSED" || code === "EHOSTUNREACH") throw cannotDial(`${host}:${port}`, dialCause(e as NodeJS.ErrnoException));
    const why = isHangUp(e)
      ? "rpc error: code = Unavailable desc = connection closed before server preface received"
      : (e as Error).message;
    process.stderr.write(`warning: could not check drain related cluster settings: ${why}\n`);
  }
  return drainWaitMs;
}

function grpcCodeName(code: number | undefined): string {
  return (
    [
      "OK",
      "Canceled",
      "Unknown",
      "InvalidArgument",
      "DeadlineExceeded",
      "NotFound",
      "AlreadyExists",
      "PermissionDenied",
      "ResourceExhausted",
      "FailedPrecondition",
      "Aborted",
      "OutOfRange",
      "Unimplemented",
      "Internal",
      "Unavailable",
    ][code ?? 2] ?? "Unknown"
  );
}
