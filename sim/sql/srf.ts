/**
 * Set-returning functions in the select list: `SELECT range_id,
 * unnest(replicas) FROM ...` yields one row per array element, the other
 * items repeated (PostgreSQL 10+ and CockroachDB semantics; with several
 * unnest items the longest array sets the row count and shorter ones pad
 * with NULL; an empty or NULL array yields no row).
 */
import { SqlError } from "../pgwire/types";
import { Expr } from "./ast";
import { SqlArray, elementTypeOf, isArrayType } from "./arrays";
import { CRDB_TYPE_NAMES } from "./casts";
import { CompileEnv, Compiled, coerce, compileExpr } from "./compile";
import { SqlValue } from "./values";

export interface SelectItemCompiled extends Compiled {
  /** The item is `unnest(array)`: its value is the array to expand. */
  readonly setReturning?: boolean;
}

export function compileSelectItem(e: Expr, env: CompileEnv): SelectItemCompiled {
  if (e.kind !== "func" || e.name.replace(/^pg_catalog\./, "") !== "unnest" || env.override?.(e, env) !== undefined) {
    return compileExpr(e, env);
  }
  if (e.args.length !== 1 || e.star) throw new SqlError("42883", `unknown signature: unnest() with ${e.args.length} arguments`);
  let arg = compileExpr(e.args[0], env);
  if (arg.untyped) arg = coerce(arg, "text[]");
  if (!isArrayType(arg.type)) throw new SqlError("42883", `unknown signature: unnest(${CRDB_TYPE_NAMES[arg.type]})`);
  return { type: elementTypeOf(arg.type), eval: arg.eval, setReturning: true };
}

export interface ProducedRow {
  readonly input: readonly SqlValue[];
  readonly out: readonly SqlValue[];
}

/** Evaluates the select list over each input row, expanding unnest items into rows. */
export function produceRows(inputRows: readonly (readonly SqlValue[])[], items: readonly SelectItemCompiled[]): ProducedRow[] {
  const srf = items.map((c) => c.setReturning === true);
  const produced: ProducedRow[] = [];
  for (const input of inputRows) {
    const out = items.map((c) => c.eval(input));
    if (!srf.includes(true)) {
      produced.push({ input, out });
      continue;
    }
    const arrays = out.map((v, j) => (srf[j] ? ((v as SqlArray | null)?.elements ?? []) : undefined));
    const n = Math.max(...arrays.map((a) => a?.length ?? 0));
    for (let i = 0; i < n; i++) produced.push({ input, out: out.map((v, j) => (srf[j] ? (arrays[j]![i] ?? null) : v)) });
  }
  return produced;
}
