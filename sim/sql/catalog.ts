/**
 * Name resolution for tables, and the per-statement data context: virtual
 * tables are fetched (async) before the statement runs, user tables are read
 * inside the store transaction.
 *
 * Names resolve as CockroachDB users expect:
 *   t                       -> user table t in the session database
 *   crdb_internal.x, system.x, information_schema.x -> a virtual table when the cluster provides one
 *   public.t                -> user table t in the session database
 *   db.t, db.public.t       -> user table t in database db
 */
import { ResultColumn } from "../pgwire/types";
import { Statement } from "./ast";
import { undefinedTable } from "./errors";
import { ClusterHooks, VirtualTable } from "./hooks";
import { Relation, ScopeColumn } from "./scope";
import { StoreTx, TableSchema, decodeCell } from "./store";
import { SqlValue, compareValues, normalizeValue } from "./values";

export type ResolvedTable =
  | { readonly kind: "virtual"; readonly name: string; readonly table: VirtualTable }
  | { readonly kind: "user"; readonly database: string; readonly name: string };

export function resolveTableName(parts: readonly string[], database: string, hooks: ClusterHooks): ResolvedTable {
  if (parts.length >= 2) {
    const virtualName = parts.slice(-2).join(".");
    const table = hooks.virtualTable(virtualName);
    if (table !== undefined) return { kind: "virtual", name: virtualName, table };
  }
  const name = parts[parts.length - 1];
  if (parts.length === 1) return { kind: "user", database, name };
  if (parts.length === 2) return parts[0] === "public" ? { kind: "user", database, name } : { kind: "user", database: parts[0], name };
  if (parts.length === 3 && parts[1] === "public") return { kind: "user", database: parts[0], name };
  throw undefinedTable(parts.join("."));
}

/** Every table name a statement mentions (FROM items, DML targets, subqueries). */
export function tableRefs(stmt: Statement): (readonly string[])[] {
  const out: (readonly string[])[] = [];
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(visit);
    if (typeof node !== "object" || node === null) return;
    const n = node as { kind?: string; name?: unknown; table?: unknown };
    if (n.kind === "table" && Array.isArray(n.name)) out.push(n.name as string[]);
    if ((n.kind === "insert" || n.kind === "update" || n.kind === "delete") && Array.isArray(n.table)) out.push(n.table as string[]);
    Object.values(node).forEach(visit);
  };
  visit(stmt);
  return out;
}

/** Does the statement call function `name` anywhere? */
export function callsFunction(stmt: Statement, name: string): boolean {
  let found = false;
  const visit = (node: unknown): void => {
    if (found || typeof node !== "object" || node === null) return;
    if (Array.isArray(node)) return node.forEach(visit);
    const n = node as { kind?: string; name?: unknown };
    if (n.kind === "func" && n.name === name) found = true;
    Object.values(node).forEach(visit);
  };
  visit(stmt);
  return found;
}

/** Fetches the statement's virtual tables; reports whether it also needs user tables. */
export async function prefetch(
  stmt: Statement,
  database: string,
  hooks: ClusterHooks,
): Promise<{ readonly virtual: Map<string, Relation>; readonly needsStore: boolean }> {
  const virtual = new Map<string, Relation>();
  let needsStore = false;
  for (const parts of tableRefs(stmt)) {
    const resolved = resolveTableName(parts, database, hooks);
    if (resolved.kind === "user") {
      needsStore = true;
      continue;
    }
    if (virtual.has(parts.join("."))) continue;
    virtual.set(parts.join("."), await fetchVirtual(resolved.table));
  }
  return { virtual, needsStore };
}

async function fetchVirtual(table: VirtualTable): Promise<Relation> {
  const columns = table.columns.map((c: ResultColumn): ScopeColumn => ({ name: c.name, type: c.type, qualifiers: [] }));
  const rows = (await table.rows()).map((r) => columns.map((c, i) => normalizeValue(r[i], c.type)));
  return { columns, rows };
}

/** A user table's rows, decoded and in primary-key order (as a CockroachDB scan returns them). */
export function readUserTable(tx: StoreTx, schema: TableSchema): Relation {
  const columns = schema.columns.map((c): ScopeColumn => ({ name: c.name, type: c.type, qualifiers: [], hidden: c.hidden }));
  const rows: SqlValue[][] = tx
    .scan(schema.database, schema.name)
    .map((r) => schema.columns.map((c, i) => decodeCell(r[i] ?? null, c.type)));
  const pk = schema.primaryKey.map((k) => schema.columns.findIndex((c) => c.name === k));
  rows.sort((a, b) => {
    for (const i of pk) {
      const c = compareValues(a[i], b[i]);
      if (c !== 0) return c;
    }
    return 0;
  });
  return { columns, rows };
}
