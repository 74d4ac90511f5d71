/**
 * What the provider's SQL user needs, and the message when it lacks it.
 *
 * - The gossip and store tables (`crdb_internal.gossip_liveness`,
 *   `gossip_nodes`, `kv_store_status`, `ranges_no_leases`): the system
 *   privilege VIEWCLUSTERMETADATA from v24.3; the admin role before.
 * - `SHOW CLUSTER SETTING`: VIEWCLUSTERSETTING (or MODIFYCLUSTERSETTING).
 * - `SET`/`RESET CLUSTER SETTING` (cluster.preserve_downgrade_option,
 *   version): MODIFYCLUSTERSETTING.
 * - The lease table in the `crdb_upgrade` schema: CREATE on the database.
 * The admin role has all of these.
 *
 * SQLSTATE 42501 also answers a v26.1 session that did not allow unsafe
 * internals; that one is not a missing privilege (sql-session.ts sets the
 * variable), so its message is left as CockroachDB wrote it.
 */

export const PRIVILEGES_NEEDED =
  "VIEWCLUSTERMETADATA (v24.3+; the admin role before v24.3), VIEWCLUSTERSETTING and MODIFYCLUSTERSETTING, " +
  "and CREATE on the database for the crdb_upgrade lease schema; or the admin role";

/** The error text to show for a failed statement: CockroachDB's, plus what to grant when it is a missing privilege. */
export function withPrivilegeAdvice(message: string, code: string | undefined, user: string): string {
  if (code !== "42501" || /crdb_internal and system is restricted/i.test(message)) return message;
  const who = user.replace(/[^A-Za-z0-9_.-]/g, "");
  return (
    `${message} (the SQL user ${JSON.stringify(user)} lacks a privilege the provider needs: ${PRIVILEGES_NEEDED}; ` +
    `e.g. GRANT SYSTEM VIEWCLUSTERMETADATA, VIEWCLUSTERSETTING, MODIFYCLUSTERSETTING TO ${who || "<user>"})`
  );
}
