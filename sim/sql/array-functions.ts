/**
 * Built-in functions over arrays (PostgreSQL/CockroachDB semantics):
 * array_length(a, 1) and array_upper(a, 1) (NULL for an empty array or
 * another dimension), array_lower, cardinality, array_position,
 * array_to_string. `unnest` is a set-returning function: the select list
 * expands it (srf.ts); anywhere else it is refused.
 */
import { SqlError, SqlType } from "../pgwire/types";
import { SqlArray, elementTypeOf, isArrayType } from "./arrays";
import { CRDB_TYPE_NAMES } from "./casts";
import type { FunctionDef } from "./functions";
import { SqlValue, compareValues, valueToText } from "./values";

function needArray(name: string, args: readonly SqlType[]): void {
  if (!isArrayType(args[0])) {
    throw new SqlError("42883", `unknown signature: ${name}(${args.map((t) => CRDB_TYPE_NAMES[t]).join(", ")})`);
  }
}

function arrayFn(
  name: string,
  minArgs: number,
  maxArgs: number,
  returns: SqlType | ((args: readonly SqlType[]) => SqlType),
  call: FunctionDef["call"],
): FunctionDef {
  return {
    minArgs,
    maxArgs,
    strict: true,
    returns: (args) => {
      needArray(name, args);
      return typeof returns === "function" ? returns(args) : returns;
    },
    call,
  };
}

const elements = (v: SqlValue): readonly SqlValue[] => (v as SqlArray).elements;

/** Length along dimension `dim`: only dimension 1 exists; an empty array has no dimensions. */
function lengthAlong(a: SqlValue, dim: SqlValue): SqlValue {
  const n = elements(a).length;
  return Number(dim) === 1 && n > 0 ? BigInt(n) : null;
}

export const ARRAY_FUNCTIONS: Readonly<Record<string, FunctionDef>> = {
  array_length: arrayFn("array_length", 2, 2, "int8", (a) => lengthAlong(a[0], a[1])),
  array_upper: arrayFn("array_upper", 2, 2, "int8", (a) => lengthAlong(a[0], a[1])),
  array_lower: arrayFn("array_lower", 2, 2, "int8", (a) => (lengthAlong(a[0], a[1]) === null ? null : 1n)),
  cardinality: arrayFn("cardinality", 1, 1, "int8", (a) => BigInt(elements(a[0]).length)),
  array_position: arrayFn("array_position", 2, 2, "int8", (a) => {
    const i = elements(a[0]).findIndex((e) => e !== null && compareValues(e, a[1]) === 0);
    return i < 0 ? null : BigInt(i + 1);
  }),
  array_to_string: arrayFn("array_to_string", 2, 3, "text", (a, t) => {
    const element = elementTypeOf(t[0] as "int8[]" | "text[]");
    const nullText = a.length > 2 && a[2] !== null ? valueToText(a[2]) : undefined;
    return elements(a[0])
      .flatMap((e) => (e === null ? (nullText === undefined ? [] : [nullText]) : [valueToText(e, element)]))
      .join(valueToText(a[1]));
  }),
  unnest: {
    minArgs: 1,
    maxArgs: 1,
    strict: false,
    returns: () => {
      throw new SqlError("0A000", "unimplemented: unnest() is only supported as a whole item of a SELECT list");
    },
    call: () => null,
  },
};
