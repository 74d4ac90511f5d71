/**
 * Who may read the cluster-metadata tables. Before v24.3 CockroachDB's
 * populate functions call `RequireAdminRole(ctx, "read crdb_internal.<table>")`
 * (`pkg/sql/crdb_internal.go`), whose refusal is 42501 "only users with the
 * admin role are allowed to read crdb_internal.<table>"
 * (`pkg/sql/authorization.go`, `RequireAdminRole`). From v24.3 they check the
 * system privilege VIEWCLUSTERMETADATA instead (the admin role has it), and a
 * user without it gets 42501 "user <u> does not have VIEWCLUSTERMETADATA
 * system privilege" (CockroachDB's insufficient-privilege error for a global
 * privilege). The simulator has no GRANT SYSTEM: only root and admin hold it.
 */
import { SqlError } from "../pgwire/types";

const METADATA_TABLES = new Set(["crdb_internal.gossip_nodes", "crdb_internal.gossip_liveness", "crdb_internal.kv_store_status"]);
const ADMINS = new Set(["root", "admin"]);

/** The refusal for `user` reading `table` on a node whose binary is at least v24.3 (`viewClusterMetadata`), or undefined. */
export function metadataTableRefusal(table: string, user: string, viewClusterMetadata: boolean): SqlError | undefined {
  const name = table.toLowerCase();
  if (!METADATA_TABLES.has(name) || ADMINS.has(user)) return undefined;
  return viewClusterMetadata
    ? new SqlError("42501", `user ${user} does not have VIEWCLUSTERMETADATA system privilege`)
    : new SqlError("42501", `only users with the admin role are allowed to read ${name}`);
}
