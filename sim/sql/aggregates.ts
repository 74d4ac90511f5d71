/** Aggregate functions: result types and per-group accumulators. */
import { SqlError, SqlType } from "../pgwire/types";
import { Decimal } from "./decimal";
import { Interval, JsonValue, SqlValue, compareValues, valueKey, valueToText } from "./values";
import { SqlArray, arrayTypeOf } from "./arrays";

export interface Accumulator {
  add(args: readonly SqlValue[]): void;
  result(): SqlValue;
}

/** CockroachDB's result types: sum/avg of INT are DECIMAL, count is INT. */
export function aggregateType(name: string, argType: SqlType | undefined): SqlType {
  switch (name) {
    case "count":
      return "int8";
    case "sum":
      return argType === "float8" ? "float8" : argType === "interval" ? "interval" : "numeric";
    case "avg":
      return argType === "float8" ? "float8" : argType === "interval" ? "interval" : "numeric";
    case "bool_and":
    case "bool_or":
    case "every":
      return "bool";
    case "string_agg":
      return "text";
    case "array_agg":
      return argType === "int8" || argType === "text" ? arrayTypeOf(argType) : "jsonb";
    case "json_agg":
    case "jsonb_agg":
      return "jsonb";
    default:
      return argType ?? "text";
  }
}

export function checkAggregateArgs(name: string, star: boolean, argTypes: readonly SqlType[]): void {
  const expected = name === "string_agg" ? 2 : 1;
  if (star ? name !== "count" : argTypes.length !== expected) {
    throw new SqlError("42883", `unknown signature: ${name}(${star ? "*" : argTypes.join(", ")})`);
  }
  const numeric = ["int8", "numeric", "float8", "interval"];
  if ((name === "sum" || name === "avg") && !numeric.includes(argTypes[0])) {
    throw new SqlError("42883", `unknown signature: ${name}(${argTypes[0]})`);
  }
}

function toDecimal(v: SqlValue): Decimal {
  return v instanceof Decimal ? v : typeof v === "bigint" ? Decimal.fromBigInt(v) : Decimal.fromNumber(v as number);
}

export function makeAccumulator(name: string, star: boolean, distinct: boolean, argType: SqlType | undefined): Accumulator {
  const seen = new Set<string>();
  const values: SqlValue[] = [];
  /** string_agg's (value, separator) pairs; the separator may differ per row. */
  const pieces: [string, string][] = [];
  let count = 0;
  return {
    add(args: readonly SqlValue[]): void {
      if (star) {
        count++;
        return;
      }
      const v = args[0];
      if (v === null) return;
      if (distinct) {
        const k = valueKey(v);
        if (seen.has(k)) return;
        seen.add(k);
      }
      count++;
      if (name === "string_agg") pieces.push([valueToText(v, argType), args[1] === null ? "" : valueToText(args[1])]);
      else values.push(v);
    },
    result(): SqlValue {
      if (name === "string_agg") return pieces.length === 0 ? null : pieces.map(([s, sep], i) => (i === 0 ? s : sep + s)).join("");
      return finish(name, argType, count, values);
    },
  };
}

function finish(name: string, argType: SqlType | undefined, count: number, values: SqlValue[]): SqlValue {
  switch (name) {
    case "count":
      return BigInt(count);
    case "sum":
    case "avg": {
      if (values.length === 0) return null;
      if (argType === "float8") {
        const s = values.reduce<number>((a, v) => a + (v as number), 0);
        return name === "sum" ? s : s / values.length;
      }
      if (argType === "interval") {
        const s = values.reduce<number>((a, v) => a + (v as Interval).micros, 0);
        return new Interval(name === "sum" ? s : s / values.length);
      }
      const s = values.reduce<Decimal>((a, v) => a.add(toDecimal(v)), new Decimal(0n, 0));
      return name === "sum" ? s : s.div(Decimal.fromBigInt(BigInt(values.length)));
    }
    case "min":
    case "max": {
      const sign = name === "min" ? -1 : 1;
      return values.reduce<SqlValue>((best, v) => (best === null || compareValues(v, best) * sign > 0 ? v : best), null);
    }
    case "bool_and":
    case "every":
      return values.length === 0 ? null : values.every((v) => v === true);
    case "bool_or":
      return values.length === 0 ? null : values.some((v) => v === true);
    default: {
      if (values.length === 0) return null;
      if (name === "array_agg" && (argType === "int8" || argType === "text")) return new SqlArray(values, argType);
      return new JsonValue(
        values.map((v) => (v instanceof JsonValue ? v.value : typeof v === "bigint" ? Number(v) : v instanceof Decimal ? v.toNumber() : v)),
      );
    }
  }
}
