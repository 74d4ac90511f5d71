/**
 * The messages node processes exchange with their cluster's fabric process
 * over a Unix socket: one JSON object per line, `{id, method, params}` in,
 * `{id, result}` or `{id, error: {message, code?}}` out. `code` carries a
 * SQLSTATE when the error is meant for a SQL client.
 */

export interface NodeFaults {
  /** The node's replicas catch up ten times slower after a restart. */
  readonly slowCatchUp: boolean;
  /** The node's replicas never count as up-to-date voters. */
  readonly underreplicationStuck: boolean;
  /** Leases the node holds cannot be transferred away (drains time out). */
  readonly drainTimeout: boolean;
}

export interface JoinRequest {
  /** Persisted in the store; identifies the store across restarts. */
  readonly storeId: string;
  /** The node ID persisted in the store, if it ever joined. */
  readonly nodeId?: number;
  readonly binaryTag: string;
  /** Advertised RPC address, e.g. "127.0.0.11:26257". */
  readonly addr: string;
  readonly sqlAddr: string;
  readonly httpAddr: string;
  readonly locality: string;
  readonly clusterName: string;
  readonly pid: number;
  readonly args: readonly string[];
  readonly storePath: string;
  readonly faults: NodeFaults;
}

export interface TimingConfig {
  readonly timeScale: number;
  readonly livenessTtlS: number;
}

export interface JoinResponse {
  readonly nodeId: number;
  readonly clusterId: string;
  /** "initialized new cluster" | "restarted pre-existing node" | "initialized new node, joined pre-existing cluster" */
  readonly status: string;
  /** The active cluster version (final form), e.g. "23.1". */
  readonly clusterVersion: string;
  readonly timing: TimingConfig;
}

export interface HeartbeatResponse {
  /** Unix ms when this node's liveness record expires. */
  readonly expiration: number;
  readonly epoch: number;
  /** The active cluster version (final form); the store records it. */
  readonly clusterVersion: string;
}

export interface WireRows {
  readonly rows: readonly (readonly unknown[])[];
}

export interface SettingValue {
  readonly name: string;
  readonly type: "duration" | "bool" | "string" | "version";
  /** Canonical text: "10s", "true", "", "23.1" (or a transition string for `version`). */
  readonly value: string;
  readonly description: string;
}

export type UpgradeStatusKind = "allowed" | "completed" | "disabled" | "preserve" | "blocked" | "mixed";

export interface UpgradeStatus {
  readonly kind: UpgradeStatusKind;
  /** The node-log message CockroachDB's auto-upgrade loop writes for this status. */
  readonly message: string;
  /** The version finalization would move to ("24.1"). */
  readonly target?: string;
}

export interface DrainStepResponse {
  /** Leases (and other work) still to move; 0 when the drain is complete. */
  readonly remaining: number;
}

export interface NodeStatusSnapshot {
  readonly nodeId: number;
  readonly updatedAt: number;
  readonly live: boolean;
  readonly liveNodes: number;
  readonly counts: {
    readonly replicas: number;
    readonly leaseholders: number;
    readonly unavailable: number;
    readonly underreplicated: number;
  };
  /** Store gauge raftlog.behind: Raft log entries this store's leaders' followers are behind. */
  readonly raftLogBehind: number;
  readonly bytes: { readonly live: number; readonly key: number; readonly val: number; readonly intent: number; readonly sys: number };
}

export interface NodeSummary {
  readonly nodeId: number;
  readonly addr: string;
  readonly sqlAddr: string;
  readonly httpAddr: string;
  readonly locality: string;
  readonly binaryTag: string;
  readonly startedAt: number;
  readonly updatedAt: number;
  readonly expiration: number;
  readonly epoch: number;
  readonly draining: boolean;
  readonly membership: string;
  readonly live: boolean;
  readonly livenessStatus: number;
  readonly snapshot: NodeStatusSnapshot;
  readonly args: readonly string[];
}

