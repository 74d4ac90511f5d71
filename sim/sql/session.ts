/**
 * Session variables (SET/SHOW/RESET <var>, USE) and the cluster-level
 * statements delegated to ClusterHooks (SHOW/SET/RESET CLUSTER SETTING,
 * SHOW CLUSTER SETTINGS, BACKUP).
 */
import { PgSession, QueryResult, SqlError } from "../pgwire/types";
import { Expr } from "./ast";
import { compileExpr } from "./compile";
import { unsupported } from "./errors";
import { ClusterHooks } from "./hooks";
import { QueryContext, makeEnv } from "./select";
import { Decimal } from "./decimal";
import { SqlValue, normalizeValue, valueToText } from "./values";
import { UNSAFE_INTERNALS_VAR, isOn } from "./unsafe-internals";

/** Per-connection state, keyed on the PgSession object. */
export class SessionState {
  database: string;
  readonly vars = new Map<string, string>();
  /** The virtual cluster the session landed in; undefined before it is known or without virtual clusters. */
  virtualCluster: string | undefined;
  clusterResolved = false;

  constructor(readonly session: PgSession) {
    this.database = session.database || "defaultdb";
    if (session.applicationName !== undefined) this.vars.set("application_name", session.applicationName);
  }
}

/** Session variables CockroachDB knows, with their defaults; unknown names are 42704. */
function defaults(state: SessionState, hooks: ClusterHooks): Record<string, string> {
  const user = state.session.user;
  return {
    application_name: "",
    database: state.database,
    timezone: "UTC",
    transaction_isolation: "serializable",
    default_transaction_isolation: "serializable",
    server_version: "13.0.0",
    server_version_num: "130000",
    client_encoding: "UTF8",
    datestyle: "ISO, MDY",
    intervalstyle: "postgres",
    statement_timeout: "0",
    lock_timeout: "0",
    idle_in_transaction_session_timeout: "0",
    idle_session_timeout: "0",
    search_path: '"$user", public',
    standard_conforming_strings: "on",
    extra_float_digits: "0",
    client_min_messages: "notice",
    default_transaction_read_only: "off",
    transaction_read_only: "off",
    transaction_priority: "normal",
    sql_safe_updates: "false",
    default_int_size: "8",
    session_user: user,
    is_superuser: user === "root" ? "on" : "off",
    crdb_version: `CockroachDB CCL ${hooks.buildTag?.() ?? `v${hooks.nodeExecutableVersion()}.0`}`,
    node_id: String(hooks.nodeId?.() ?? 1),
    vectorize: "on",
    distsql: "auto",
    optimizer: "on",
    role: "none",
    integer_datetimes: "on",
    results_buffer_size: "16384",
    enable_implicit_transaction_for_batch_statements: "on",
    ...internalsVar(hooks),
    ...(state.virtualCluster !== undefined && { virtual_cluster_name: state.virtualCluster }),
  };
}

/** `allow_unsafe_internals` exists from v25.4 (./unsafe-internals.ts). */
function internalsVar(hooks: ClusterHooks): Record<string, string> {
  const guard = hooks.internalsGuard?.();
  return guard?.variableExists ? { [UNSAFE_INTERNALS_VAR]: guard.defaultAllowed ? "on" : "off" } : {};
}

const READ_ONLY = new Set([
  "server_version",
  "server_version_num",
  "session_user",
  "is_superuser",
  "crdb_version",
  "node_id",
  "integer_datetimes",
  "virtual_cluster_name",
]);

const ALIASES: Record<string, string> = {
  "time zone": "timezone",
  names: "client_encoding",
  transaction_isolation_level: "transaction_isolation",
};

function varName(raw: string): string {
  const n = raw.toLowerCase();
  return ALIASES[n] ?? n;
}

function unknownVar(name: string): SqlError {
  return new SqlError("42704", `unrecognized configuration parameter "${name}"`);
}

