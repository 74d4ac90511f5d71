/**
 * The one property table the plugin's package schema is built from
 * (schema.ts). Field names and meanings are those of provider/types.ts (the
 * dynamic resource's inputs and outputs); `secret` marks the credential
 * fields sdk/secret-inputs.ts makes secret (a unit test holds the two equal).
 *
 * Kept as data: a property is `[type, description, flags?]`.
 */

/** A schema type: a primitive, a reference to an object type of this table, a list, a map, or one of several. */
export type T =
  | "string"
  | "integer"
  | "number"
  | "boolean"
  | "duration"
  | "any"
  | { readonly ref: string }
  | { readonly list: T }
  | { readonly oneOf: readonly T[]; readonly discriminator?: { readonly propertyName: string; readonly mapping: Record<string, string> } };

export interface Flags {
  readonly required?: boolean;
  readonly secret?: boolean;
}

export type Prop = readonly [T, string, Flags?];

export interface ObjectType {
  readonly description: string;
  readonly properties: Readonly<Record<string, Prop>>;
}

const REQ: Flags = { required: true };
const SECRET: Flags = { secret: true };
const ref = (name: string): T => ({ ref: name });
const list = (t: T): T => ({ list: t });

/** Durations: seconds as a number, or a string like "90s", "5m", "1h30m", "250ms". */
export const DURATION_HELP = 'seconds as a number, or a string like "90s", "5m", "1h30m", "250ms"';

