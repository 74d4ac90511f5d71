/**
 * CockroachDB's error texts and SQLSTATEs for the failures the engine
 * reports, in one place so tests and hosts can rely on them.
 */
import { SqlError } from "../pgwire/types";

/** `at or near "<token>": syntax error` (42601) with CockroachDB's "source SQL" caret detail. */
export function syntaxError(sql: string, pos: number, token: string, extra?: string): SqlError {
  const lineStart = sql.lastIndexOf("\n", pos - 1) + 1;
  const lineEnd = sql.indexOf("\n", pos);
  const upToLine = sql.slice(0, lineEnd < 0 ? sql.length : lineEnd);
  const caret = " ".repeat(Math.max(0, pos - lineStart)) + "^";
  const message = `at or near "${token}": syntax error${extra ? ": " + extra : ""}`;
  return new SqlError("42601", message, `source SQL:\n${upToLine}\n${caret}`);
}

export function lexicalError(message: string): SqlError {
  return new SqlError("42601", `lexical error: ${message}`);
}

export const undefinedTable = (name: string): SqlError => new SqlError("42P01", `relation "${name}" does not exist`);
export const undefinedColumn = (name: string): SqlError => new SqlError("42703", `column "${name}" does not exist`);
export const ambiguousColumn = (name: string): SqlError => new SqlError("42702", `column reference "${name}" is ambiguous`);
export const undefinedFunction = (name: string): SqlError => new SqlError("42883", `unknown function: ${name}()`);
export const undefinedDatabase = (name: string): SqlError => new SqlError("3D000", `database "${name}" does not exist`);
export const unsupported = (what: string): SqlError => new SqlError("0A000", `unimplemented: ${what}`);

/** SHOW CLUSTER SETTING of an unknown name (CockroachDB: a plain errors.Errorf, hence XXUUU "uncategorized"). */
export const unknownSettingForShow = (name: string): SqlError => new SqlError("XXUUU", `unknown setting: "${name}"`);
/** SET/RESET CLUSTER SETTING of an unknown name. */
export const unknownSettingForSet = (name: string): SqlError => new SqlError("XXUUU", `unknown cluster setting '${name}'`);

export function duplicateKey(table: string, keyCols: readonly string[], keyText: readonly string[]): SqlError {
  return new SqlError(
    "23505",
    `duplicate key value violates unique constraint "${table}_pkey"`,
    `Key (${keyCols.join(", ")})=(${keyText.join(", ")}) already exists.`,
  );
}

export function typeMismatch(message: string): SqlError {
  return new SqlError("42804", message);
}

export function invalidText(type: string, text: string): SqlError {
  return new SqlError("22P02", `could not parse "${text}" as type ${type}`);
}
