/**
 * Rows of `crdb_internal.invalid_objects` and `crdb_internal.jobs` (columns
 * in common/vtable-schemas.ts, CR `pkg/sql/crdb_internal.go`), from the
 * catalog state a test injected (preconditions.ts). A healthy simulated
 * cluster has no invalid objects and no jobs.
 */
import { InjectedCatalog } from "./preconditions";

type Row = readonly unknown[];

export const CATALOG_VTABLES = ["crdb_internal.invalid_objects", "crdb_internal.jobs"] as const;

export function catalogTableRows(catalog: InjectedCatalog, name: string): Row[] {
  if (name === "crdb_internal.invalid_objects") {
    return catalog.invalidObjects.map((o) => [o.id, o.databaseName, o.schemaName, o.objName, o.error]);
  }
  return catalog.jobs.map((j) => [
    j.jobId,
    j.jobType,
    j.description,
    j.description,
    "root",
    j.status,
    null,
    j.created,
    j.created,
    null,
    j.created,
    j.status === "succeeded" ? 1 : 0,
    "",
    1,
  ]);
}