export function showVar(rawName: string, state: SessionState, hooks: ClusterHooks): QueryResult {
  const name = varName(rawName);
  const d = defaults(state, hooks);
  if (name === "all") {
    const names = Object.keys(d).sort();
    return {
      command: "SHOW",
      columns: [
        { name: "variable", type: "text" },
        { name: "value", type: "text" },
      ],
      rows: names.map((n) => [n, state.vars.get(n) ?? d[n]]),
      rowCount: names.length,
    };
  }
  if (!(name in d)) throw unknownVar(name);
  const value = name === "database" ? state.database : (state.vars.get(name) ?? d[name]);
  return { command: "SHOW", columns: [{ name, type: "text" }], rows: [[value]], rowCount: 1 };
}

/** Text of SET values: bare words and strings as written, numbers as digits, several joined by ", ". */
function setValueText(values: readonly Expr[], qc: QueryContext): string {
  return values
    .map((e) => {
      const c = compileExpr(e, makeEnv([], qc, "SET"));
      return valueToText(c.eval([]), c.type);
    })
    .join(", ");
}

export function setVar(rawName: string, values: readonly Expr[], state: SessionState, hooks: ClusterHooks, qc: QueryContext): QueryResult {
  const name = varName(rawName);
  if (name === "transaction") return { command: "SET", columns: [], rows: [] };
  const d = defaults(state, hooks);
  if (!(name in d)) throw unknownVar(name);
  if (READ_ONLY.has(name)) throw new SqlError("55P02", `parameter "${name}" cannot be changed`);
  let text = setValueText(values, qc);
  if (name === UNSAFE_INTERNALS_VAR) {
    if (!/^(on|off|true|false|t|f|yes|no|1|0)$/i.test(text))
      throw new SqlError("22023", `parameter "${name}" requires a Boolean value`, `${text} is a string`);
    text = isOn(text) ? "on" : "off";
  }
  if (name === "database") state.database = text;
  else state.vars.set(name, text);
  return { command: "SET", columns: [], rows: [] };
}

export function resetVar(rawName: string, state: SessionState, hooks: ClusterHooks): QueryResult {
  const name = varName(rawName);
  if (name === "all") state.vars.clear();
  else if (!(name in defaults(state, hooks))) throw unknownVar(name);
  else if (name === "database") state.database = state.session.database || "defaultdb";
  else state.vars.delete(name);
  return { command: "RESET", columns: [], rows: [] };
}

export async function showClusterSetting(rawName: string, hooks: ClusterHooks): Promise<QueryResult> {
  const name = rawName.toLowerCase();
  const { type, value } = await hooks.showSetting(name);
  // CockroachDB names the single result column after the setting: `version`, `cluster.preserve_downgrade_option`.
  return { command: "SHOW CLUSTER SETTING", columns: [{ name, type }], rows: [[normalizeValue(value, type)]], rowCount: 1 };
}

export async function showClusterSettings(hooks: ClusterHooks): Promise<QueryResult> {
  if (hooks.listSettings === undefined) throw unsupported("SHOW CLUSTER SETTINGS");
  const settings = [...(await hooks.listSettings())].sort((a, b) => (a.name < b.name ? -1 : 1));
  return {
    command: "SHOW CLUSTER SETTINGS",
    columns: ["variable", "value", "setting_type", "description"].map((name) => ({ name, type: "text" as const })),
    rows: settings.map((s) => [s.name, s.value, s.type, s.description]),
    rowCount: settings.length,
  };
}

/** Values reach the hook as plain JS: string, number (integers and decimals), boolean, or null for RESET/DEFAULT. */
function hostValue(v: SqlValue): unknown {
  if (typeof v === "bigint") return Number(v);
  if (v instanceof Decimal) return v.toNumber();
  if (v === null || typeof v === "string" || typeof v === "number" || typeof v === "boolean") return v;
  return valueToText(v);
}

export async function setClusterSetting(rawName: string, value: Expr | null, hooks: ClusterHooks, qc: QueryContext): Promise<QueryResult> {
  const name = rawName.toLowerCase();
  let v: unknown = null;
  if (value !== null) {
    const c = compileExpr(value, makeEnv([], qc, "SET CLUSTER SETTING"));
    v = hostValue(c.eval([]));
  }
  await hooks.setSetting(name, v);
  return { command: "SET CLUSTER SETTING", columns: [], rows: [] };
}

export async function backup(text: string, hooks: ClusterHooks): Promise<QueryResult> {
  if (hooks.backup === undefined) throw unsupported("BACKUP");
  return hooks.backup(text);
}
