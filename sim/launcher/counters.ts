/**
 * The cluster's internal work behind its status endpoints, for tests and
 * benches (not a CockroachDB interface): how many node-level `Ranges` calls
 * the nodes have served — one per `/_status/ranges/local`, one per node of
 * each `/_status/raft` fan-out.
 */
import { readClusterConfig } from "../common/cluster-files";
import { FabricClient } from "../fabric/client";

export async function readStatusCounters(dir: string): Promise<{ readonly rangesServed: number }> {
  const fabric = await FabricClient.connect(readClusterConfig(dir).socket);
  try {
    return await fabric.call("statusCounters", {});
  } finally {
    fabric.close();
  }
}
