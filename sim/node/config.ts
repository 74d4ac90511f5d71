/**
 * What `cockroach start` hands the node server: addresses, store, identity
 * of the binary and the release's faults.
 */

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

/** Faults baked into a simulated release (`sim release --fault NAME`). */
export interface ReleaseFaults {
  /** `start` fails before the node joins. */
  readonly startFails: boolean;
  /** The node runs but never accepts SQL, so /health?ready=1 stays 503. */
  readonly neverReady: boolean;
  /** The process dies abruptly this many sim seconds after it is ready. */
  readonly crashAfterS?: number;
  /** Lease transfers never finish, so drains time out. */
  readonly drainTimeout: boolean;
  /** The post-restart catch-up window is ten times longer. */
  readonly slowCatchUp: boolean;
  /** Ranges with a replica on this node stay under-replicated. */
  readonly underreplicationStuck: boolean;
}

export const NO_FAULTS: ReleaseFaults = {
  startFails: false,
  neverReady: false,
  drainTimeout: false,
  slowCatchUp: false,
  underreplicationStuck: false,
};

export const FAULT_NAMES = [
  "start-fails",
  "never-ready",
  "crash-after=<seconds>",
  "drain-timeout",
  "slow-catch-up",
  "underreplication-stuck",
];

/** Parses a comma-separated fault list ("drain-timeout,crash-after=30"); throws on unknown names. */
export function parseFaults(text: string | undefined): ReleaseFaults {
  const f = { ...NO_FAULTS } as { -readonly [K in keyof ReleaseFaults]: ReleaseFaults[K] };
  for (const item of (text ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)) {
    const [name, value] = item.split("=", 2);
    switch (name) {
      case "start-fails":
        f.startFails = true;
        break;
      case "never-ready":
        f.neverReady = true;
        break;
      case "drain-timeout":
        f.drainTimeout = true;
        break;
      case "slow-catch-up":
        f.slowCatchUp = true;
        break;
      case "underreplication-stuck":
        f.underreplicationStuck = true;
        break;
      case "crash-after": {
        const s = Number(value);
        if (!(s >= 0)) throw new Error(`fault crash-after needs a number of seconds, e.g. crash-after=30, got ${JSON.stringify(item)}`);
        f.crashAfterS = s;
        break;
      }
      default:
        throw new Error(`unknown fault ${JSON.stringify(name)}; known faults: ${FAULT_NAMES.join(", ")}`);
    }
  }
  return f;
}

export interface NodeConfig {
  readonly binaryTag: string;
  readonly faults: ReleaseFaults;
  /** Where the SQL/RPC port listens. */
  readonly listen: HostPort;
  /** The address other nodes and `node status` see. */
  readonly advertise: HostPort;
  readonly sql: HostPort;
  /** `--sql-addr` was given: SQL has its own port and `listen` serves RPC only (CR `SplitListenSQL`). */
  readonly splitSql: boolean;
  readonly http: HostPort;
  readonly join: readonly string[];
  readonly storePath: string;
  readonly locality: string;
  readonly clusterName: string;
  readonly insecure: boolean;
  /** Where ca.crt, node.crt and node.key are (`--certs-dir`); used when not insecure. */
  readonly certsDir: string;
  readonly logDir: string;
  readonly pidFile?: string;
  /** The command line, for kv_node_status.args. */
  readonly args: readonly string[];
  /** Messages meant for a terminal (banner, shutdown lines) are printed; false with --background. */
  readonly foreground: boolean;
}

export function formatHostPort(hp: HostPort): string {
  return `${hp.host}:${hp.port}`;
}
