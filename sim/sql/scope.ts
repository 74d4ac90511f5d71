/** Relations (column lists + rows) and name resolution of column references within them. */
import { SqlType } from "../pgwire/types";
import { ambiguousColumn, undefinedColumn } from "./errors";
import { SqlValue } from "./values";

export interface ScopeColumn {
  readonly name: string;
  readonly type: SqlType;
  /** Table names/aliases that may qualify this column (`t.col`); a USING column has both sides'. */
  readonly qualifiers: readonly string[];
  /** Hidden columns (the implicit rowid) are left out of `*`. */
  readonly hidden?: boolean;
}

export interface Relation {
  readonly columns: readonly ScopeColumn[];
  readonly rows: readonly (readonly SqlValue[])[];
}

/** Index of the column `parts` names (`col`, `t.col`, `db.t.col`); throws 42703/42702. */
export function resolveColumn(columns: readonly ScopeColumn[], parts: readonly string[]): number {
  const name = parts[parts.length - 1];
  const qualifier = parts.length > 1 ? parts[parts.length - 2] : undefined;
  let found = -1;
  for (let i = 0; i < columns.length; i++) {
    const c = columns[i];
    if (c.name !== name || (qualifier !== undefined && !c.qualifiers.includes(qualifier))) continue;
    if (found >= 0) throw ambiguousColumn(parts.join("."));
    found = i;
  }
  if (found < 0) throw undefinedColumn(parts.join("."));
  return found;
}

export function requalify(columns: readonly ScopeColumn[], qualifier: string | undefined): ScopeColumn[] {
  return columns.map((c) => ({ ...c, qualifiers: qualifier === undefined ? [] : [qualifier] }));
}
