/**
 * What the cluster says about itself: SQL over pgwire (node membership,
 * liveness, builds, cluster settings) and each node's HTTP endpoint (/health,
 * /health?ready=1, /_status/vars). Reads only — the one write is cluster
 * settings (the finalization block), plus the user's own backup SQL hook.
 *
 * SQL goes through one gateway connection at a time. The rollout tells the
 * reader which nodes to avoid (the one being drained or restarted), so reads
 * never depend on a node we are about to take down; on any connection error
 * the next listed node is tried.
 *
 * The password goes only into the pg client config — never into a message.
 */
import { Client, type ClientConfig } from "pg";
import type { HostPort, NodeSpec, Spec } from "../core/types";
import { httpGet } from "../transport/http";
import { webLogin } from "./web-session";
import { buildTagOf, parsePrometheusText, sumSeries } from "./prometheus";
import { SYSTEM_CLUSTER_OPTION, SessionRefused, inApplicationCluster, prepareSession, virtualClusterRefusal } from "./sql-session";
import { withPrivilegeAdvice } from "./sql-privileges";

/** One row per node the cluster knows: liveness joined with gossip, as `cockroach node status` does. */
export interface GossipRow {
  readonly nodeId: number;
  readonly address: string;
  readonly sqlAddress: string;
  readonly build: string;
  readonly locality: string;
  /** Liveness record unexpired (the CLI's is_available). */
  readonly isAvailable: boolean;
  /** Gossiped recently (the CLI's is_live). */
  readonly isLive: boolean;
  readonly draining: boolean;
  readonly membership: string;
}

export interface NodeHealth {
  /** The HTTP endpoint answered at all. */
  readonly reachable: boolean;
  readonly status: number;
  /** Empty when ready; else the readiness message or the connection error. */
  readonly message: string;
}

export interface NodeVars {
  readonly build?: string;
  /** Summed over the node's stores; undefined when the series is missing. */
  readonly underReplicated?: number;
  readonly unavailable?: number;
  readonly liveNodes?: number;
  /**
   * `raftlog_behind`: Raft log entries followers on other stores are behind
   * (a restarted node catching up). Undefined when not exported.
   */
  readonly raftLogBehind?: number;
}

/** The query: liveness LEFT JOIN gossip, liveness expiry judged by the cluster's own clock (as the CLI does). */
const GOSSIP_SQL = `SELECT node_id, address, sql_address, build_tag, locality,
  split_part(expiration, ',', 1)::DECIMAL > now()::DECIMAL AS is_available,
  ifnull(is_live, false) AS is_live, draining, membership
FROM crdb_internal.gossip_liveness LEFT JOIN crdb_internal.gossip_nodes USING (node_id)
ORDER BY node_id`;

/** Setting names we put into SQL text: checked against this pattern first (they cannot be parameters). */
const SETTING_NAME_RE = /^[a-z][a-z0-9_.]*$/;

const CONNECT_TIMEOUT_MS = 3_000;
const QUERY_TIMEOUT_MS = 15_000;
const HTTP_TIMEOUT_MS = 3_000;
/** `/_status/ranges` lists every replica of the node: larger and slower than the other endpoints. */
const RANGES_TIMEOUT_MS = 10_000;
const RANGES_MAX_BYTES = 256 * 1024 * 1024;

/** ": <message>" of a gRPC-gateway error body, or "". */
function grpcMessage(body: string): string {
  try {
    const m = (JSON.parse(body) as { message?: unknown }).message;
    return typeof m === "string" && m !== "" ? `: ${m}` : "";
  } catch {
    return "";
  }
}

export class ClusterReader {
  private client?: Client;
  private gatewayName?: string;
  private readonly avoided = new Set<string>();
  /** Sessions landed in an application virtual cluster: connect with options=-ccluster=system (sql-session.ts). */
  private systemOption = false;
  /** `session=...` of the web session for the authenticated HTTP endpoints (secure clusters). */
  private webCookie?: string;

  constructor(
    private readonly sql: Spec["sql"],
    private readonly nodes: readonly NodeSpec[],
  ) {}

  /** Stop using these nodes as SQL gateways (they are about to go down); closes a connection to them. */
  async avoid(names: readonly string[]): Promise<void> {
    this.avoided.clear();
    for (const n of names) this.avoided.add(n);
    if (this.gatewayName !== undefined && this.avoided.has(this.gatewayName)) await this.dropClient();
  }

