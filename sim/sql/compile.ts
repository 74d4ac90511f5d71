/**
 * Compiles expression trees into closures over a row, resolving column
 * references, types and operators once. Untyped values (string literals,
 * NULL, text parameters) take the type their context asks for, as in
 * PostgreSQL: `id = $1` compares as INT, `ts > '2024-01-01'` as TIMESTAMP.
 */
import { SqlError, SqlType } from "../pgwire/types";
import { Expr, SelectStmt } from "./ast";
import { castValue } from "./casts";
import { compileArrayLiteral, compileQuantified, compileSubscript } from "./compile-arrays";
import { Decimal } from "./decimal";
import { undefinedFunction } from "./errors";
import { AGGREGATES, FUNCTIONS, FunctionContext } from "./functions";
import { resolveBinary } from "./operators";
import { Relation, ScopeColumn, resolveColumn } from "./scope";
import { Interval, JsonValue, SqlValue, compareValues, valueToText } from "./values";

export interface Compiled {
  readonly type: SqlType;
  /** True for string literals, NULL and text parameters: they adapt to the other operand's type. */
  readonly untyped?: boolean;
  eval(row: readonly SqlValue[]): SqlValue;
}

export interface CompileEnv {
  readonly columns: readonly ScopeColumn[];
  readonly params: readonly unknown[];
  readonly fn: FunctionContext;
  runSubquery(select: SelectStmt): Relation;
  /** Aggregate mode: supplies readers for aggregate calls and GROUP BY expressions. */
  override?(e: Expr, env: CompileEnv): Compiled | undefined;
  /** Where aggregates are not allowed, the clause name for the error ("WHERE"). */
  readonly clause?: string;
}

const NUMERIC_RANK: Partial<Record<SqlType, number>> = { int8: 0, numeric: 1, float8: 2 };

export function compileExpr(e: Expr, env: CompileEnv): Compiled {
  const o = env.override?.(e, env);
  if (o !== undefined) return o;
  switch (e.kind) {
    case "literal":
      return compileLiteral(e.value, e.type);
    case "param":
      return compileParam(e.index, env);
    case "column": {
      const i = resolveColumn(env.columns, e.parts);
      return { type: env.columns[i].type, eval: (row) => row[i] };
    }
    case "star":
      throw new SqlError("42601", '"*" is not allowed here');
    case "unary":
      return compileUnary(e.op, compileExpr(e.arg, env));
    case "binary":
      return compileBinary(e.op, compileExpr(e.left, env), compileExpr(e.right, env));
    case "isnull": {
      const a = compileExpr(e.arg, env);
      return { type: "bool", eval: (row) => (a.eval(row) === null) !== e.not };
    }
    case "isbool": {
      const a = coerce(compileExpr(e.arg, env), "bool");
      return { type: "bool", eval: (row) => (a.eval(row) === e.value) !== e.not };
    }
    case "in":
      return compileIn(e.arg, e.list, e.not, env);
    case "between": {
      const arg = compileExpr(e.arg, env);
      const ge = compileBinary(">=", arg, compileExpr(e.low, env));
      const le = compileBinary("<=", arg, compileExpr(e.high, env));
      const both = compileLogic("and", ge, le);
      return e.not ? compileUnary("not", both) : both;
    }
    case "like":
      return compileLike(coerce(compileExpr(e.arg, env), "text"), coerce(compileExpr(e.pattern, env), "text"), e.not, e.caseInsensitive);
    case "case":
      return compileCase(e, env);
    case "cast": {
      const a = compileExpr(e.arg, env);
      return { type: e.type, eval: (row) => castValue(a.eval(row), a.type, e.type) };
    }
    case "func":
      return compileCall(e.name, e.args, e.star, env);
    case "subquery":
      return compileScalarSubquery(env.runSubquery(e.select));
    case "exists": {
      const found = env.runSubquery(e.select).rows.length > 0;
      return { type: "bool", eval: () => found !== e.not };
    }
    case "array":
      return compileArrayLiteral(e.elements, env);
    case "subscript":
      return compileSubscript(e.arg, e.index, env);
    case "quantified":
      return compileQuantified(e.op, e.quantifier, e.left, e.right, env);
  }
}

function compileLiteral(value: null | boolean | string | number | bigint, type: SqlType): Compiled {
  if (value === null) return { type: "text", untyped: true, eval: () => null };
  if (type === "numeric") {
    const d = Decimal.parse(String(value));
    return { type, eval: () => d ?? null };
  }
  return { type, untyped: type === "text", eval: () => value };
}

