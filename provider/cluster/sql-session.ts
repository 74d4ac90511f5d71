/**
 * What every provider SQL session does right after it connects, so that its
 * reads work on every CockroachDB version the rules allow:
 *
 * 1. `SET allow_unsafe_internals = true`. From v26.1 a session that reads
 *    `crdb_internal` or `system` gets SQLSTATE 42501 "Access to crdb_internal
 *    and system is restricted." unless it sets this variable (CockroachDB
 *    `pkg/sql/unsafesql`; `unsafesql_test.TestAccessCheckServer`). The
 *    variable exists from v25.4; older servers answer 42704 "unrecognized
 *    configuration parameter", which means there is no guard: the provider
 *    sets it only where it exists, per gateway, so a mixed-version cluster
 *    (v25.3 and v25.4 gateways during a rollout) works too.
 * 2. `SHOW virtual_cluster_name` (v23.2+; 42704 before, where there are no
 *    virtual clusters). A session that lands in an application virtual
 *    cluster (cluster virtualization, v24.1+: `server.controller.default_target_cluster`)
 *    sees no gossip tables, and `SET CLUSTER SETTING version` there
 *    upgrades only that virtual cluster. The reader then reconnects with the
 *    connection option `options=-ccluster=system` (CockroachDB's server
 *    controller routes on it) and refuses if that does not land in `system`.
 */
/** The one method of a pg Client the setup uses. */
export interface SessionClient {
  query(text: string): Promise<{ readonly rows: readonly Record<string, unknown>[] }>;
}

export const SYSTEM_CLUSTER_OPTION = "-ccluster=system";

export interface SessionFacts {
  /** The gateway has `allow_unsafe_internals` (v25.4+) and the session set it. */
  readonly unsafeInternalsSet: boolean;
  /** `SHOW virtual_cluster_name`; undefined before v23.2 (no virtual clusters). */
  readonly virtualCluster?: string;
}

/** Prepares a new session; statement errors other than "no such variable" propagate. */
export async function prepareSession(client: SessionClient): Promise<SessionFacts> {
  const unsafeInternalsSet = await client.query("SET allow_unsafe_internals = true").then(
    () => true,
    (e: unknown) => (isUnknownVariable(e) ? false : Promise.reject(e)),
  );
  const virtualCluster = await client.query("SHOW virtual_cluster_name").then(
    (r) => String(Object.values(r.rows[0] ?? {})[0] ?? ""),
    (e: unknown) => (isUnknownVariable(e) ? undefined : Promise.reject(e)),
  );
  return { unsafeInternalsSet, ...(virtualCluster !== undefined && { virtualCluster }) };
}

/** The session is in an application virtual cluster, not the system one. */
export function inApplicationCluster(facts: SessionFacts): boolean {
  return facts.virtualCluster !== undefined && facts.virtualCluster !== "" && facts.virtualCluster !== "system";
}

/** The refusal when even `-ccluster=system` does not reach the system virtual cluster. */
export class SessionRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SessionRefused";
  }
}

export function virtualClusterRefusal(gateway: string, landedIn: string, cause: string): SessionRefused {
  return new SessionRefused(
    `SQL on ${gateway}: the session lands in application virtual cluster "${landedIn}", where the gossip tables ` +
      `do not exist and SET CLUSTER SETTING version would upgrade that virtual cluster only; the provider must ` +
      `use the system virtual cluster (connection option options=${SYSTEM_CLUSTER_OPTION}, as a user that exists ` +
      `there), and that failed: ${cause}`,
  );
}

function isUnknownVariable(e: unknown): boolean {
  return (e as { code?: unknown }).code === "42704";
}