  async gossip(): Promise<GossipRow[]> {
    const rows = await this.query(GOSSIP_SQL);
    return rows.map(toGossipRow);
  }

  async showSetting(name: string): Promise<string> {
    const rows = await this.query(`SHOW CLUSTER SETTING ${checkedSetting(name)}`);
    const first = rows[0];
    return first === undefined ? "" : settingText(Object.values(first)[0]);
  }

  async setSetting(name: string, value: string): Promise<void> {
    await this.query(`SET CLUSTER SETTING ${checkedSetting(name)} = ${sqlString(value)}`);
  }

  async resetSetting(name: string): Promise<void> {
    await this.query(`RESET CLUSTER SETTING ${checkedSetting(name)}`);
  }

  /** The rows of one statement with `$n` parameters (the upgrade lease's table; see lease.ts). */
  async rows(text: string, params: readonly unknown[] = []): Promise<Record<string, unknown>[]> {
    return this.query(text, params);
  }

  /** Runs the user's own SQL (the backup hook). */
  async execUserSql(text: string): Promise<void> {
    await this.query(text);
  }

  /** `/health` (ready=false) or `/health?ready=1` (ready=true). Never throws. */
  async health(node: NodeSpec, ready: boolean, signal?: AbortSignal): Promise<NodeHealth> {
    try {
      const res = await httpGet(this.httpUrl(node.httpAddr, ready ? "/health?ready=1" : "/health"), this.httpOpts(signal));
      return { reachable: true, status: res.status, message: res.status === 200 ? "" : readinessMessage(res.body) };
    } catch (e) {
      return { reachable: false, status: 0, message: (e as Error).message };
    }
  }

  /** `/_status/vars`, reduced to what the gates read. Throws when the node does not answer. */
  async vars(node: NodeSpec, signal?: AbortSignal): Promise<NodeVars> {
    const res = await httpGet(this.httpUrl(node.httpAddr, "/_status/vars"), this.httpOpts(signal));
    if (res.status !== 200) throw new Error(`/_status/vars answered HTTP ${res.status}`);
    const samples = parsePrometheusText(res.body);
    return {
      build: buildTagOf(samples),
      underReplicated: sumSeries(samples, "ranges_underreplicated"),
      unavailable: sumSeries(samples, "ranges_unavailable"),
      liveNodes: sumSeries(samples, "liveness_livenodes"),
      raftLogBehind: sumSeries(samples, "raftlog_behind"),
    };
  }

  /**
   * `/_status/ranges/local` as JSON: this node's replicas with their Raft state (catch-up.ts reads it).
   * On a secure cluster CockroachDB serves it to a logged-in web session only: we log in as sql.user
   * with sql.password (web-session.ts), once per reader, again once after a 401.
   * Throws when the node does not answer 200 with JSON.
   */
  async ranges(node: NodeSpec, signal?: AbortSignal): Promise<unknown> {
    const url = this.httpUrl(node.httpAddr, "/_status/ranges/local");
    const get = async (cookie?: string) =>
      httpGet(url, {
        ...this.httpOpts(signal),
        timeoutMs: RANGES_TIMEOUT_MS,
        maxBytes: RANGES_MAX_BYTES,
        ...(cookie !== undefined && { headers: { Cookie: cookie } }),
      });
    let res = await get(this.sql.insecure ? undefined : await this.webSession(node, signal));
    if (res.status === 401 && !this.sql.insecure) {
      this.webCookie = undefined;
      res = await get(await this.webSession(node, signal));
    }
    if (res.status !== 200) throw new Error(`/_status/ranges/local answered HTTP ${res.status}${grpcMessage(res.body)}`);
    try {
      return JSON.parse(res.body) as unknown;
    } catch {
      throw new Error("/_status/ranges/local did not answer JSON");
    }
  }

  /** The web session cookie, logging in on `node` when there is none yet (sessions are cluster-wide). */
  private async webSession(node: NodeSpec, signal?: AbortSignal): Promise<string> {
    if (this.webCookie !== undefined) return this.webCookie;
    if (this.sql.password === undefined)
      throw new Error("a secure cluster serves it to a logged-in web session only, and sql.password is not set to log in with");
    const base = this.httpUrl(node.httpAddr, "");
    this.webCookie = await webLogin(base, this.sql.user, this.sql.password, this.httpOpts(signal));
    return this.webCookie;
  }

