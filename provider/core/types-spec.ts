/** The normalised Spec: fully defaulted, durations in ms (spec/ produces it). */

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
