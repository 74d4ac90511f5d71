/** What the cluster is observed to run (cluster/ and node/ produce it). */

// ---------------------------------------------------------------------------
// What the cluster is observed to run (cluster.ts + node.ts produce it).
// ---------------------------------------------------------------------------

export type NodeProcessState = "running" | "stopped" | "draining" | "unknown";

export interface ObservedNode {
  readonly name: string;
  /** From crdb_internal.gossip_nodes, matched by sql address. */
  readonly nodeId?: number;
  /** Build tag the running process reports (gossip / build_timestamp). */
  readonly build?: string;
  /** Build tag of the binary at binaryPath (`cockroach version --build-tag`). */
  readonly binaryBuild?: string;
  /** Whether `<binaryPath>_old`... exists (kept for rollback) and its build. */
  readonly previousBuild?: string;
  readonly process: NodeProcessState;
  readonly live: boolean;
  readonly draining: boolean;
  readonly membership?: string; // active | decommissioning | decommissioned
  readonly ready: boolean;
}

export interface ObservedCluster {
  readonly nodes: readonly ObservedNode[];
  /** `SHOW CLUSTER SETTING version`, e.g. "23.1" or a transition string "23.1-8". */
  readonly clusterVersion?: string;
  readonly preserveDowngradeOption?: string; // "" when unset
  readonly autoUpgradeEnabled?: boolean;
  /** Summed over live nodes' stores. */
  readonly underReplicatedRanges?: number;
  readonly unavailableRanges?: number;
  /** Nodes the cluster knows (active membership) that are not in the spec. */
  readonly unlistedNodeIds: readonly number[];
  /**
   * Set by the I/O side from replica placement (placement.ts): true only when
   * every locality, all its nodes down at once, leaves every range a majority
   * of live voters. Absent or false: plan rolls one node at a time, except
   * localities `localityVerdicts` proves safe.
   */
  readonly localitySafe?: boolean;
  /** Why localitySafe is false (e.g. "range 42: 2 of its 3 voters among them"), shown in the plan notes. */
  readonly localityReason?: string;
  /** Per locality (the spec's strings): may all its nodes be down at once. Takes precedence over localitySafe. */
  readonly localityVerdicts?: readonly LocalityVerdict[];
  /**
   * Preview only (diff has no I/O): placement is judged at update time. The
   * plan shows the locality batches, each proven right before it starts or
   * rolled one node at a time.
   */
  readonly localityProofDeferred?: boolean;
}

export interface LocalityVerdict {
  readonly locality: string;
  readonly safe: boolean;
  readonly reason: string;
}
