/**
 * The shared vocabulary of the provider: raw inputs (what a user writes),
 * the normalised Spec (what the rest of the code reads), what the cluster is
 * observed to run, the rollout plan, the rollout record and the outputs.
 *
 * Only types and constants live here, so that pure modules (spec, versions,
 * plan) and I/O modules (cluster, node, rollout) agree without importing each
 * other.
 */

/** The value the engine passes for inputs that are unknown during preview. */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** The official release URL; `{version}` is replaced by e.g. `v23.1.12`. */
export const DEFAULT_RELEASE_URL = "https://binaries.cockroachdb.com/cockroach-{version}.linux-amd64.tgz";

// ---------------------------------------------------------------------------
// Raw inputs. Field names of `connection` are those of @pulumi/command's
// remote ConnectionArgs, so one object serves both resources.
// ---------------------------------------------------------------------------

export interface ConnectionInput {
  readonly host: string;
  /** Defaults to 22. */
  readonly port?: number;
  /** Defaults to "root". */
  readonly user?: string;
  readonly password?: string;
  readonly privateKey?: string;
  readonly privateKeyPassword?: string;
  readonly agentSocketPath?: string;
  /** Dial attempts before giving up. Defaults to 10. */
  readonly dialErrorLimit?: number;
  /** Seconds per dial attempt. Defaults to 15. */
  readonly perDialTimeout?: number;
  /** The server's public host key, `ssh-ed25519 AAAA...` (authorized_keys form) or `SHA256:<base64>`. */
  readonly hostKey?: string;
}

/**
 * How the node's cockroach process is run.
 * - `cockroach`: the provider runs `<binaryPath> start --background --pid-file <pidFile> <startFlags...>`
 *   and stops it with SIGTERM to the pid in `pidFile`.
 * - `systemd`: `systemctl start|stop|is-active <unit>`.
 * - `commands`: user shell commands; `status` exits 0 while the process runs.
 */
export type ProcessInput =
  | { readonly manager: "cockroach"; readonly startFlags: readonly string[]; readonly pidFile: string; readonly logFile?: string }
  | { readonly manager: "systemd"; readonly unit: string; readonly useSudo?: boolean }
  | { readonly manager: "commands"; readonly start: string; readonly stop: string; readonly status: string };

export interface NodeInput {
  /** Unique name used in logs, outputs and `strategy.order`. */
  readonly name: string;
  /** How commands reach the host. Omitted or "local": this machine. */
  readonly connection?: ConnectionInput | "local";
  /** host:port the provider uses for SQL (pgwire), e.g. "10.0.0.1:26257". */
  readonly sqlAddr: string;
  /** host:port of the node's HTTP endpoint, e.g. "10.0.0.1:8080". */
  readonly httpAddr: string;
  /**
   * host:port of the node's RPC (gRPC) listener, where `cockroach node drain`
   * and `debug zip` connect. Defaults to `--advertise-addr`, else
   * `--listen-addr`, from `process.startFlags`, else `sqlAddr`. Give it when
   * the node runs with a separate `--sql-addr` under systemd or commands.
   */
  readonly rpcAddr?: string;
  /** e.g. "region=us-east1,zone=a"; used for ordering and locality batches. */
  readonly locality?: string;
  /** The cockroach binary the process runs; swapped in place. e.g. /usr/local/bin/cockroach */
  readonly binaryPath: string;
  /** Where releases are staged on the node. Defaults to `<dirname(binaryPath)>/.crdb-upgrade`. */
  readonly stagingDir?: string;
  readonly process: ProcessInput;
}

export interface SqlInput {
  /** Defaults to "root". */
  readonly user?: string;
  /** Secret. */
  readonly password?: string;
  /** Plain-text connections (and `--insecure` for the CLI). Defaults to false. */
  readonly insecure?: boolean;
  /** On the nodes: the certs directory given to `cockroach` CLI commands. */
  readonly certsDir?: string;
  /** PEM contents for the provider's own SQL connections (secure clusters). */
  readonly tls?: { readonly ca?: string; readonly cert?: string; readonly key?: string; readonly serverName?: string };
  /** Defaults to "defaultdb". */
  readonly database?: string;
}

export interface ReleaseInput {
  /** Defaults to DEFAULT_RELEASE_URL. `{version}` is substituted. */
  readonly urlTemplate?: string;
  /** Hex sha256 of the target tarball. Without it, `<url>.sha256sum` is fetched. */
  readonly sha256?: string;
  /** `node`: each node downloads (curl/wget). `provider`: the provider downloads once and copies (air-gapped). Defaults to "node". */
  readonly fetch?: "node" | "provider";
}