  async close(): Promise<void> {
    await this.dropClient();
  }

  private httpUrl(addr: HostPort, path: string): string {
    return `${this.sql.insecure ? "http" : "https"}://${hostForUrl(addr.host)}:${addr.port}${path}`;
  }

  private httpOpts(signal?: AbortSignal) {
    return { timeoutMs: HTTP_TIMEOUT_MS, signal, ca: this.sql.tls?.ca, skipTlsVerify: this.sql.tls?.ca === undefined };
  }

  /** Runs one statement on the current gateway; on a connection-level failure, retries once per other node. */
  private async query(text: string, params: readonly unknown[] = []): Promise<Record<string, unknown>[]> {
    let lastError: Error | undefined;
    for (const node of this.gatewayCandidates()) {
      try {
        const client = await this.clientFor(node);
        // No parameters: the simple protocol, which also takes several statements (the backup hook).
        const res = params.length > 0 ? await client.query(text, [...params]) : await client.query(text);
        return Array.isArray(res) ? (res[res.length - 1]?.rows ?? []) : res.rows;
      } catch (e) {
        lastError = e as Error;
        if (e instanceof SessionRefused) throw e;
        if (isStatementError(e))
          throw new Error(`SQL on ${node.name}: ${withPrivilegeAdvice(lastError.message, (e as { code?: string }).code, this.sql.user)}`);
        await this.dropClient();
      }
    }
    throw new Error(
      `no SQL gateway answered (tried ${this.gatewayCandidates()
        .map((n) => n.name)
        .join(", ")}): ${lastError?.message ?? "no nodes"}`,
    );
  }

  /** The current gateway first, then the other non-avoided nodes in list order. */
  private gatewayCandidates(): NodeSpec[] {
    const usable = this.nodes.filter((n) => !this.avoided.has(n.name));
    const current = usable.find((n) => n.name === this.gatewayName);
    return current ? [current, ...usable.filter((n) => n !== current)] : usable;
  }

  private async clientFor(node: NodeSpec): Promise<Client> {
    if (this.client && this.gatewayName === node.name) return this.client;
    await this.dropClient();
    let client = await this.connect(node.sqlAddr, this.systemOption);
    // Session setup per gateway version and virtual cluster (sql-session.ts).
    let facts = await prepareSession(client).catch(async (e: unknown) => {
      await client.end().catch(() => undefined);
      throw e;
    });
    if (inApplicationCluster(facts) && !this.systemOption) {
      await client.end().catch(() => undefined);
      const landedIn = facts.virtualCluster as string;
      try {
        client = await this.connect(node.sqlAddr, true);
        facts = await prepareSession(client);
      } catch (e) {
        throw virtualClusterRefusal(node.name, landedIn, (e as Error).message);
      }
      if (inApplicationCluster(facts)) throw virtualClusterRefusal(node.name, landedIn, `it landed in "${facts.virtualCluster}"`);
      this.systemOption = true;
    }
    this.client = client;
    this.gatewayName = node.name;
    return client;
  }

  private async connect(addr: HostPort, systemCluster: boolean): Promise<Client> {
    const client = new Client({ ...this.clientConfig(addr), ...(systemCluster && { options: SYSTEM_CLUSTER_OPTION }) });
    // A dropped connection (node stopped) emits "error" on the client; without
    // a listener that would crash the process.
    client.on("error", () => void this.dropClient());
    await client.connect();
    return client;
  }

  private clientConfig(addr: HostPort): ClientConfig {
    const tls = this.sql.tls;
    return {
      host: addr.host,
      port: addr.port,
      user: this.sql.user,
      password: this.sql.password,
      database: this.sql.database,
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
      query_timeout: QUERY_TIMEOUT_MS,
      application_name: "pulumi-crdb-upgrade",
      ssl: this.sql.insecure
        ? false
        : { ca: tls?.ca, cert: tls?.cert, key: tls?.key, servername: tls?.serverName, rejectUnauthorized: tls?.ca !== undefined },
    };
  }