function compileParam(index: number, env: CompileEnv): Compiled {
  if (index < 1 || index > env.params.length) throw new SqlError("42P02", `no value provided for placeholder: $${index}`);
  const v = env.params[index - 1];
  if (v === null || v === undefined || typeof v === "string") return { type: "text", untyped: true, eval: () => (v ?? null) as SqlValue };
  if (typeof v === "bigint" || (typeof v === "number" && Number.isInteger(v))) return { type: "int8", eval: () => BigInt(v) };
  if (typeof v === "number") return { type: "float8", eval: () => v };
  if (typeof v === "boolean") return { type: "bool", eval: () => v };
  if (v instanceof Date) return { type: "timestamptz", eval: () => v };
  if (Buffer.isBuffer(v)) return { type: "bytea", eval: () => v };
  if (v instanceof Decimal) return { type: "numeric", eval: () => v };
  return { type: "jsonb", eval: () => new JsonValue(v) };
}

/** Gives an untyped operand a concrete type; typed operands pass through. */
export function coerce(c: Compiled, type: SqlType): Compiled {
  if (!c.untyped || type === "text") return c.untyped && type === "text" ? { type, eval: c.eval } : c;
  return { type, eval: (row) => castValue(c.eval(row), "text", type) };
}

/** Brings operands to one type: untyped ones adopt the first typed type; numbers widen INT < DECIMAL < FLOAT. */
export function unify(items: readonly Compiled[]): Compiled[] {
  const typed = items.filter((c) => !c.untyped);
  if (typed.length === 0) return items.map((c) => coerce(c, "text"));
  let target = typed[0].type;
  for (const c of typed) {
    const a = NUMERIC_RANK[target];
    const b = NUMERIC_RANK[c.type];
    if (a !== undefined && b !== undefined && b > a) target = c.type;
  }
  return items.map((c) => {
    if (c.untyped) return coerce(c, target);
    if (c.type !== target && NUMERIC_RANK[c.type] !== undefined && NUMERIC_RANK[target] !== undefined) {
      return { type: target, eval: (row: readonly SqlValue[]) => castValue(c.eval(row), c.type, target) };
    }
    return c;
  });
}

function compileUnary(op: "-" | "+" | "not", a: Compiled): Compiled {
  if (op === "not") {
    const b = coerce(a, "bool");
    if (b.type !== "bool") throw new SqlError("42804", `argument of NOT must be type bool, not type ${b.type}`);
    return {
      type: "bool",
      eval: (row) => {
        const v = b.eval(row);
        return v === null ? null : !v;
      },
    };
  }
  const n = a.untyped ? coerce(a, "numeric") : a;
  if (op === "+") return n;
  return {
    type: n.type,
    eval: (row) => {
      const v = n.eval(row);
      if (v === null) return null;
      if (v instanceof Decimal) return v.neg();
      if (typeof v === "bigint") return -v;
      if (typeof v === "number") return -v;
      if (v instanceof Interval) return new Interval(-v.micros);
      throw new SqlError("22023", `unsupported unary operator: -<${n.type}>`);
    },
  };
}

function compileLogic(op: "and" | "or", l: Compiled, r: Compiled): Compiled {
  const a = coerce(l, "bool");
  const b = coerce(r, "bool");
  for (const x of [a, b]) {
    if (x.type !== "bool") throw new SqlError("42804", `argument of ${op.toUpperCase()} must be type bool, not type ${x.type}`);
  }
  if (op === "and") {
    return {
      type: "bool",
      eval: (row) => {
        const x = a.eval(row);
        if (x === false) return false;
        const y = b.eval(row);
        return y === false ? false : x === null || y === null ? null : true;
      },
    };
  }
  return {
    type: "bool",
    eval: (row) => {
      const x = a.eval(row);
      if (x === true) return true;
      const y = b.eval(row);
      return y === true ? true : x === null || y === null ? null : false;
    },
  };
}

export function compileBinary(op: string, l: Compiled, r: Compiled): Compiled {
  if (op === "and" || op === "or") return compileLogic(op, l, r);
  let [a, b] = [l, r];
  if (op === "->" || op === "->>") {
    a = coerce(a, "jsonb");
    b = b.untyped ? coerce(b, "text") : b;
  } else if (op === "||") {
    if (a.untyped && b.type === "jsonb") a = coerce(a, "jsonb");
    if (b.untyped && a.type === "jsonb") b = coerce(b, "jsonb");
  } else if (a.untyped && b.untyped && ["+", "-", "*", "/", "%", "//"].includes(op)) {
    [a, b] = [coerce(a, "numeric"), coerce(b, "numeric")];
  } else {
    [a, b] = unify([a, b]);
  }
  const resolved = resolveBinary(op, a.type, b.type);
  const ea = a.eval;
  const eb = b.eval;
  return { type: resolved.type, eval: (row) => resolved.fn(ea(row), eb(row)) };
}

