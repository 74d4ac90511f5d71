/**
 * After the only node of a single-node cluster is back (spec/single-node.ts
 * says why that roll needs strategy.allowDowntime): the cluster answers and
 * its version did not move, and the downtime the roll caused, measured.
 */
import type { ClusterReader } from "../cluster/reader";
import { GateFailed } from "../core/errors";
import { formatDuration } from "../core/duration";
import { downtimeOf } from "../spec/single-node";
import type { PhaseRecord } from "../core/types";

export interface DowntimeReport {
  /** From the start of the drain to the node answering ready again. */
  readonly downtimeMs: number;
  readonly clusterVersion: string;
  readonly message: string;
}

/**
 * After the only node is back: the cluster answers SQL and its cluster
 * version is the one it had before (a patch or an unfinalized major never
 * changes it; finalization is a separate, later step). The downtime is read
 * from the node's recorded phases.
 */
export async function verifySingleNodeRoll(
  reader: Pick<ClusterReader, "showSetting">,
  node: string,
  phases: readonly PhaseRecord[],
  clusterVersionBefore: string | undefined,
): Promise<DowntimeReport> {
  const downtimeMs = downtimeOf(phases);
  let after: string;
  try {
    after = await reader.showSetting("version");
  } catch (e) {
    throw new GateFailed(
      "await-cluster",
      `single-node cluster: ${node} is ready but the cluster version cannot be read: ${(e as Error).message}`,
    );
  }
  if (clusterVersionBefore !== undefined && after !== clusterVersionBefore)
    throw new GateFailed(
      "await-cluster",
      `single-node cluster: cluster version is ${after} after the restart, ${clusterVersionBefore} before; it must not change before finalization`,
    );
  const message = `single-node cluster: ${node} was down for ${formatDuration(downtimeMs)} (drain to ready); cluster version ${after}`;
  return { downtimeMs, clusterVersion: after, message };
}
