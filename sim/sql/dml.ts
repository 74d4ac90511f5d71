/** INSERT / UPSERT / UPDATE / DELETE on user tables, each inside one store transaction. */
import { QueryResult, SqlError, SqlType } from "../pgwire/types";
import { Expr, SelectItem, Statement } from "./ast";
import { castValue } from "./casts";
import { Compiled, compileExpr } from "./compile";
import { Cursor } from "./cursor";
import { duplicateKey } from "./errors";
import { exprs } from "./parse-select";
import { ScopeColumn, resolveColumn } from "./scope";
import { QueryContext, deriveName, makeEnv, runSelect } from "./select";
import { StoreTx, StoredRow, TableSchema, decodeCell, encodeCell } from "./store";
import { SqlValue, valueKey, valueToText } from "./values";

type Insert = Extract<Statement, { kind: "insert" }>;
type Update = Extract<Statement, { kind: "update" }>;
type Delete = Extract<Statement, { kind: "delete" }>;

export interface DmlContext {
  readonly tx: StoreTx;
  readonly qc: QueryContext;
  readonly schema: TableSchema;
}

function tableColumns(schema: TableSchema, alias?: string): ScopeColumn[] {
  const qualifiers = alias ? [schema.name, alias] : [schema.name];
  return schema.columns.map((c) => ({ name: c.name, type: c.type, qualifiers, hidden: c.hidden }));
}

function assign(value: SqlValue, from: Compiled | SqlType, column: { name: string; type: SqlType }): SqlValue {
  const fromType = typeof from === "string" ? from : from.untyped ? "text" : from.type;
  return castValue(value, fromType, column.type);
}

function checkNotNull(schema: TableSchema, row: readonly SqlValue[]): void {
  schema.columns.forEach((c, i) => {
    if (c.notNull && row[i] === null) throw new SqlError("23502", `null value in column "${c.name}" violates not-null constraint`);
  });
}

function pkIndexes(schema: TableSchema): number[] {
  return schema.primaryKey.map((k) => schema.columns.findIndex((c) => c.name === k));
}

function rowKey(schema: TableSchema, row: readonly SqlValue[]): string {
  return pkIndexes(schema)
    .map((i) => valueKey(row[i]))
    .join("\u0001");
}

function conflict(schema: TableSchema, row: readonly SqlValue[]): SqlError {
  const idx = pkIndexes(schema);
  return duplicateKey(
    schema.name,
    schema.primaryKey,
    idx.map((i) => valueToText(row[i], schema.columns[i].type)),
  );
}

function store(ctx: DmlContext, key: string, row: readonly SqlValue[]): void {
  ctx.tx.put(
    ctx.schema.database,
    ctx.schema.name,
    key,
    row.map((v, i) => encodeCell(v, ctx.schema.columns[i].type)),
  );
}

function parseDefault(sql: string): Expr {
  const c = new Cursor(sql);
  const e = exprs(c).expr();
  if (!c.isEnd()) c.fail();
  return e;
}

function returning(
  items: readonly SelectItem[] | undefined,
  columns: ScopeColumn[],
  rows: SqlValue[][],
  qc: QueryContext,
  command: string,
): QueryResult {
  if (items === undefined) return { command, columns: [], rows: [], rowCount: rows.length };
  const expanded: SelectItem[] = items.flatMap((it) =>
    it.expr.kind === "star"
      ? columns.filter((c) => !c.hidden).map((c) => ({ expr: { kind: "column", parts: [c.name] } as Expr, alias: c.name }))
      : [it],
  );
  const env = makeEnv(columns, qc, "RETURNING");
  const compiled = expanded.map((it) => compileExpr(it.expr, env));
  return {
    command,
    columns: compiled.map((c, i) => ({ name: expanded[i].alias ?? deriveName(expanded[i].expr), type: c.untyped ? "text" : c.type })),
    rows: rows.map((r) => compiled.map((c) => c.eval(r))),
    rowCount: rows.length,
  };
}

export function runInsert(stmt: Insert, ctx: DmlContext): QueryResult {
  const { schema, qc } = ctx;
  const columns = tableColumns(schema);
  const targets = (stmt.columns ?? schema.columns.filter((c) => !c.hidden).map((c) => c.name)).map((name) =>
    resolveColumn(columns, [name]),
  );
  if (new Set(targets).size !== targets.length) throw new SqlError("42701", "multiple assignments to the same column");
  const defaults = schema.columns.map((c) =>
    c.defaultSql ? compileExpr(parseDefault(c.defaultSql), makeEnv([], qc, "DEFAULT")) : undefined,
  );
  const affected: SqlValue[][] = [];
  for (const source of sourceRows(stmt, targets.length, qc)) {
    const row: SqlValue[] = schema.columns.map((_, i) => defaults[i]?.eval([]) ?? null);
    targets.forEach((col, k) => {
      const v = source[k];
      if (v !== "default") row[col] = assign(v.value, v.from, schema.columns[col]);
    });
    checkNotNull(schema, row);
    const key = rowKey(schema, row);
    const existing = ctx.tx.get(schema.database, schema.name, key);
    if (existing === undefined) {
      store(ctx, key, row);
      affected.push(row);
    } else if (stmt.upsert) {
      const old = decodeStored(schema, existing);
      targets.forEach((col) => (old[col] = row[col]));
      store(ctx, key, old);
      affected.push(old);
    } else if (stmt.onConflict) {
      const updated = onConflictUpdate(stmt, ctx, decodeStored(schema, existing), row);
      if (updated) {
        store(ctx, key, updated);
        affected.push(updated);
      }
    } else throw conflict(schema, row);
  }
  return returning(stmt.returning, columns, affected, qc, "INSERT");
}