export const OBJECT_TYPES: Readonly<Record<string, ObjectType>> = {
  Connection: {
    description: "An SSH connection, with the field names and defaults of @pulumi/command's remote ConnectionArgs.",
    properties: {
      host: ["string", "The host to connect to.", REQ],
      port: ["integer", "The SSH port. Defaults to 22."],
      user: ["string", 'The SSH user. Defaults to "root".'],
      password: ["string", "The SSH password.", SECRET],
      privateKey: ["string", "The contents of an SSH private key (PEM or OpenSSH).", SECRET],
      privateKeyPassword: ["string", "The passphrase of the private key.", SECRET],
      agentSocketPath: ["string", "The SSH agent's socket (SSH_AUTH_SOCK) to authenticate with."],
      dialErrorLimit: ["integer", "Dial attempts before giving up. Defaults to 10."],
      perDialTimeout: ["integer", "Seconds per dial attempt. Defaults to 15."],
      hostKey: ["string", "The server's public host key, `ssh-ed25519 AAAA...` (authorized_keys form) or `SHA256:<base64>`."],
    },
  },
  CockroachProcess: {
    description:
      "The provider runs `<binaryPath> start --background --pid-file <pidFile> <startFlags...>` and stops the process with SIGTERM to the pid in `pidFile`.",
    properties: {
      manager: ["string", 'Always "cockroach".', REQ],
      startFlags: [list("string"), "The flags after `cockroach start` (the same ones the node runs with now).", REQ],
      pidFile: ["string", "The pid file `cockroach start --pid-file` writes.", REQ],
      logFile: ["string", "Where the start command's output goes."],
    },
  },
  SystemdProcess: {
    description: "The node runs as a systemd unit: `systemctl start|stop|is-active <unit>`.",
    properties: {
      manager: ["string", 'Always "systemd".', REQ],
      unit: ["string", 'The unit name, e.g. "cockroach.service".', REQ],
      useSudo: ["boolean", "Run systemctl through sudo. Defaults to false."],
    },
  },
  CommandsProcess: {
    description: "User shell commands start and stop the node; `status` exits 0 while the process runs.",
    properties: {
      manager: ["string", 'Always "commands".', REQ],
      start: ["string", "Starts the node.", REQ],
      stop: ["string", "Stops the node.", REQ],
      status: ["string", "Exits 0 while the node's process runs.", REQ],
    },
  },
  Node: {
    description: "One node of the cluster: how to reach it and how its process is managed.",
    properties: {
      name: ["string", "Unique name used in logs, outputs and `strategy.order`.", REQ],
      connection: [
        { oneOf: [ref("Connection"), "string"] },
        'How commands reach the host: an SSH connection object, or "local" (this machine). Omitted: "local".',
      ],
      sqlAddr: ["string", 'host:port the provider uses for SQL (pgwire), e.g. "10.0.0.1:26257".', REQ],
      httpAddr: ["string", 'host:port of the node\'s HTTP endpoint, e.g. "10.0.0.1:8080".', REQ],
      rpcAddr: [
        "string",
        "host:port of the node's RPC listener (`cockroach node drain`, `debug zip`). Defaults to --advertise-addr, else --listen-addr, from the start flags, else sqlAddr.",
      ],
      locality: ["string", 'e.g. "region=us-east1,zone=a"; used for ordering and locality batches.'],
      binaryPath: ["string", "The cockroach binary the process runs; swapped in place, e.g. /usr/local/bin/cockroach.", REQ],
      stagingDir: ["string", "Where releases are staged on the node. Defaults to `<dirname(binaryPath)>/.crdb-upgrade`."],
      process: [
        {
          oneOf: [ref("CockroachProcess"), ref("SystemdProcess"), ref("CommandsProcess")],
          discriminator: {
            propertyName: "manager",
            mapping: { cockroach: "CockroachProcess", systemd: "SystemdProcess", commands: "CommandsProcess" },
          },
        },
        'How the node\'s process is run: `manager` is "cockroach", "systemd" or "commands".',
        REQ,
      ],
    },
  },
  SqlTls: {
    description: "PEM contents for the provider's own SQL connections to a secure cluster.",
    properties: {
      ca: ["string", "The CA certificate (PEM)."],
      cert: ["string", "The client certificate (PEM)."],
      key: ["string", "The client key (PEM).", SECRET],
      serverName: ["string", "The server name to verify the node certificates against."],
    },
  },
  Sql: {
    description: "How the provider connects to the cluster over SQL.",
    properties: {
      user: ["string", 'Defaults to "root".'],
      password: ["string", "The SQL user's password.", SECRET],
      insecure: ["boolean", "Plain-text connections (and `--insecure` for the CLI). Defaults to false."],
      certsDir: ["string", "On the nodes: the certs directory given to `cockroach` CLI commands."],
      tls: [ref("SqlTls"), "PEM contents for the provider's own SQL connections (secure clusters)."],
      database: ["string", 'Defaults to "defaultdb".'],
    },
  },
  Release: {
    description: "Where release tarballs come from and how they are verified.",
    properties: {
      urlTemplate: [
        "string",
        "The release URL; `{version}` is substituted. Defaults to the official binaries.cockroachdb.com URL. Secret when it holds credentials.",
        SECRET,
      ],
      sha256: ["string", "Hex sha256 of the target tarball. Without it, `<url>.sha256sum` is fetched."],
      fetch: ["string", '"node": each node downloads; "provider": downloaded once here and copied (air-gapped). Defaults to "node".'],
    },
  },
  ...STRATEGY_TYPES(),
  Hooks: {
    description: "What runs before any node is touched, and the evidence kept on failure.",
    properties: {
      debugZip: ["string", "Take a `cockroach debug zip` on the first node before touching anything; the path on that node."],
      backupCommand: ["string", "A shell command run here before any node is touched; non-zero exit aborts.", SECRET],
      backupSql: ["string", "SQL run before any node is touched, e.g. a BACKUP statement.", SECRET],
      debugZipOnFailure: [
        "boolean",
        "On a failure mid-roll, a `cockroach debug zip` from a live node before any rollback. Defaults to true.",
      ],
      debugZipDeadline: ["duration", "How long that debug zip may take. Defaults to 3m."],
    },
  },
  ...OUTPUT_TYPES(),
};