function compileIn(argExpr: Expr, list: readonly Expr[] | SelectStmt, not: boolean, env: CompileEnv): Compiled {
  let arg = compileExpr(argExpr, env);
  let items: Compiled[];
  if (Array.isArray(list)) {
    items = list.map((x) => compileExpr(x, env));
  } else {
    const rel = env.runSubquery(list as SelectStmt);
    if (rel.columns.length !== 1) throw new SqlError("42601", `subquery has too many columns`);
    const type = rel.columns[0].type;
    items = rel.rows.map((r) => ({ type, eval: () => r[0] }));
    if (items.length === 0) return { type: "bool", eval: () => not };
  }
  const unified = unify([arg, ...items]);
  arg = unified[0];
  const eqs = unified.slice(1).map((item) => compileBinary("=", arg, item));
  return {
    type: "bool",
    eval: (row) => {
      let sawNull = false;
      for (const eq of eqs) {
        const v = eq.eval(row);
        if (v === true) return !not;
        if (v === null) sawNull = true;
      }
      return sawNull ? null : not;
    },
  };
}

function likeRegex(pattern: string, caseInsensitive: boolean): RegExp {
  let re = "";
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i];
    if (ch === "\\" && i + 1 < pattern.length) re += pattern[++i].replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    else if (ch === "%") re += "[\\s\\S]*";
    else if (ch === "_") re += "[\\s\\S]";
    else re += ch.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  }
  return new RegExp(`^${re}$`, caseInsensitive ? "i" : "");
}

function compileLike(arg: Compiled, pattern: Compiled, not: boolean, ci: boolean): Compiled {
  const cache = new Map<string, RegExp>();
  return {
    type: "bool",
    eval: (row) => {
      const v = arg.eval(row);
      const p = pattern.eval(row);
      if (v === null || p === null) return null;
      const ps = valueToText(p, pattern.type);
      let re = cache.get(ps);
      if (re === undefined) cache.set(ps, (re = likeRegex(ps, ci)));
      return re.test(valueToText(v, arg.type)) !== not;
    },
  };
}

function compileCase(e: Extract<Expr, { kind: "case" }>, env: CompileEnv): Compiled {
  const operand = e.operand ? compileExpr(e.operand, env) : undefined;
  const conds = e.whens.map((w) =>
    operand ? compileBinary("=", operand, compileExpr(w.when, env)) : coerce(compileExpr(w.when, env), "bool"),
  );
  const results = unify([...e.whens.map((w) => compileExpr(w.then, env)), ...(e.else ? [compileExpr(e.else, env)] : [])]);
  const elseResult = e.else ? results[results.length - 1] : undefined;
  const type = results[0].type;
  return {
    type,
    eval: (row) => {
      for (let i = 0; i < conds.length; i++) if (conds[i].eval(row) === true) return results[i].eval(row);
      return elseResult ? elseResult.eval(row) : null;
    },
  };
}

function compileCall(rawName: string, argExprs: readonly Expr[], star: boolean, env: CompileEnv): Compiled {
  const name = rawName.replace(/^pg_catalog\./, "");
  if (AGGREGATES.has(name)) {
    throw new SqlError("42803", `aggregate functions are not allowed in ${env.clause ?? "this context"}`);
  }
  const def = FUNCTIONS[name];
  if (def === undefined) throw undefinedFunction(name);
  let args = argExprs.map((a) => compileExpr(a, env));
  if (star || args.length < def.minArgs || args.length > def.maxArgs) {
    throw new SqlError("42883", `unknown signature: ${name}(${star ? "*" : args.map((a) => a.type).join(", ")})`);
  }
  args = def.common ? unify(args) : args.map((a) => (a.untyped ? coerce(a, "text") : a));
  const types = args.map((a) => a.type);
  const type = def.returns(types);
  return {
    type,
    eval: (row) => {
      const values = args.map((a) => a.eval(row));
      if (def.strict && values.some((v) => v === null)) return null;
      return def.call(values, types, env.fn);
    },
  };
}

function compileScalarSubquery(rel: Relation): Compiled {
  if (rel.columns.length !== 1) throw new SqlError("42601", `subquery must return only one column, found ${rel.columns.length}`);
  if (rel.rows.length > 1) throw new SqlError("21000", "more than one row returned by a subquery used as an expression");
  const v = rel.rows.length === 0 ? null : rel.rows[0][0];
  return { type: rel.columns[0].type, eval: () => v };
}

/** Sort comparator helper shared by ORDER BY: NULLs first ascending unless told otherwise. */
export function compareForSort(a: SqlValue, b: SqlValue, desc: boolean, nullsFirst?: boolean): number {
  if (a === null || b === null) {
    if (a === b) return 0;
    const first = nullsFirst ?? !desc;
    return (a === null) === first ? -1 : 1;
  }
  const c = compareValues(a, b);
  return desc ? -c : c;
}