/** A duration: seconds as a number, or a string like "90s", "5m", "1h30m", "250ms". */
export type DurationInput = number | string;

export interface StrategyInput {
  /** Node names in roll order. Defaults to the `nodes` order. */
  readonly order?: readonly string[];
  /** Treat the first node as a canary with its own (longer) bake. Defaults to true. */
  readonly canary?: boolean;
  /** Bake after the canary. Defaults to waitAfterRejoin × 2. */
  readonly canaryBake?: DurationInput;
  /** Bake after each node rejoins, with the gate held. Defaults to 60s (the procedure's wait). */
  readonly waitAfterRejoin?: DurationInput;
  /** Consecutive healthy gate samples required. Defaults to 3. */
  readonly gateSamples?: number;
  /** Time between gate samples. Defaults to 5s. */
  readonly gateInterval?: DurationInput;
  /** Re-check of the cluster gate after it first holds (raft catch-up lags liveness). Defaults to 22s, as cockroach-operator. */
  readonly gateRecheckAfter?: DurationInput;
  readonly deadlines?: {
    readonly drain?: DurationInput; // default 10m (cockroach node drain --drain-wait)
    readonly stop?: DurationInput; // default 5m
    readonly start?: DurationInput; // default 5m
    readonly ready?: DurationInput; // default 10m (as cockroach-operator's per-pod wait)
    readonly cluster?: DurationInput; // default 10m
    readonly finalize?: DurationInput; // default 30m
  };
  /** Wall-clock cap for the whole update. Defaults to 6h. */
  readonly overallDeadline?: DurationInput;
  /** Nodes down at once. Defaults to 1. */
  readonly maxUnavailable?: number;
  /** `node`: one batch per node. `locality`: one batch per locality when quorum is provably kept. Defaults to "node". */
  readonly batch?: "node" | "locality";
  /** Roll touched nodes back on failure. Defaults to true. */
  readonly rollbackOnFailure?: boolean;
  /** Major upgrades only. `manual` (default), `auto`, or `afterBake:<duration>` e.g. "afterBake:30m". */
  readonly finalize?: string;
  /** Stop at the next safe boundary (before touching the next node). Defaults to false. */
  readonly paused?: boolean;
  /**
   * Single-node clusters only: upgrading the only node takes the cluster down
   * while it restarts. Without `true` such an upgrade is refused (preview and
   * pre-flight). The downtime is measured and reported. Defaults to false.
   */
  readonly allowDowntime?: boolean;
  /**
   * The load balancer in front of the SQL port, e.g. HAProxy `inter 2000 fall 3`
   * is `{ checkInterval: "2s", fall: 3 }`. Pre-flight then warns (never fails)
   * when server.shutdown.initial_wait is shorter than its check window. Optional.
   */
  readonly loadBalancer?: { readonly checkInterval: DurationInput; readonly fall: number };
  /**
   * How long the cluster's upgrade lease (crdb_upgrade.lease, one rollout at a
   * time) outlives its last renewal; renewed every quarter of it. A run killed
   * on another machine blocks others at most this long. Defaults to 60s; at least 2s.
   */
  readonly leaseTtl?: DurationInput;
  /**
   * Post-roll watch window: after the last node, the whole cluster is watched
   * (every node's process, liveness, readiness, and the cluster gate) this
   * long; a crash or failed gate inside it rolls the cluster back while the
   * upgrade is not finalized, and finalization waits for it. Defaults to 5m;
   * "0s" turns it off.
   */
  readonly watch?: DurationInput;
}

export interface HooksInput {
  /** Take a `cockroach debug zip` on the first node before touching anything; the path on that node. */
  readonly debugZip?: string;
  /** A shell command run (locally, by the provider) before any node is touched; non-zero exit aborts. */
  readonly backupCommand?: string;
  /** SQL run before any node is touched, e.g. a BACKUP statement. */
  readonly backupSql?: string;
  /**
   * On a failure mid-roll, before any rollback: a `cockroach debug zip` from a
   * live node (not the failed one), copied to this machine; its path goes into
   * the error and `lastRollout.debugZip`. A failing zip never blocks the rollback. Defaults to true.
   */
  readonly debugZipOnFailure?: boolean;
  /** How long that debug zip (and copying it here) may take before it is given up. Defaults to 3m. */
  readonly debugZipDeadline?: DurationInput;
}

