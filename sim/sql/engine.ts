/**
 * SqlEngine: runs CockroachDB-flavoured SQL for the simulator's pgwire server.
 *
 *   const engine = new SqlEngine(hooks, new MemoryTableStore());   // or new JsonFileTableStore(path)
 *   const results = await engine.execute(sql, params, session);    // one QueryResult per statement
 *
 * - `hooks` (ClusterHooks, ./hooks.ts) supplies crdb_internal.* virtual tables,
 *   cluster settings, versions, BACKUP and the clock.
 * - `store` (TableStore, ./store.ts) holds user tables; each statement is one
 *   atomic store transaction.
 * - A multi-statement string is parsed whole first (a syntax error anywhere
 *   runs nothing), then run in order; if statement N>1 fails, a
 *   StatementBatchError carries the results of the ones before it.
 * - Errors are SqlErrors with CockroachDB's SQLSTATEs and messages (./errors.ts).
 * - Session state (SET variables, USE) is kept per PgSession object.
 */
import { PgSession, QueryResult, SqlError, StatementBatchError, toSqlError } from "../pgwire/types";
import { SelectStmt, Statement } from "./ast";
import { callsFunction, prefetch, readUserTable, resolveTableName, tableRefs } from "./catalog";
import { UNSAFE_INTERNALS_VAR, checkUnsafeInternals } from "./unsafe-internals";
import { checkVirtualCluster } from "./virtual-cluster";
import { createDatabase, createTable, dropDatabase, dropTables, showDatabases, showTables, userTableName } from "./ddl";
import { runDelete, runInsert, runUpdate } from "./dml";
import { undefinedDatabase, undefinedTable } from "./errors";
import { FunctionContext } from "./functions";
import { ClusterHooks } from "./hooks";
import { parseStatements } from "./parse-statement";
import { Relation } from "./scope";
import { QueryContext, runSelect } from "./select";
import { SessionState, backup, resetVar, setClusterSetting, setVar, showClusterSetting, showClusterSettings, showVar } from "./session";
import { StoreTx, TableStore } from "./store";
import { runRoleStatement } from "./roles";

type DmlStatement = Extract<Statement, { kind: "insert" | "update" | "delete" }>;

export class SqlEngine {
  private readonly sessions = new WeakMap<PgSession, SessionState>();
  private lastRowidTime = 0n;

  constructor(
    private readonly hooks: ClusterHooks,
    private readonly store: TableStore,
  ) {}

  async execute(sql: string, params: readonly unknown[], session: PgSession): Promise<QueryResult[]> {
    let statements;
    try {
      statements = parseStatements(sql);
    } catch (e) {
      throw toSqlError(e);
    }
    const state = this.sessionState(session);
    if (!state.clusterResolved) {
      state.virtualCluster = await this.hooks.sessionCluster?.(session);
      state.clusterResolved = true;
    }
    const results: QueryResult[] = [];
    for (const { stmt, text } of statements) {
      try {
        results.push(await this.executeOne(stmt, text, params, state));
      } catch (e) {
        const err = toSqlError(e);
        throw results.length === 0 ? err : new StatementBatchError(results, err);
      }
    }
    return results;
  }

  private sessionState(session: PgSession): SessionState {
    let s = this.sessions.get(session);
    if (s === undefined) this.sessions.set(session, (s = new SessionState(session)));
    return s;
  }

  private async executeOne(stmt: Statement, text: string, params: readonly unknown[], state: SessionState): Promise<QueryResult> {
    const hooks = this.hooks;
    switch (stmt.kind) {
      case "select":
      case "insert":
      case "update":
      case "delete":
        return this.runQuery(stmt, params, state);
      case "create-table":
        return this.store.transact((tx) =>
          createTable(stmt, tx, state.database, this.queryContext(params, state, this.functionContext(state), tx)),
        );
      case "create-database":
        return this.store.transact((tx) => createDatabase(stmt.name, stmt.ifNotExists, tx));
      case "drop-table":
        return this.store.transact((tx) => dropTables(stmt.names, stmt.ifExists, tx, state.database));
      case "drop-database":
        return this.store.transact((tx) => dropDatabase(stmt.name, stmt.ifExists, tx));
      case "show-databases":
        return this.store.transact((tx) => showDatabases(tx));
      case "show-tables":
        return this.store.transact((tx) => showTables(tx, stmt.database ?? state.database));
      case "show-cluster-setting":
        return showClusterSetting(stmt.name, hooks);
      case "show-cluster-settings":
        return showClusterSettings(hooks);
      case "set-cluster-setting":
        return setClusterSetting(stmt.name, stmt.value, hooks, await this.exprContext(stmt, params, state));
      case "show-var":
        return showVar(stmt.name, state, hooks);
      case "set-var": {
        const result = setVar(stmt.name, stmt.values, state, hooks, await this.exprContext(stmt, params, state));
        if (stmt.name === "database") await this.checkDatabase(state.database, state);
        return result;
      }
      case "reset-var":
        return resetVar(stmt.name, state, hooks);
      case "use":
        await this.checkDatabase(stmt.database);
        state.database = stmt.database;
        return { command: "SET", columns: [], rows: [] };
      case "backup":
        return backup(text, hooks);
      case "create-role":
      case "alter-role":
      case "drop-role":
      case "show-users":
        return runRoleStatement(stmt, hooks, await this.exprContext(stmt, params, state));
      case "transaction":
        // No isolation is simulated: statements apply immediately; only the tags matter to clients.
        return { command: stmt.command, columns: [], rows: [] };
    }
  }

