/** Raw inputs, as the engine hands them to the provider (spec/ is their only reader). */

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
  /** No next node before this long after the rejoin: the range gauges are recomputed every 10s (catch-up is read live). Defaults to 10s. */
  readonly gateRecheckAfter?: DurationInput;
  readonly deadlines?: {
    readonly drain?: DurationInput; // default 10m (cockroach node drain --drain-wait)
    readonly stop?: DurationInput; // default 5m
    readonly start?: DurationInput; // default 5m
    readonly ready?: DurationInput; // default 10m (as cockroach-operator's per-pod wait)
    readonly cluster?: DurationInput; // default 10m
    readonly finalize?: DurationInput; // default 30m
    readonly probe?: DurationInput; // default 30s: one command asking a host about its process, binaries, journal
    readonly swap?: DurationInput; // default 2m: installing a binary (and lib/) in place, or copying `_old` to stage it
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