type SourceCell = "default" | { readonly value: SqlValue; readonly from: Compiled | SqlType };

function sourceRows(stmt: Insert, width: number, qc: QueryContext): SourceCell[][] {
  if (stmt.select) {
    const rel = runSelect(stmt.select, qc);
    if (rel.columns.length !== width)
      throw new SqlError("42601", `INSERT has ${rel.columns.length > width ? "more" : "fewer"} expressions than target columns`);
    return rel.rows.map((r) => r.map((value, i) => ({ value, from: rel.columns[i].type })));
  }
  const env = makeEnv([], qc, "VALUES");
  return (stmt.rows ?? []).map((exprRow) => {
    if (exprRow.length !== width && !(exprRow.length === 0 && stmt.rows!.length === 1)) {
      throw new SqlError(
        "42601",
        `INSERT has ${exprRow.length > width ? "more" : "fewer"} expressions than target columns, ${exprRow.length} expressions for ${width} targets`,
      );
    }
    if (exprRow.length === 0) return Array.from({ length: width }, (): SourceCell => "default");
    return exprRow.map((e): SourceCell => {
      if (e === "default") return "default";
      const c = compileExpr(e, env);
      return { value: c.eval([]), from: c };
    });
  });
}

function decodeStored(schema: TableSchema, stored: StoredRow): SqlValue[] {
  return schema.columns.map((c, i) => decodeCell(stored[i] ?? null, c.type));
}

/** ON CONFLICT DO NOTHING (undefined) or DO UPDATE SET ... with `excluded.*` the proposed row. */
function onConflictUpdate(stmt: Insert, ctx: DmlContext, existing: SqlValue[], proposed: SqlValue[]): SqlValue[] | undefined {
  const oc = stmt.onConflict!;
  if (oc.updates.length === 0) return undefined;
  const columns = [
    ...tableColumns(ctx.schema),
    ...ctx.schema.columns.map((c) => ({ name: c.name, type: c.type, qualifiers: ["excluded"] })),
  ];
  const env = makeEnv(columns, ctx.qc, "ON CONFLICT");
  const both = [...existing, ...proposed];
  if (oc.where && compileExpr(oc.where, env).eval(both) !== true) return undefined;
  const next = [...existing];
  for (const a of oc.updates) {
    const col = resolveColumn(tableColumns(ctx.schema), [a.column]);
    const c = compileExpr(a.expr, env);
    next[col] = assign(c.eval(both), c, ctx.schema.columns[col]);
  }
  if (rowKey(ctx.schema, next) !== rowKey(ctx.schema, existing))
    throw new SqlError("0A000", "unimplemented: ON CONFLICT DO UPDATE changing the primary key");
  checkNotNull(ctx.schema, next);
  return next;
}

export function runUpdate(stmt: Update, ctx: DmlContext, current: SqlValue[][]): QueryResult {
  const { schema, qc } = ctx;
  const columns = tableColumns(schema, stmt.alias);
  const env = makeEnv(columns, qc, "UPDATE");
  const where = stmt.where ? compileExpr(stmt.where, makeEnv(columns, qc, "WHERE")) : undefined;
  const sets = stmt.sets.map((s) => ({ col: resolveColumn(columns, [s.column]), expr: compileExpr(s.expr, env) }));
  const affected: SqlValue[][] = [];
  for (const row of current) {
    if (where && where.eval(row) !== true) continue;
    const next = [...row];
    for (const s of sets) next[s.col] = assign(s.expr.eval(row), s.expr, schema.columns[s.col]);
    checkNotNull(schema, next);
    const oldKey = rowKey(schema, row);
    const newKey = rowKey(schema, next);
    if (newKey !== oldKey) {
      if (ctx.tx.get(schema.database, schema.name, newKey) !== undefined) throw conflict(schema, next);
      ctx.tx.delete(schema.database, schema.name, oldKey);
    }
    store(ctx, newKey, next);
    affected.push(next);
  }
  return returning(stmt.returning, columns, affected, qc, "UPDATE");
}

export function runDelete(stmt: Delete, ctx: DmlContext, current: SqlValue[][]): QueryResult {
  const { schema, qc } = ctx;
  const columns = tableColumns(schema, stmt.alias);
  const where = stmt.where ? compileExpr(stmt.where, makeEnv(columns, qc, "WHERE")) : undefined;
  const affected = current.filter((row) => !where || where.eval(row) === true);
  for (const row of affected) ctx.tx.delete(schema.database, schema.name, rowKey(schema, row));
  return returning(stmt.returning, columns, affected, qc, "DELETE");
}
