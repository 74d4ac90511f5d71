/**
 * The CLI's SQL connection: pgwire to `--host` (or `--url`), as the real
 * `cockroach` client commands use since v2.1. Results come back as text
 * cells (booleans printed `true`/`false` as cockroach does), and connection
 * failures become the CLI's "cannot dial server" error.
 */
// Types only here: `pg` (~40 ms of CPU to load) is required when a connection opens, so `cockroach node drain`,
// which shares resolveTarget but speaks RPC, does not pay for it on every node of a roll.
import type { Client, QueryArrayResult } from "pg";
import { Cell, Table } from "./format";
import { CliError, cannotDial, dialCause } from "./errors";
import { ParsedArgs, flagString } from "./flags";
import { ClientSecurity, resolveSecurity, sqlTls } from "./client-security";

export interface Target {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly database: string;
  readonly security: ClientSecurity;
  /** From `--url` (user:password@host); never printed. */
  readonly password?: string;
}

const BOOL_OID = 16;

/** `--host h[:p]`, `--port`, `--url`, `--user`; CockroachDB's defaults otherwise. */
export function resolveTarget(p: ParsedArgs, database = "defaultdb"): Target {
  const security = resolveSecurity(p);
  const url = flagString(p, "url");
  if (url) {
    const u = new URL(url);
    return {
      host: u.hostname,
      port: Number(u.port || 26257),
      user: decodeURIComponent(u.username || "root"),
      database: u.pathname.slice(1) || database,
      security,
      ...(u.password && { password: decodeURIComponent(u.password) }),
    };
  }
  const hostFlag = flagString(p, "host") ?? process.env.COCKROACH_HOST ?? "localhost";
  const m = /^\[?([^\]]*?)\]?(?::(\d+))?$/.exec(hostFlag);
  const host = m?.[1] || "localhost";
  const port = Number(m?.[2] ?? flagString(p, "port") ?? process.env.COCKROACH_PORT ?? 26257);
  return { host, port, user: flagString(p, "user") ?? "root", database, security };
}

export class SqlConn {
  private constructor(private readonly client: Client) {}

  /**
   * `internals`: the CLI's own introspection queries (node ls/status, debug
   * zip) read crdb_internal, so the session allows it where the server has
   * the guard's variable (v25.4+; a 42704 from an older server is ignored).
   * A user's `cockroach sql` session never gets it.
   */
  static async open(target: Target, applicationName: string, opts: { readonly internals?: boolean } = {}): Promise<SqlConn> {
    const { Client } = await import("pg");
    const client = new Client({
      host: target.host,
      port: target.port,
      user: target.user,
      database: target.database,
      application_name: applicationName,
      connectionTimeoutMillis: 10_000,
      ssl: sqlTls(target.security, target.user),
      ...(target.password !== undefined && { password: target.password }),
    });
    client.on("error", () => undefined);
    try {
      await client.connect();
    } catch (e) {
      throw toCliError(e, `${target.host}:${target.port}`);
    }
    if (opts.internals) {
      await client.query("SET allow_unsafe_internals = true").catch((e: { code?: string }) => {
        if (e.code !== "42704") throw toCliError(e, "");
      });
    }
    return new SqlConn(client);
  }

  /** Runs one statement (parameters use the extended protocol) and returns text cells. */
  async query(sql: string, params: readonly unknown[] = []): Promise<Table & { command: string; rowCount: number | null }> {
    try {
      const res = (await this.client.query({ text: sql, values: [...params], rowMode: "array", types: RAW_TEXT })) as QueryArrayResult;
      return toTable(res);
    } catch (e) {
      throw toCliError(e, "");
    }
  }

  /**
   * Runs a string that may hold several statements (simple protocol); one
   * table per statement, with the full command tag ("CREATE TABLE", "INSERT 0 2")
   * taken from the CommandComplete messages (pg keeps only the first word).
   */
  async exec(sql: string): Promise<(Table & { command: string; rowCount: number | null })[]> {
    const tags: string[] = [];
    const connection = (this.client as unknown as { connection: NodeJS.EventEmitter }).connection;
    const onTag = (msg: { text?: string }): number => tags.push(msg.text ?? "");
    connection.on("commandComplete", onTag);
    try {
      const res = (await this.client.query({ text: sql, rowMode: "array", types: RAW_TEXT })) as unknown as
        QueryArrayResult | QueryArrayResult[];
      return (Array.isArray(res) ? res : [res]).map((r, i) => ({ ...toTable(r), command: tags[i] ?? r.command ?? "" }));
    } catch (e) {
      throw toCliError(e, "");
    } finally {
      connection.off("commandComplete", onTag);
    }
  }

  async close(): Promise<void> {
    await this.client.end().catch(() => undefined);
  }
}

const RAW_TEXT = { getTypeParser: () => (v: string) => v };

function toTable(res: QueryArrayResult): Table & { command: string; rowCount: number | null } {
  const fields = res.fields ?? [];
  const rows = (res.rows ?? []).map((r) =>
    (r as unknown[]).map((v, i): Cell => {
      if (v === null || v === undefined) return null;
      const text = String(v);
      if (fields[i]?.dataTypeID === BOOL_OID) return text === "t" ? "true" : text === "f" ? "false" : text;
      return text;
    }),
  );
  return { headers: fields.map((f) => f.name), rows, command: res.command ?? "", rowCount: res.rowCount };
}

function toCliError(e: unknown, addr: string): CliError {
  const err = e as NodeJS.ErrnoException & { code?: string; severity?: string };
  if (err.code && /^[0-9A-Z]{5}$/.test(err.code) && err.severity) return new CliError(err.message, err.code);
  if (err.code === "ECONNREFUSED" || err.code === "ETIMEDOUT" || err.code === "EHOSTUNREACH" || err.code === "ECONNRESET") {
    return cannotDial(addr || "server", dialCause(err));
  }
  if (/timeout/i.test(err.message)) return cannotDial(addr || "server", "i/o timeout");
  return new CliError(err.message);
}