/** Every fabric method: request params -> result. */
export interface FabricMethods {
  join(p: JoinRequest): JoinResponse;
  heartbeat(p: { nodeId: number }): HeartbeatResponse;
  setDraining(p: { nodeId: number; draining: boolean }): void;
  /** One lease-transfer iteration for a draining node. */
  drainLeases(p: { nodeId: number }): DrainStepResponse;
  /** The process is exiting (graceful or not); liveness is left to expire. */
  leave(p: { nodeId: number }): void;
  virtualTable(p: { name: string; gatewayNodeId: number }): WireRows;
  showSetting(p: { name: string; gatewayTag: string }): SettingValue;
  setSetting(p: { name: string; value: string | null; gatewayTag: string }): void;
  listSettings(p: { gatewayTag: string }): readonly SettingValue[];
  activeVersion(p: Record<string, never>): { major: number; minor: number; patch: number; internal: number };
  upgradeStatus(p: { nodeId: number }): UpgradeStatus;
  /** Starts (or joins) finalization to `target`; resolves when it is done. */
  finalize(p: { target: string; gatewayTag: string }): void;
  nodes(p: Record<string, never>): readonly NodeSummary[];
  /** CREATE USER; `password` undefined = no PASSWORD clause, null = PASSWORD NULL. */
  createUser(p: { name: string; ifNotExists: boolean; password?: string | null }): void;
  /** ALTER USER ... [WITH PASSWORD ...]. */
  alterUser(p: { name: string; ifExists: boolean; password?: string | null }): void;
  dropUser(p: { names: string[]; ifExists: boolean }): void;
  /** A secure node's login check; never logged. */
  checkPassword(p: { user: string; password: string }): boolean;
  listUsers(p: Record<string, never>): readonly { readonly username: string; readonly hasPassword: boolean }[];
  /** POST /_status/critical_nodes: the gateway JSON body. */
  criticalNodes(p: Record<string, never>): Record<string, unknown>;
  /** POST /login on a secure node: a new web session (opaque cookie value), or null for bad credentials. */
  webLogin(p: { user: string; password: string }): string | null;
  /** The user of a web session cookie value, or null when it names none. */
  webSessionUser(p: { cookie: string }): string | null;
  /** Rows a node's SQL wrote: one Raft entry each (raft-log.ts). */
  recordWrites(p: { rows: number }): void;
  /** GET /_status/ranges/{node_id}: the gateway JSON body for that node's replicas (ranges-status.ts). */
  statusRanges(p: { nodeId: number; rangeIds?: readonly number[] }): Record<string, unknown>;
  /**
   * Test and bench hook: how many node-level `Ranges` calls (one node's replicas, answered by that node:
   * `/_status/ranges/local`, a forwarded `/_status/ranges/{id}`, or one leg of a `/_status/raft` fan-out)
   * the cluster has served since it started: the internal work behind the status endpoints.
   */
  statusCounters(p: Record<string, never>): { readonly rangesServed: number };
  /** Test hook (`sim inject`): state the simulator does not produce by itself. */
  inject(p: InjectRequest): void;
}

/** What `sim inject` sets: nodes stuck decommissioning, invalid catalog objects, jobs; `clear` undoes all of it first. */
export interface InjectRequest {
  readonly clear?: boolean;
  readonly decommissioning?: readonly number[];
  readonly invalidObjects?: readonly {
    readonly id: number;
    readonly databaseName: string;
    readonly schemaName: string;
    readonly objName: string;
    readonly error: string;
  }[];
  readonly jobs?: readonly { readonly jobId: number; readonly jobType: string; readonly description: string; readonly status: string }[];
}

export type FabricMethod = keyof FabricMethods;
export type ParamsOf<M extends FabricMethod> = Parameters<FabricMethods[M]>[0];
export type ResultOf<M extends FabricMethod> = ReturnType<FabricMethods[M]>;

export interface FabricRequest {
  readonly id: number;
  readonly method: FabricMethod;
  readonly params: unknown;
}

export interface FabricResponse {
  readonly id: number;
  readonly result?: unknown;
  readonly error?: { readonly message: string; readonly code?: string };
}

/** Node liveness status enum values, as `/_status/nodes` prints them. */
export const LIVENESS_STATUS = {
  UNKNOWN: 0,
  DEAD: 1,
  UNAVAILABLE: 2,
  LIVE: 3,
  DECOMMISSIONING: 4,
  DECOMMISSIONED: 5,
  DRAINING: 6,
} as const;