/** The resource's inputs as the engine hands them to the provider. */
export interface ClusterVersionInputs {
  readonly version: string;
  readonly nodes: readonly NodeInput[];
  readonly sql?: SqlInput;
  readonly release?: ReleaseInput;
  readonly strategy?: StrategyInput;
  readonly hooks?: HooksInput;
  /** The package version that wrote the state; a change forces an update so fixed code reaches read/delete. */
  readonly providerVersion?: string;
}

// ---------------------------------------------------------------------------
// The normalised Spec: fully defaulted, durations in ms. Produced by spec.ts.
// ---------------------------------------------------------------------------

export interface Connection {
  readonly kind: "local" | "ssh";
  readonly host: string; // "localhost" for local
  readonly port: number;
  readonly user: string;
  readonly password?: string;
  readonly privateKey?: string;
  readonly privateKeyPassword?: string;
  readonly agentSocketPath?: string;
  readonly dialErrorLimit: number;
  readonly perDialTimeoutMs: number;
  readonly hostKey?: string;
}

export type ProcessManager =
  | { readonly manager: "cockroach"; readonly startFlags: readonly string[]; readonly pidFile: string; readonly logFile?: string }
  | { readonly manager: "systemd"; readonly unit: string; readonly useSudo: boolean }
  | { readonly manager: "commands"; readonly start: string; readonly stop: string; readonly status: string };

export interface NodeSpec {
  readonly name: string;
  readonly connection: Connection;
  readonly sqlAddr: HostPort;
  readonly httpAddr: HostPort;
  /** The RPC address (`rpcAddr`, or its default; see provider/spec/rpc-addr.ts). */
  readonly rpcAddr: HostPort;
  /** `rpcAddr` was given in the inputs (a proxy or NAT between us and the node): nodes are then matched by it. */
  readonly rpcAddrGiven?: boolean;
  readonly locality: string; // "" when none
  readonly binaryPath: string;
  readonly stagingDir: string;
  readonly process: ProcessManager;
}

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

export interface Deadlines {
  readonly drainMs: number;
  readonly stopMs: number;
  readonly startMs: number;
  readonly readyMs: number;
  readonly clusterMs: number;
  readonly finalizeMs: number;
}

export type FinalizeMode =
  { readonly mode: "manual" } | { readonly mode: "auto" } | { readonly mode: "afterBake"; readonly bakeMs: number };

export interface Strategy {
  readonly order: readonly string[]; // node names, complete
  readonly canary: boolean;
  readonly canaryBakeMs: number;
  readonly waitAfterRejoinMs: number;
  readonly gateSamples: number;
  readonly gateIntervalMs: number;
  readonly gateRecheckAfterMs: number;
  readonly deadlines: Deadlines;
  readonly overallDeadlineMs: number;
  readonly maxUnavailable: number;
  readonly batch: "node" | "locality";
  readonly rollbackOnFailure: boolean;
  /** undefined when the user did not say: manual for majors. */
  readonly finalize: FinalizeMode;
  readonly paused: boolean;
  /** Accept the downtime of upgrading a single-node cluster. */
  readonly allowDowntime: boolean;
  /** Absent when the user declared no load balancer. */
  readonly loadBalancer?: { readonly checkIntervalMs: number; readonly fall: number };
  readonly leaseTtlMs: number;
  /** Post-roll watch window (0: off). */
  readonly watchMs: number;
}

export interface Spec {
  readonly version: string; // "v23.1.12"
  readonly nodes: readonly NodeSpec[];
  readonly sql: {
    readonly user: string;
    readonly password?: string;
    readonly insecure: boolean;
    readonly certsDir?: string;
    readonly tls?: { readonly ca?: string; readonly cert?: string; readonly key?: string; readonly serverName?: string };
    readonly database: string;
  };
  readonly release: {
    readonly urlTemplate: string;
    readonly sha256?: string;
    readonly fetch: "node" | "provider";
  };
  readonly strategy: Strategy;
  readonly hooks: {
    readonly debugZip?: string;
    readonly backupCommand?: string;
    readonly backupSql?: string;
    readonly debugZipOnFailure: boolean;
    readonly debugZipDeadlineMs: number;
  };
}

/** A validation failure, in the engine's CheckFailure shape: dotted path + reason. */
export interface CheckFailure {
  readonly property: string;
  readonly reason: string;
}

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

// ---------------------------------------------------------------------------
// The plan (pure, plan.ts) and its execution record (rollout.ts).
// ---------------------------------------------------------------------------

export type UpgradeKind = "none" | "patch" | "patch-downgrade" | "major" | "major-rollback";