  private async dropClient(): Promise<void> {
    const c = this.client;
    this.client = undefined;
    this.gatewayName = undefined;
    if (c) await c.end().catch(() => undefined);
  }
}

/** A statement the server refused (it has a SQLSTATE) — another gateway would refuse it too — except "shutting down" codes. */
function isStatementError(e: unknown): boolean {
  const code = (e as { code?: unknown }).code;
  if (typeof code !== "string" || !/^[0-9A-Z]{5}$/.test(code)) return false;
  // 57P01 admin shutdown, 57P02/57P03, 08xxx connection exceptions: the node, not the statement.
  return !code.startsWith("57P") && !code.startsWith("08");
}

/** pg parses INTERVAL settings (server.shutdown.*) into objects; their Postgres text ("8 seconds") is what callers can read. */
function settingText(v: unknown): string {
  const toPostgres = (v as { toPostgres?: unknown } | null)?.toPostgres;
  if (typeof toPostgres === "function") return String(toPostgres.call(v));
  return String(v ?? "");
}

function checkedSetting(name: string): string {
  if (!SETTING_NAME_RE.test(name)) throw new Error(`refusing cluster setting name ${JSON.stringify(name)}`);
  return name;
}

function sqlString(v: string): string {
  return "'" + v.replace(/'/g, "''") + "'";
}

function hostForUrl(host: string): string {
  return host.includes(":") ? `[${host}]` : host;
}

/** The message of a 503 readiness answer (gRPC-gateway JSON), or the raw body. */
export function readinessMessage(body: string): string {
  try {
    const j = JSON.parse(body) as { message?: unknown; error?: unknown };
    return String(j.message ?? j.error ?? body).trim();
  } catch {
    return body.trim().slice(0, 200);
  }
}

export function toGossipRow(r: Record<string, unknown>): GossipRow {
  return {
    nodeId: Number(r.node_id),
    address: String(r.address ?? ""),
    sqlAddress: String(r.sql_address ?? ""),
    build: String(r.build_tag ?? ""),
    locality: String(r.locality ?? ""),
    isAvailable: toBool(r.is_available),
    isLive: toBool(r.is_live),
    draining: toBool(r.draining),
    membership: String(r.membership ?? "active"),
  };
}

function toBool(v: unknown): boolean {
  return v === true || v === "t" || v === "true";
}

/**
 * Matches listed nodes to the cluster's rows by SQL address (or RPC address:
 * the node's rpcAddr, or its SQL address where SQL shares the RPC port). Returns the row per node name
 * and the rows no listed node claims.
 */
export function matchNodes(
  nodes: readonly (Pick<NodeSpec, "name" | "sqlAddr"> & Partial<Pick<NodeSpec, "rpcAddr" | "rpcAddrGiven">>)[],
  rows: readonly GossipRow[],
): { readonly byName: ReadonlyMap<string, GossipRow>; readonly unlisted: readonly GossipRow[] } {
  const byName = new Map<string, GossipRow>();
  const claimed = new Set<number>();
  for (const n of nodes) {
    const want = `${n.sqlAddr.host}:${n.sqlAddr.port}`;
    const rpc = n.rpcAddr === undefined ? want : `${n.rpcAddr.host}:${n.rpcAddr.port}`;
    const row =
      rows.find((r) => !claimed.has(r.nodeId) && sameAddr(r.sqlAddress, want)) ??
      // By RPC address where the inputs name it (a proxy or NAT in front of SQL) or the row has no SQL
      // address; otherwise a listed sqlAddr the cluster reports differently is a wrong input, refused.
      rows.find((r) => !claimed.has(r.nodeId) && (n.rpcAddrGiven === true || r.sqlAddress === "") && sameAddr(r.address, rpc)) ??
      rows.find((r) => !claimed.has(r.nodeId) && sameAddr(r.address, want));
    if (row) {
      byName.set(n.name, row);
      claimed.add(row.nodeId);
    }
  }
  return { byName, unlisted: rows.filter((r) => !claimed.has(r.nodeId)) };
}

function sameAddr(a: string, b: string): boolean {
  const norm = (s: string) =>
    s
      .trim()
      .toLowerCase()
      .replace(/^\[(.*)\]:/, "$1:")
      .replace(/^localhost:/, "127.0.0.1:");
  return a !== "" && norm(a) === norm(b);
}
