/**
 * SELECT execution over in-memory relations: FROM (tables, subqueries,
 * joins), WHERE, GROUP BY/aggregates/HAVING, the select list, DISTINCT,
 * UNION, ORDER BY, LIMIT/OFFSET. All data is already at hand (virtual
 * tables prefetched, user tables read inside the store transaction), so
 * this is synchronous.
 */
import { SqlError } from "../pgwire/types";
import { Expr, FromItem, OrderItem, SelectCore, SelectItem, SelectStmt } from "./ast";
import { CompileEnv, Compiled, compareForSort, compileExpr } from "./compile";
import { FunctionContext } from "./functions";
import { groupRows, hasAggregates } from "./grouping";
import { Relation, ScopeColumn, requalify, resolveColumn } from "./scope";
import { SqlValue, valueKey } from "./values";
import { castValue } from "./casts";
import { compileSelectItem, produceRows } from "./srf";

export interface QueryContext {
  readonly params: readonly unknown[];
  readonly fn: FunctionContext;
  /** Rows of a table or virtual table by its name as written; throws 42P01 if unknown. */
  table(name: readonly string[]): Relation;
}

export function makeEnv(columns: readonly ScopeColumn[], qc: QueryContext, clause?: string): CompileEnv {
  return { columns, params: qc.params, fn: qc.fn, clause, runSubquery: (s) => runSelect(s, qc) };
}

export function runSelect(stmt: SelectStmt, qc: QueryContext): Relation {
  if (stmt.unions.length === 0) return finishRows(runCore(stmt.core, qc, stmt.orderBy), stmt, qc);
  let result: Relation = runCore(stmt.core, qc, []);
  for (const u of stmt.unions) {
    const next = runCore(u.core, qc, []);
    if (next.columns.length !== result.columns.length) {
      throw new SqlError(
        "42601",
        `each UNION query must have the same number of columns: ${result.columns.length} vs ${next.columns.length}`,
      );
    }
    const rows = [...result.rows, ...next.rows.map((r) => r.map((v, i) => castValue(v, next.columns[i].type, result.columns[i].type)))];
    result = { columns: result.columns, rows: u.all ? rows : distinctRows(rows) };
  }
  const keyed = { ...result, sortKeys: outputOrderKeys(stmt.orderBy, result.columns, result.rows) };
  return finishRows(keyed, stmt, qc);
}

interface KeyedRelation extends Relation {
  /** One sort key vector per row, for ORDER BY. */
  readonly sortKeys: readonly (readonly SqlValue[])[];
}

function finishRows(rel: KeyedRelation, stmt: SelectStmt, qc: QueryContext): Relation {
  let order = rel.rows.map((_, i) => i);
  if (stmt.orderBy.length > 0) {
    order = order.sort((a, b) => {
      for (let k = 0; k < stmt.orderBy.length; k++) {
        const o = stmt.orderBy[k];
        const c = compareForSort(rel.sortKeys[a][k], rel.sortKeys[b][k], o.desc, o.nullsFirst);
        if (c !== 0) return c;
      }
      return a - b;
    });
  }
  const offset = stmt.offset ? count(stmt.offset, qc, "OFFSET") : 0;
  const limit = stmt.limit ? count(stmt.limit, qc, "LIMIT") : Infinity;
  const rows = order.slice(offset, offset + limit).map((i) => rel.rows[i]);
  return { columns: rel.columns, rows };
}

function count(e: Expr, qc: QueryContext, what: string): number {
  const c = compileExpr(e, makeEnv([], qc, what));
  const v = castValue(c.eval([]), c.untyped ? "text" : c.type, "int8");
  if (v === null) return what === "LIMIT" ? Infinity : 0;
  if ((v as bigint) < 0n) throw new SqlError("2201W", `negative value for ${what}`);
  return Number(v);
}