export type Phase =
  | "preflight"
  | "stage-release"
  | "hooks"
  | "block-finalization"
  | "drain"
  | "stop"
  | "swap-binary"
  | "start"
  | "await-node"
  | "await-cluster"
  | "bake"
  | "finalize"
  | "unblock-finalization"
  | "rollback"
  /** The whole-cluster watch (watch.ts) found a node down that the run did not take down. */
  | "watch";

export interface PlanBatch {
  /** Node names rolled together (one unless batch=locality). */
  readonly nodes: readonly string[];
  /** Bake after this batch, ms (canary bake for the first when canary). */
  readonly bakeMs: number;
  readonly canary: boolean;
  readonly locality?: string;
}

export interface Plan {
  readonly from: string; // build tag(s) now, e.g. "v23.1.11" (or "mixed: ...")
  readonly to: string;
  readonly kind: UpgradeKind;
  /** Nodes already on the target: verified and skipped. */
  readonly skip: readonly string[];
  readonly batches: readonly PlanBatch[];
  /** Set on major upgrades: what blocks auto-finalization during the roll. */
  readonly blockFinalization?: {
    readonly setting: "cluster.auto_upgrade.enabled" | "cluster.preserve_downgrade_option";
    readonly value: string;
  };
  readonly finalize: FinalizeMode | { readonly mode: "not-applicable" };
  readonly estimatedMs: number;
  /** Human lines explaining choices (e.g. locality batching fell back to one node). */
  readonly notes: readonly string[];
}

export interface GateSample {
  readonly at: string; // ISO
  readonly ok: boolean;
  readonly detail: string; // e.g. "live 5/5, under-replicated 0, unavailable 0"
}

export interface PhaseRecord {
  readonly phase: Phase;
  readonly startedAt: string; // ISO
  readonly durationMs: number;
  readonly ok: boolean;
  readonly detail?: string;
  readonly samples?: readonly GateSample[];
}

export interface NodeRolloutRecord {
  readonly name: string;
  readonly nodeId?: number;
  readonly from?: string;
  readonly to: string;
  readonly outcome: "upgraded" | "skipped" | "rolled-back" | "failed" | "untouched";
  readonly phases: readonly PhaseRecord[];
}

export interface RolloutRecord {
  readonly id: string;
  readonly from: string;
  readonly to: string;
  readonly kind: UpgradeKind;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly outcome: "succeeded" | "failed" | "rolled-back" | "noop" | "paused";
  readonly error?: string;
  readonly nodes: readonly NodeRolloutRecord[];
  readonly finalization?: { readonly finalized: boolean; readonly migrationMs?: number; readonly note?: string };
  /** Findings that did not stop the run (e.g. drain settings too short for the load balancer). */
  readonly notes?: readonly string[];
  /** Single-node clusters: how long the cluster was down, from the drain to the node ready again. */
  readonly downtimeMs?: number;
  /** The cluster's condition at the end of the run (end-report.ts): nodes down, not ready, or down during it. */
  readonly warnings?: readonly string[];
  /** The evidence taken on a failure mid-roll, before the rollback (hooks.debugZipOnFailure). */
  readonly debugZip?: DebugZipRecord;
}

export interface DebugZipRecord {
  /** The node the zip was taken through. */
  readonly node?: string;
  /** Where the zip is on the machine that ran the provider. */
  readonly path?: string;
  /** Why there is no zip (it did not block the rollback). */
  readonly error?: string;
}

// ---------------------------------------------------------------------------
// Outputs. Inputs are echoed under the same keys so the engine keeps secret
// fields secret (it copies secretness from inputs to outputs by key).
// ---------------------------------------------------------------------------

export interface NodeStatus {
  readonly name: string;
  readonly nodeId?: number;
  readonly version?: string; // running build tag
  readonly state: NodeProcessState;
}

export interface HistoryEntry {
  readonly id: string;
  readonly from: string;
  readonly to: string;
  readonly outcome: RolloutRecord["outcome"];
  readonly startedAt: string;
  readonly finishedAt: string;
}

export interface ClusterVersionOutputs extends ClusterVersionInputs {
  readonly nodeStatuses: readonly NodeStatus[];
  readonly clusterVersion?: string;
  readonly finalized: boolean;
  /** How to finalize, when a major upgrade is left unfinalized. */
  readonly finalizeHint?: string;
  /** The auto-finalization block this provider set, so it can be restored. */
  readonly finalizationBlock?: { readonly setting: string; readonly previous: string; readonly value: string };
  readonly lastRollout?: RolloutRecord;
  readonly history: readonly HistoryEntry[];
}