  private async checkDatabase(name: string, revert?: SessionState): Promise<void> {
    const exists = await this.store.transact((tx) => tx.listDatabases().includes(name) || name === "system");
    if (exists) return;
    if (revert) revert.database = revert.session.database || "defaultdb";
    throw undefinedDatabase(name);
  }

  private async runQuery(stmt: SelectStmt | DmlStatement, params: readonly unknown[], state: SessionState): Promise<QueryResult> {
    checkUnsafeInternals(stmt, this.hooks.internalsGuard?.(), state.vars.get(UNSAFE_INTERNALS_VAR));
    checkVirtualCluster(stmt, state.virtualCluster);
    for (const parts of tableRefs(stmt)) {
      const refusal = parts.length >= 2 ? this.hooks.tableAccessRefusal?.(parts.slice(-2).join("."), state.session.user) : undefined;
      if (refusal) throw refusal;
    }
    const { virtual, needsStore } = await prefetch(stmt, state.database, this.hooks);
    const fn = await this.functionContextFor(stmt, state);
    const run = (tx: StoreTx | undefined): QueryResult => {
      const qc = this.queryContext(params, state, fn, tx, virtual);
      if (stmt.kind === "select") {
        const rel = runSelect(stmt, qc);
        return {
          command: "SELECT",
          columns: rel.columns.map((c) => ({ name: c.name, type: c.type })),
          rows: rel.rows,
          rowCount: rel.rows.length,
        };
      }
      return this.runDml(stmt, qc, tx!, state);
    };
    return needsStore ? this.store.transact((tx) => run(tx)) : run(undefined);
  }

  private runDml(stmt: DmlStatement, qc: QueryContext, tx: StoreTx, state: SessionState): QueryResult {
    const resolved = resolveTableName(stmt.table, state.database, this.hooks);
    if (resolved.kind === "virtual") {
      throw new SqlError(
        "42501",
        `user ${state.session.user} does not have ${stmt.kind.toUpperCase()} privilege on relation ${stmt.table[stmt.table.length - 1]}`,
      );
    }
    const schema = tx.getTable(resolved.database, resolved.name);
    if (schema === undefined) throw undefinedTable(stmt.table.join("."));
    const ctx = { tx, qc, schema };
    if (stmt.kind === "insert") return runInsert(stmt, ctx);
    const current = readUserTable(tx, schema).rows.map((r) => [...r]);
    return stmt.kind === "update" ? runUpdate(stmt, ctx, current) : runDelete(stmt, ctx, current);
  }

  /** Context for statements whose expressions read no tables (SET values). */
  private async exprContext(stmt: Statement, params: readonly unknown[], state: SessionState): Promise<QueryContext> {
    return this.queryContext(params, state, await this.functionContextFor(stmt, state), undefined);
  }

  private queryContext(
    params: readonly unknown[],
    state: SessionState,
    fn: FunctionContext,
    tx: StoreTx | undefined,
    virtual = new Map<string, Relation>(),
  ): QueryContext {
    return {
      params,
      fn,
      table: (parts) => {
        const pre = virtual.get(parts.join("."));
        if (pre !== undefined) return pre;
        const t = userTableName(parts, state.database);
        const schema = tx?.getTable(t.database, t.name);
        if (schema === undefined) throw undefinedTable(parts.join("."));
        return readUserTable(tx!, schema);
      },
    };
  }

  private async functionContextFor(stmt: Statement, state: SessionState): Promise<FunctionContext> {
    const needsActive = callsFunction(stmt, "crdb_internal.active_version");
    return this.functionContext(state, needsActive ? await this.hooks.activeVersion() : undefined);
  }

  private functionContext(state: SessionState, activeVersion?: FunctionContext["activeVersion"]): FunctionContext {
    const hooks = this.hooks;
    return {
      now: hooks.now(),
      nodeExecutableVersion: hooks.nodeExecutableVersion(),
      buildTag: hooks.buildTag?.() ?? `v${hooks.nodeExecutableVersion()}.0`,
      activeVersion,
      user: state.session.user,
      database: state.database,
      uniqueRowid: () => this.uniqueRowid(),
    };
  }

  /** CockroachDB's layout: (time in 10µs units) << 15 | node id; strictly increasing per process. */
  private uniqueRowid(): bigint {
    let t = BigInt(this.hooks.now().getTime()) * 100n;
    if (t <= this.lastRowidTime) t = this.lastRowidTime + 1n;
    this.lastRowidTime = t;
    return (t << 15n) | BigInt((this.hooks.nodeId?.() ?? 1) & 0x7fff);
  }
}
