/**
 * What the cluster says about itself: SQL over pgwire (node membership,
 * liveness, builds, cluster settings) and each node's HTTP endpoint (/health,
 * /health?ready=1, /_status/vars). Reads only — the one write is cluster
 * settings (the finalization block), plus the user's own backup SQL hook.
 *
 * SQL goes through one gateway connection at a time (sql-gateway.ts); the
 * node list comes from gossip.ts.
 */
import { InvalidValue, ReadFailed } from "../core/errors";
import type { HostPort, NodeSpec, Spec } from "../core/types";
import { httpGet } from "../transport/http";
import { webLogin } from "./web-session";
import { buildTagOf, parsePrometheusText, sumSeries } from "./prometheus";
import { SqlGateway } from "./sql-gateway";
import { GOSSIP_SQL, toGossipRow, type GossipRow } from "./gossip";

export { matchNodes, toGossipRow, type GossipRow } from "./gossip";

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

/** Setting names we put into SQL text: checked against this pattern first (they cannot be parameters). */
const SETTING_NAME_RE = /^[a-z][a-z0-9_.]*$/;

const HTTP_TIMEOUT_MS = 3_000;
/** The series vars() reads; the others are skipped unparsed. */
const VARS_READ: ReadonlySet<string> = new Set([
  "build_timestamp",
  "ranges_underreplicated",
  "ranges_unavailable",
  "liveness_livenodes",
  "raftlog_behind",
]);
/** `/_status/ranges` and `/_status/raft` list replicas (the latter of every node): larger and slower than the other endpoints. */
const RANGES_TIMEOUT_MS = 10_000;
const RANGES_MAX_BYTES = 256 * 1024 * 1024;
const RAFT_DEBUG_GATEWAYS = 2;

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
  private readonly gateway: SqlGateway;
  /** `session=...` of the web session for the authenticated HTTP endpoints (secure clusters). */
  private webCookie?: string;

  constructor(
    private readonly sql: Spec["sql"],
    nodes: readonly NodeSpec[],
  ) {
    this.gateway = new SqlGateway(sql, nodes);
  }

  /** Stop using these nodes as SQL gateways (they are about to go down); closes a connection to them. */
  async avoid(names: readonly string[]): Promise<void> {
    await this.gateway.avoid(names);
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
    if (res.status !== 200) throw new ReadFailed(`/_status/vars answered HTTP ${res.status}`);
    const samples = parsePrometheusText(res.body, VARS_READ);
    return {
      build: buildTagOf(samples),
      underReplicated: sumSeries(samples, "ranges_underreplicated"),
      unavailable: sumSeries(samples, "ranges_unavailable"),
      liveNodes: sumSeries(samples, "liveness_livenodes"),
      raftLogBehind: sumSeries(samples, "raftlog_behind"),
    };
  }

  /**
   * `/_status/ranges/local` as JSON: this node's replicas with their Raft state.
   * Throws when the node does not answer 200 with JSON.
   */
  async ranges(node: NodeSpec, signal?: AbortSignal): Promise<unknown> {
    return this.statusJson(node, "/_status/ranges/local", signal);
  }

  /**
   * `/_status/raft` as JSON: every node's replicas, fanned out by the cluster itself (raft-debug.ts), asked
   * of the first of `gateways` that can be reached (normally the first: one request), trying at most
   * RAFT_DEBUG_GATEWAYS of them (a node that just went down; a slow cluster would be as slow through
   * any other). A node that answers with an error status is not retried elsewhere: another would answer
   * the same.
   */
  async raftDebug(gateways: readonly NodeSpec[], signal?: AbortSignal): Promise<unknown> {
    let lastError: Error | undefined;
    const tried = gateways.slice(0, RAFT_DEBUG_GATEWAYS);
    for (const node of tried) {
      try {
        return await this.statusJson(node, "/_status/raft", signal);
      } catch (e) {
        lastError = e as Error;
        if (e instanceof ReadFailed || signal?.aborted) throw e;
      }
    }
    throw new ReadFailed(
      `/_status/raft: no node answered (tried ${gateways.map((n) => n.name).join(", ")})`,
      lastError?.message ?? "no nodes",
    );
  }

  /**
   * A `/_status` endpoint as JSON. On a secure cluster CockroachDB serves these to a logged-in web session
   * only: we log in as sql.user with sql.password (web-session.ts), once per reader, again once after a 401.
   * Throws ReadFailed when the node answers anything but 200 with JSON; a connection error as it is.
   */
  private async statusJson(node: NodeSpec, path: string, signal?: AbortSignal): Promise<unknown> {
    const url = this.httpUrl(node.httpAddr, path);
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
    if (res.status !== 200) throw new ReadFailed(`${path} answered HTTP ${res.status}${grpcMessage(res.body)}`);
    try {
      return JSON.parse(res.body) as unknown;
    } catch {
      throw new ReadFailed(`${path} did not answer JSON`);
    }
  }

  /** The web session cookie, logging in on `node` when there is none yet (sessions are cluster-wide). */
  private async webSession(node: NodeSpec, signal?: AbortSignal): Promise<string> {
    if (this.webCookie !== undefined) return this.webCookie;
    if (this.sql.password === undefined)
      throw new ReadFailed("a secure cluster serves it to a logged-in web session only, and sql.password is not set to log in with");
    const base = this.httpUrl(node.httpAddr, "");
    this.webCookie = await webLogin(base, this.sql.user, this.sql.password, this.httpOpts(signal));
    return this.webCookie;
  }

  async close(): Promise<void> {
    await this.gateway.close();
  }

  private query(text: string, params: readonly unknown[] = []): Promise<Record<string, unknown>[]> {
    return this.gateway.query(text, params);
  }

  private httpUrl(addr: HostPort, path: string): string {
    return `${this.sql.insecure ? "http" : "https"}://${hostForUrl(addr.host)}:${addr.port}${path}`;
  }

  private httpOpts(signal?: AbortSignal) {
    return { timeoutMs: HTTP_TIMEOUT_MS, signal, ca: this.sql.tls?.ca, skipTlsVerify: this.sql.tls?.ca === undefined };
  }
}

/** pg parses INTERVAL settings (server.shutdown.*) into objects; their Postgres text ("8 seconds") is what callers can read. */
function settingText(v: unknown): string {
  const toPostgres = (v as { toPostgres?: unknown } | null)?.toPostgres;
  if (typeof toPostgres === "function") return String(toPostgres.call(v));
  return String(v ?? "");
}

function checkedSetting(name: string): string {
  if (!SETTING_NAME_RE.test(name)) throw new InvalidValue(`refusing cluster setting name ${JSON.stringify(name)}`);
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
