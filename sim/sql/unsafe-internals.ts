/**
 * The guard on `crdb_internal` and `system` (CockroachDB `pkg/sql/unsafesql`,
 * tested by `unsafesql_test.TestAccessCheckServer`): from v26.1 a client
 * session that reads a `crdb_internal` or `system` table, or calls a
 * `crdb_internal.` function, gets SQLSTATE 42501 "Access to crdb_internal
 * and system is restricted." unless it set the session variable
 * `allow_unsafe_internals` (introduced in v25.4, where it defaults to on;
 * before v25.4 the variable does not exist and SET fails with 42704).
 * Delegated statements (SHOW ...) are not checked, as in CockroachDB.
 */
import { SqlError } from "../pgwire/types";
import type { Statement } from "./ast";
import { tableRefs } from "./catalog";

export const UNSAFE_INTERNALS_VAR = "allow_unsafe_internals";

/** What the node's version knows of the guard. */
export interface InternalsGuard {
  /** The session variable exists (v25.4+). */
  readonly variableExists: boolean;
  /** Its default: off from v26.1 (the guard is on), on in v25.4. */
  readonly defaultAllowed: boolean;
}

const GUARDED_SCHEMAS = new Set(["crdb_internal", "system"]);

export const UNSAFE_INTERNALS_HINT =
  "These interfaces are unsupported in production. To proceed, set the session variable " +
  "allow_unsafe_internals = true (not recommended), or contact Cockroach Labs for a supported alternative.";

export function restrictedError(): SqlError {
  return new SqlError("42501", "Access to crdb_internal and system is restricted.", undefined, UNSAFE_INTERNALS_HINT);
}

/** Session text "on"/"true"/... as a boolean. */
export function isOn(text: string | undefined): boolean {
  return text !== undefined && /^(on|true|t|yes|1)$/i.test(text.trim());
}

/** Throws CockroachDB's refusal when the statement touches the guarded schemas and the session did not allow it. */
export function checkUnsafeInternals(stmt: Statement, guard: InternalsGuard | undefined, sessionValue: string | undefined): void {
  if (guard === undefined || !guard.variableExists) return;
  const allowed = sessionValue === undefined ? guard.defaultAllowed : isOn(sessionValue);
  if (allowed) return;
  const touches =
    tableRefs(stmt).some((parts) => parts.length >= 2 && GUARDED_SCHEMAS.has(parts[parts.length - 2].toLowerCase())) ||
    callsInternalFunction(stmt);
  if (touches) throw restrictedError();
}

function callsInternalFunction(stmt: Statement): boolean {
  let found = false;
  const visit = (node: unknown): void => {
    if (found || typeof node !== "object" || node === null) return;
    if (Array.isArray(node)) return node.forEach(visit);
    const n = node as { kind?: string; name?: unknown };
    if (n.kind === "func" && typeof n.name === "string" && n.name.toLowerCase().startsWith("crdb_internal.")) found = true;
    Object.values(node).forEach(visit);
  };
  visit(stmt);
  return found;
}