function distinctRows(rows: readonly (readonly SqlValue[])[]): (readonly SqlValue[])[] {
  const seen = new Set<string>();
  return rows.filter((r) => {
    const k = r.map(valueKey).join("\u0001");
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** ORDER BY over a finished result: by ordinal or output column name only. */
function outputOrderKeys(
  orderBy: readonly OrderItem[],
  columns: readonly ScopeColumn[],
  rows: readonly (readonly SqlValue[])[],
): SqlValue[][] {
  const idx = orderBy.map(
    (o) =>
      outputIndex(o.expr, columns) ??
      (() => {
        throw new SqlError("42P10", "invalid ORDER BY for UNION: use a column name or ordinal");
      })(),
  );
  return rows.map((r) => idx.map((i) => r[i]));
}

/** ORDER BY 2 or ORDER BY <output name> refers to an output column; anything else is an expression. */
function outputIndex(e: Expr, columns: readonly ScopeColumn[]): number | undefined {
  if (e.kind === "literal" && e.type === "int8") {
    const n = Number(e.value);
    if (n < 1 || n > columns.length) throw new SqlError("42P10", `ORDER BY position ${n} is not in select list`);
    return n - 1;
  }
  if (e.kind === "column" && e.parts.length === 1) {
    const matches = columns.map((c, i) => (c.name === e.parts[0] ? i : -1)).filter((i) => i >= 0);
    if (matches.length === 1) return matches[0];
  }
  return undefined;
}

function runCore(core: SelectCore, qc: QueryContext, orderBy: readonly OrderItem[]): KeyedRelation {
  const source = core.from ? evalFrom(core.from, qc) : { columns: [], rows: [[]] };
  let rows = source.rows;
  if (core.where) {
    const where = compileExpr(core.where, makeEnv(source.columns, qc, "WHERE"));
    rows = rows.filter((r) => where.eval(r) === true);
  }
  const items = expandStars(core.items, source.columns);
  const aggregated =
    core.groupBy.length > 0 ||
    core.having !== undefined ||
    [...items.map((i) => i.expr), ...orderBy.map((o) => o.expr)].some(hasAggregates);
  // In aggregate mode, expressions are evaluated over one synthetic row per group.
  const grouped = aggregated ? groupRows(core, items, orderBy, source.columns, rows, qc) : undefined;
  const env = grouped?.env ?? makeEnv(source.columns, qc);
  const inputRows = grouped?.rows ?? rows;
  const compiled = items.map((it) => compileSelectItem(it.expr, env));
  const columns: ScopeColumn[] = compiled.map((c, i) => ({
    name: items[i].alias ?? deriveName(items[i].expr),
    type: c.untyped ? "text" : c.type,
    qualifiers: [],
  }));
  const produced = produceRows(inputRows, compiled);
  let outRows = produced.map((p) => p.out);
  const orderKeys = orderBy.map((o) => {
    const i = outputIndex(o.expr, columns);
    if (i !== undefined) return (_in: readonly SqlValue[], out: readonly SqlValue[]) => out[i];
    const c: Compiled = compileExpr(o.expr, env);
    return (input: readonly SqlValue[]) => c.eval(input);
  });
  let sortKeys = produced.map((p) => orderKeys.map((k) => k(p.input, p.out)));
  if (core.distinct) {
    const seen = new Set<string>();
    const keep = outRows.map((r) => {
      const k = r.map(valueKey).join("\u0001");
      if (seen.has(k)) return false;
      seen.add(k);
      return true;
    });
    outRows = outRows.filter((_, i) => keep[i]);
    sortKeys = sortKeys.filter((_, i) => keep[i]);
  }
  return { columns, rows: outRows, sortKeys };
}

function expandStars(items: readonly SelectItem[], columns: readonly ScopeColumn[]): SelectItem[] {
  const out: SelectItem[] = [];
  for (const item of items) {
    if (item.expr.kind !== "star") {
      out.push(item);
      continue;
    }
    const table = item.expr.table;
    const picked = columns.map((c, i) => ({ c, i })).filter(({ c }) => !c.hidden && (table === undefined || c.qualifiers.includes(table)));
    if (table !== undefined && picked.length === 0) throw new SqlError("42P01", `no data source matches pattern: ${table}.*`);
    if (table === undefined && columns.length === 0) throw new SqlError("42602", 'cannot use "*" without a FROM clause');
    for (const { c } of picked) {
      const parts = c.qualifiers.length > 0 && countByName(columns, c.name) > 1 ? [c.qualifiers[0], c.name] : [c.name];
      out.push({ expr: { kind: "column", parts }, alias: c.name });
    }
  }
  return out;
}

function countByName(columns: readonly ScopeColumn[], name: string): number {
  return columns.filter((c) => c.name === name).length;
}

/** Output column name when there is no alias, as CockroachDB derives it. */
export function deriveName(e: Expr): string {
  switch (e.kind) {
    case "column":
      return e.parts[e.parts.length - 1];
    case "func":
      return e.name;
    case "cast":
      return e.arg.kind === "column" || e.arg.kind === "func" || e.arg.kind === "cast" ? deriveName(e.arg) : e.type;
    case "case":
      return "case";
    case "exists":
      return "exists";
    default:
      return "?column?";
  }
}

function evalFrom(item: FromItem, qc: QueryContext): Relation {
  switch (item.kind) {
    case "table": {
      const rel = qc.table(item.name);
      return { columns: requalify(rel.columns, item.alias ?? item.name[item.name.length - 1]), rows: rel.rows };
    }
    case "subquery": {
      const rel = runSelect(item.select, qc);
      return { columns: requalify(rel.columns, item.alias), rows: rel.rows };
    }
    case "join":
      return evalJoin(item, qc);
  }
}

function evalJoin(j: Extract<FromItem, { kind: "join" }>, qc: QueryContext): Relation {
  const left = evalFrom(j.left, qc);
  const right = evalFrom(j.right, qc);
  if (j.using) return usingJoin(j.type, j.using, left, right);
  const columns = [...left.columns, ...right.columns];
  const on = j.on ? compileExpr(j.on, makeEnv(columns, qc, "ON")) : undefined;
  const matches = (l: readonly SqlValue[], r: readonly SqlValue[]): boolean => on === undefined || on.eval([...l, ...r]) === true;
  return { columns, rows: nestedLoop(j.type, left, right, matches) };
}

function nestedLoop(
  type: string,
  left: Relation,
  right: Relation,
  matches: (l: readonly SqlValue[], r: readonly SqlValue[]) => boolean,
): SqlValue[][] {
  const rows: SqlValue[][] = [];
  const rightMatched = new Set<number>();
  const nullsL = left.columns.map(() => null);
  const nullsR = right.columns.map(() => null);
  for (const l of left.rows) {
    let any = false;
    right.rows.forEach((r, ri) => {
      if (!matches(l, r)) return;
      any = true;
      rightMatched.add(ri);
      rows.push([...l, ...r]);
    });
    if (!any && (type === "left" || type === "full")) rows.push([...l, ...nullsR]);
  }
  if (type === "right" || type === "full") right.rows.forEach((r, ri) => rightMatched.has(ri) || rows.push([...nullsL, ...r]));
  return rows;
}

/** JOIN ... USING (cols): the USING columns come first, once, then the other columns of each side. */
function usingJoin(type: string, using: readonly string[], left: Relation, right: Relation): Relation {
  const li = using.map((u) => usingIndex(left.columns, u));
  const ri = using.map((u) => usingIndex(right.columns, u));
  const restL = left.columns.map((_, i) => i).filter((i) => !li.includes(i));
  const restR = right.columns.map((_, i) => i).filter((i) => !ri.includes(i));
  const columns: ScopeColumn[] = [
    ...using.map((u, k) => ({
      name: u,
      type: left.columns[li[k]].type,
      qualifiers: [...left.columns[li[k]].qualifiers, ...right.columns[ri[k]].qualifiers],
    })),
    ...restL.map((i) => left.columns[i]),
    ...restR.map((i) => right.columns[i]),
  ];
  const keyOf = (row: readonly SqlValue[], idx: number[]): string | undefined =>
    idx.some((i) => row[i] === null) ? undefined : idx.map((i) => valueKey(row[i])).join("\u0001");
  const byKey = new Map<string, number[]>();
  right.rows.forEach((r, n) => {
    const k = keyOf(r, ri);
    if (k !== undefined) byKey.set(k, [...(byKey.get(k) ?? []), n]);
  });
  const rows: SqlValue[][] = [];
  const rightMatched = new Set<number>();
  for (const l of left.rows) {
    const k = keyOf(l, li);
    const hits = k === undefined ? [] : (byKey.get(k) ?? []);
    for (const n of hits) {
      rightMatched.add(n);
      const r = right.rows[n];
      rows.push([...li.map((i) => l[i]), ...restL.map((i) => l[i]), ...restR.map((i) => r[i])]);
    }
    if (hits.length === 0 && (type === "left" || type === "full"))
      rows.push([...li.map((i) => l[i]), ...restL.map((i) => l[i]), ...restR.map(() => null)]);
  }
  if (type === "right" || type === "full") {
    right.rows.forEach((r, n) => {
      if (!rightMatched.has(n)) rows.push([...ri.map((i) => r[i]), ...restL.map(() => null), ...restR.map((i) => r[i])]);
    });
  }
  return { columns, rows };
}

function usingIndex(columns: readonly ScopeColumn[], name: string): number {
  try {
    return resolveColumn(columns, [name]);
  } catch (e) {
    if (e instanceof SqlError && e.code === "42703")
      throw new SqlError("42703", `column "${name}" specified in USING clause does not exist`);
    throw e;
  }
}
