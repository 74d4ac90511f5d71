/**
 * Compiling the array expressions: `ARRAY[...]`, `arr[i]`, and
 * `x <op> ANY|ALL (array | subquery)` with PostgreSQL's three-valued
 * results (ANY: true if one comparison is true, else NULL if one was NULL;
 * ALL the mirror image; an empty array gives false / true).
 */
import { SqlError, SqlType } from "../pgwire/types";
import { Expr, SelectStmt } from "./ast";
import { SqlArray, arrayTypeOf, elementTypeOf, isArrayType } from "./arrays";
import { CompileEnv, Compiled, coerce, compileExpr, unify } from "./compile";
import { CRDB_TYPE_NAMES } from "./casts";
import { resolveBinary } from "./operators";
import { SqlValue } from "./values";

export function compileArrayLiteral(elements: readonly Expr[], env: CompileEnv): Compiled {
  const items = unify(elements.map((e) => compileExpr(e, env)));
  const element: SqlType = items.length === 0 ? "text" : items[0].type;
  const type = arrayTypeOf(element);
  return {
    type,
    eval: (row) =>
      new SqlArray(
        items.map((c) => c.eval(row)),
        element,
      ),
  };
}

export function compileSubscript(argExpr: Expr, indexExpr: Expr, env: CompileEnv): Compiled {
  const arg = compileExpr(argExpr, env);
  if (!isArrayType(arg.type)) {
    throw new SqlError("42804", `cannot subscript type ${CRDB_TYPE_NAMES[arg.type]} because it is not an array`);
  }
  const index = coerce(compileExpr(indexExpr, env), "int8");
  if (index.type !== "int8") throw new SqlError("42804", `array subscript must have type int, found ${CRDB_TYPE_NAMES[index.type]}`);
  return {
    type: elementTypeOf(arg.type),
    eval: (row) => {
      const a = arg.eval(row) as SqlArray | null;
      const i = index.eval(row) as bigint | null;
      if (a === null || i === null) return null;
      return a.elements[Number(i) - 1] ?? null;
    },
  };
}

/** The right side of ANY/ALL: an array expression (untyped text takes the left side's array type) or a subquery's column. */
function quantifiedItems(
  left: Compiled,
  right: Expr | SelectStmt,
  env: CompileEnv,
): { element: SqlType; values: (row: readonly SqlValue[]) => readonly SqlValue[] | null } {
  if (right.kind === "select") {
    const rel = env.runSubquery(right);
    if (rel.columns.length !== 1) throw new SqlError("42601", `subquery has too many columns`);
    const values = rel.rows.map((r) => r[0]);
    return { element: rel.columns[0].type, values: () => values };
  }
  let arr = compileExpr(right, env);
  if (arr.untyped) arr = coerce(arr, arrayTypeOf(left.untyped ? "text" : left.type));
  if (!isArrayType(arr.type)) {
    throw new SqlError("42809", `op ANY/SOME/ALL (array) requires array on right side, found ${CRDB_TYPE_NAMES[arr.type]}`);
  }
  const a = arr;
  const element = elementTypeOf(arr.type);
  return { element, values: (row) => (a.eval(row) as SqlArray | null)?.elements ?? null };
}

export function compileQuantified(
  op: string,
  quantifier: "any" | "all",
  leftExpr: Expr,
  right: Expr | SelectStmt,
  env: CompileEnv,
): Compiled {
  let left = compileExpr(leftExpr, env);
  const items = quantifiedItems(left, right, env);
  left = coerce(left, items.element);
  const cmp = resolveBinary(op, left.type, items.element);
  const any = quantifier === "any";
  return {
    type: "bool",
    eval: (row) => {
      const values = items.values(row);
      if (values === null) return null;
      const l = left.eval(row);
      let sawNull = false;
      for (const v of values) {
        const r = cmp.fn(l, v);
        if (r === null) sawNull = true;
        else if (r === any) return any;
      }
      return sawNull ? null : !any;
    },
  };
}