function STRATEGY_TYPES(): Record<string, ObjectType> {
  return {
    Deadlines: {
      description: "Per-phase deadlines.",
      properties: {
        drain: ["duration", "`cockroach node drain`. Defaults to 10m."],
        stop: ["duration", "The process exiting after SIGTERM. Defaults to 5m."],
        start: ["duration", "The start command. Defaults to 5m."],
        ready: ["duration", "The node ready and live on the target. Defaults to 10m."],
        cluster: ["duration", "The cluster gate holding. Defaults to 10m."],
        finalize: ["duration", "Finalization of a major upgrade. Defaults to 30m."],
      },
    },
    LoadBalancer: {
      description: "The load balancer in front of the SQL port (pre-flight warns when the drain is shorter than its check window).",
      properties: {
        checkInterval: ["duration", "Its health-check interval.", REQ],
        fall: ["integer", "Failed checks before it marks a node down.", REQ],
      },
    },
    Strategy: {
      description: "How the roll proceeds.",
      properties: {
        order: [list("string"), "Node names in roll order. Defaults to the `nodes` order."],
        canary: ["boolean", "Treat the first node as a canary with its own (longer) bake. Defaults to true."],
        canaryBake: ["duration", "Bake after the canary. Defaults to waitAfterRejoin x 2."],
        waitAfterRejoin: ["duration", "Bake after each node rejoins, with the gate held. Defaults to 60s."],
        gateSamples: ["integer", "Consecutive healthy gate samples required. Defaults to 3."],
        gateInterval: ["duration", "Time between gate samples. Defaults to 5s."],
        gateRecheckAfter: ["duration", "Re-check of the cluster gate after it first holds. Defaults to 10s."],
        deadlines: [ref("Deadlines"), "Per-phase deadlines."],
        overallDeadline: ["duration", "Wall-clock cap for the whole update (customTimeouts.update too; the smaller wins). Defaults to 6h."],
        maxUnavailable: ["integer", "Nodes down at once, counting nodes the provider did not take down. Defaults to 1."],
        batch: [
          "string",
          '"node": one node at a time; "locality": one locality at a time when quorum is provably kept. Defaults to "node".',
        ],
        rollbackOnFailure: ["boolean", "Roll touched nodes back on failure. Defaults to true."],
        finalize: ["string", 'Major upgrades: "manual" (default), "auto", or "afterBake:<duration>".'],
        paused: ["boolean", "Stop at the next safe boundary (before touching the next node). Defaults to false."],
        allowDowntime: ["boolean", "Single-node clusters: accept the downtime of upgrading the only node. Defaults to false."],
        loadBalancer: [ref("LoadBalancer"), "The load balancer in front of the SQL port. Optional."],
        leaseTtl: ["duration", "How long the cluster's upgrade lease outlives its last renewal. Defaults to 60s."],
        watch: ["duration", 'Post-roll watch window of the whole cluster. Defaults to 5m; "0s" turns it off.'],
      },
    },
  };
}

function OUTPUT_TYPES(): Record<string, ObjectType> {
  return {
    NodeStatus: {
      description: "What one node runs, as last observed.",
      properties: {
        name: ["string", "The node's name.", REQ],
        nodeId: ["integer", "CockroachDB's node ID."],
        version: ["string", "The running build tag (the binary's when stopped)."],
        state: ["string", '"running", "stopped", "draining" or "unknown".', REQ],
      },
    },
    FinalizationBlock: {
      description: "The auto-finalization block this provider set, so it can be restored.",
      properties: {
        setting: ["string", "The cluster setting.", REQ],
        previous: ["string", "The operator's value before the block.", REQ],
        value: ["string", "The value the provider set.", REQ],
      },
    },
    HistoryEntry: {
      description: "One past rollout.",
      properties: {
        id: ["string", "The run's id.", REQ],
        from: ["string", "Build(s) before.", REQ],
        to: ["string", "The target.", REQ],
        outcome: ["string", '"succeeded", "failed", "rolled-back", "noop" or "paused".', REQ],
        startedAt: ["string", "ISO time.", REQ],
        finishedAt: ["string", "ISO time.", REQ],
      },
    },
  };
}
