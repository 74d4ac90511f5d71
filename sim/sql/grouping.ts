/**
 * GROUP BY and aggregates. Rows are bucketed by the GROUP BY values; each
 * group becomes one synthetic row [group keys..., aggregate results...],
 * and the select list, HAVING and ORDER BY are compiled against that row:
 * aggregate calls and GROUP BY expressions read their slot, any other column
 * reference is an error (42803), as in PostgreSQL.
 */
import { SqlError } from "../pgwire/types";
import { Expr, OrderItem, SelectCore, SelectItem } from "./ast";
import { Accumulator, aggregateType, checkAggregateArgs, makeAccumulator } from "./aggregates";
import { CompileEnv, Compiled, compileExpr } from "./compile";
import { AGGREGATES } from "./functions";
import { ScopeColumn, resolveColumn } from "./scope";
import { QueryContext, makeEnv } from "./select";
import { SqlValue, valueKey } from "./values";

type FuncExpr = Extract<Expr, { kind: "func" }>;

function isAggregateCall(e: Expr): e is FuncExpr {
  return e.kind === "func" && AGGREGATES.has(e.name.replace(/^pg_catalog\./, ""));
}

/** Does the expression contain an aggregate call (outside of subqueries)? */
export function hasAggregates(e: Expr): boolean {
  return collectAggregates(e).length > 0;
}

function collectAggregates(e: Expr, out: FuncExpr[] = []): FuncExpr[] {
  if (isAggregateCall(e)) {
    out.push(e);
    return out;
  }
  for (const child of children(e)) collectAggregates(child, out);
  return out;
}

function children(e: Expr): Expr[] {
  switch (e.kind) {
    case "unary":
    case "isnull":
    case "isbool":
    case "cast":
      return [e.arg];
    case "binary":
      return [e.left, e.right];
    case "in":
      return Array.isArray(e.list) ? [e.arg, ...(e.list as Expr[])] : [e.arg];
    case "between":
      return [e.arg, e.low, e.high];
    case "like":
      return [e.arg, e.pattern];
    case "case":
      return [...(e.operand ? [e.operand] : []), ...e.whens.flatMap((w) => [w.when, w.then]), ...(e.else ? [e.else] : [])];
    case "func":
      return [...e.args];
    default:
      return [];
  }
}

const exprKey = (e: Expr): string => JSON.stringify(e, (_k, v) => (typeof v === "bigint" ? `${v}n` : v));

/** GROUP BY 1 and GROUP BY <alias> refer to select-list entries. */
function resolveGroupExpr(g: Expr, items: readonly SelectItem[], columns: readonly ScopeColumn[]): Expr {
  if (g.kind === "literal" && g.type === "int8") {
    const n = Number(g.value);
    if (n < 1 || n > items.length) throw new SqlError("42P10", `GROUP BY position ${n} is not in select list`);
    return items[n - 1].expr;
  }
  if (g.kind === "column" && g.parts.length === 1 && !columns.some((c) => c.name === g.parts[0])) {
    const item = items.find((i) => i.alias === g.parts[0]);
    if (item) return item.expr;
  }
  return g;
}

export interface GroupedInput {
  readonly env: CompileEnv;
  readonly rows: SqlValue[][];
}

export function groupRows(
  core: SelectCore,
  items: readonly SelectItem[],
  orderBy: readonly OrderItem[],
  columns: readonly ScopeColumn[],
  rows: readonly (readonly SqlValue[])[],
  qc: QueryContext,
): GroupedInput {
  const inputEnv = makeEnv(columns, qc, "aggregate arguments");
  const groupExprs = core.groupBy.map((g) => resolveGroupExpr(g, items, columns));
  const keys = groupExprs.map((g) => compileExpr(g, makeEnv(columns, qc, "GROUP BY")));
  const aggNodes = [...items.map((i) => i.expr), ...(core.having ? [core.having] : []), ...orderBy.map((o) => o.expr)].flatMap((e) =>
    collectAggregates(e),
  );
  const aggs = aggNodes.map((node) => {
    const args = node.args.map((a) => compileExpr(a, inputEnv));
    const name = node.name.replace(/^pg_catalog\./, "");
    checkAggregateArgs(
      name,
      node.star,
      args.map((a) => (a.untyped ? "text" : a.type)),
    );
    return { node, name, args, type: aggregateType(name, args[0]?.type) };
  });

  const groups = new Map<string, { keys: SqlValue[]; accs: Accumulator[] }>();
  const newGroup = (k: SqlValue[]): { keys: SqlValue[]; accs: Accumulator[] } => ({
    keys: k,
    accs: aggs.map((a) => makeAccumulator(a.name, a.node.star, a.node.distinct, a.args[0]?.type)),
  });
  if (groupExprs.length === 0) groups.set("", newGroup([]));
  for (const row of rows) {
    const k = keys.map((c) => c.eval(row));
    const id = k.map(valueKey).join("\u0001");
    let g = groups.get(id);
    if (g === undefined) groups.set(id, (g = newGroup(k)));
    aggs.forEach((a, i) => g!.accs[i].add(a.args.map((c) => c.eval(row))));
  }
  const synthetic = [...groups.values()].map((g) => [...g.keys, ...g.accs.map((a) => a.result())]);

  const groupKeyIndex = new Map(groupExprs.map((g, i) => [exprKey(g), i]));
  const groupColumnIndex = new Map<number, number>();
  groupExprs.forEach((g, i) => {
    if (g.kind === "column") groupColumnIndex.set(resolveColumn(columns, g.parts), i);
  });
  const override = (e: Expr): Compiled | undefined => {
    const aggIndex = aggNodes.indexOf(e as FuncExpr);
    if (aggIndex >= 0) {
      const slot = keys.length + aggIndex;
      return { type: aggs[aggIndex].type, eval: (row) => row[slot] };
    }
    const keyIndex = groupKeyIndex.get(exprKey(e));
    if (keyIndex !== undefined) return { type: keys[keyIndex].untyped ? "text" : keys[keyIndex].type, eval: (row) => row[keyIndex] };
    if (e.kind === "column") {
      const col = resolveColumn(columns, e.parts);
      const slot = groupColumnIndex.get(col);
      if (slot === undefined) {
        throw new SqlError("42803", `column "${e.parts.join(".")}" must appear in the GROUP BY clause or be used in an aggregate function`);
      }
      return { type: columns[col].type, eval: (row) => row[slot] };
    }
    return undefined;
  };
  const env: CompileEnv = { ...makeEnv(columns, qc), override };
  let groupedRows = synthetic;
  if (core.having) {
    const having = compileExpr(core.having, env);
    groupedRows = groupedRows.filter((r) => having.eval(r) === true);
  }
  return { env, rows: groupedRows };
}
