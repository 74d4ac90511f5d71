/**
 * What `pulumi destroy` says. delete only forgets the resource: it never
 * touches a node (lifecycle.ts). Without a word, "deleted" reads as if the
 * cluster were gone; so delete prints that the cluster keeps running, and at
 * which version, from the last recorded outputs (delete does no I/O).
 */
import type { ClusterVersionOutputs } from "../core/types";

export function deleteReport(outs: Partial<ClusterVersionOutputs>): string[] {
  const statuses = Array.isArray(outs.nodeStatuses) ? outs.nodeStatuses : [];
  const builds = [...new Set(statuses.map((s) => s.version).filter((v): v is string => typeof v === "string"))].sort();
  const at =
    builds.length === 1
      ? `at ${builds[0]}`
      : builds.length > 1
        ? `on mixed builds (${statuses.map((s) => `${s.name} ${s.version ?? "?"}`).join(", ")})`
        : typeof outs.version === "string"
          ? `at ${outs.version} (the last desired version)`
          : "at its current version";
  const names = statuses.length > 0 ? ` (${statuses.map((s) => s.name).join(", ")})` : "";
  const cv = typeof outs.clusterVersion === "string" ? `, cluster version ${outs.clusterVersion}` : "";
  return [
    `resource forgotten: no node was touched; the cluster keeps running${names} ${at}${cv}, as last recorded. Manage its version again by adopting it (a ClusterVersion with the same nodes, then pulumi up).`,
  ];
}
