/**
 * Cluster virtualization, the part a client sees. A session lands in the
 * virtual cluster named by the connection option `options=-ccluster=<name>`
 * (also `--cluster=<name>`), else in the one named by the cluster setting
 * `server.controller.default_target_cluster` (v23.2+; `cockroach init
 * --virtualized` sets it to "main": CockroachDB `pkg/server/server.go`,
 * `init-default-target-cluster-setting`). `SHOW virtual_cluster_name` says
 * which. In an application virtual cluster the KV layer's gossip is not
 * available: reading the gossip and store tables fails with 0A000 "operation
 * is unsupported within a virtual cluster" (`pkg/util/errorutil`,
 * `UnsupportedUnderClusterVirtualization`).
 *
 * Not simulated: separate catalogs, users and settings per virtual cluster
 * (cluster settings, `version` included, stay cluster-wide here).
 */
import { SqlError } from "../pgwire/types";
import type { Statement } from "./ast";
import { tableRefs } from "./catalog";

const SYSTEM_ONLY = new Set(["crdb_internal.gossip_nodes", "crdb_internal.gossip_liveness", "crdb_internal.kv_store_status"]);

/** The cluster named in the startup `options` ("-ccluster=x", "-c cluster=x", "--cluster=x"), if any. */
export function clusterOption(options: string | undefined): string | undefined {
  const m = /(?:^|\s)(?:-c\s*|--)cluster=(\S+)/.exec(options ?? "");
  return m?.[1];
}

export function checkVirtualCluster(stmt: Statement, virtualCluster: string | undefined): void {
  if (virtualCluster === undefined || virtualCluster === "system") return;
  const systemOnly = tableRefs(stmt).some((parts) => parts.length >= 2 && SYSTEM_ONLY.has(parts.slice(-2).join(".").toLowerCase()));
  if (systemOnly) throw new SqlError("0A000", "operation is unsupported within a virtual cluster");
}
