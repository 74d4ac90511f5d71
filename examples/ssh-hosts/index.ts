/**
 * Copy me. CockroachDB on plain hosts reached over SSH:
 *
 *   1. @pulumi/command's remote.Command prepares each host: the node's start
 *      flags file and a systemd unit whose stop timeout covers a drain;
 *   2. ClusterVersion owns the version: change `version` in stack config and
 *      `pulumi up` rolls the nodes one at a time, health-gated, with rollback.
 *
 * Both use ONE connection object per host (same field names, same meaning).
 * The host key is pinned: ClusterVersion refuses a host whose key is not
 * given or has changed (see README.md for the forms `hostKey` accepts).
 */
import * as pulumi from "@pulumi/pulumi";
import { remote, types } from "@pulumi/command";
import { ClusterVersion, NodeArgs } from "pulumi-crdb-upgrade";

interface HostConfig {
  readonly name: string;
  /** Address the nodes use for SQL/RPC (26257) and HTTP (8080), and SSH (22). */
  readonly address: string;
  /** `ssh-ed25519 AAAA...` from the host's /etc/ssh/ssh_host_ed25519_key.pub, or `SHA256:...`. */
  readonly hostKey: string;
  readonly locality?: string;
}

const config = new pulumi.Config();
const hosts = config.requireObject<HostConfig[]>("hosts");
const sshUser = config.get("sshUser") ?? "ubuntu";
const sshPrivateKey = config.requireSecret("sshPrivateKey");

const BINARY = "/usr/local/bin/cockroach";
const UNIT = "cockroach.service";
const DRAIN_DEADLINE_S = 600; // strategy.deadlines.drain below: systemd must not SIGKILL a draining node
const join = hosts.map((h) => `${h.address}:26257`).join(",");
// Not root: systemctl runs behind `sudo -n` (grant NOPASSWD for systemctl on the cockroach unit).
const useSudo = sshUser !== "root";
const sudo = useSudo ? "sudo " : "";

function startFlags(h: HostConfig): string {
  return [
    "--certs-dir=/var/lib/cockroach/certs",
    `--advertise-addr=${h.address}:26257`,
    `--listen-addr=${h.address}:26257`,
    `--http-addr=${h.address}:8080`,
    `--join=${join}`,
    "--store=/var/lib/cockroach/data",
    "--cache=.25",
    "--max-sql-memory=.25",
    ...(h.locality ? [`--locality=${h.locality}`] : []),
  ].join(" ");
}

function unitFile(): string {
  return [
    "[Unit]",
    "Description=CockroachDB node",
    "Requires=network-online.target",
    "After=network-online.target",
    "[Service]",
    "Type=notify",
    "User=cockroach",
    "EnvironmentFile=/etc/cockroach/flags.env",
    `ExecStart=${BINARY} start $COCKROACH_FLAGS`,
    "Restart=always",
    "RestartSec=10",
    "LimitNOFILE=35000",
    "KillSignal=SIGTERM",
    `TimeoutStopSec=${Math.max(300, DRAIN_DEADLINE_S)}`,
    "[Install]",
    "WantedBy=multi-user.target",
    "",
  ].join("\n");
}

const prepared: pulumi.Resource[] = [];
const nodes: NodeArgs[] = hosts.map((h) => {
  // The one connection object, typed as @pulumi/command's and accepted as is by ClusterVersion.
  const connection: types.input.remote.ConnectionArgs = {
    host: h.address,
    user: sshUser,
    privateKey: sshPrivateKey,
    hostKey: h.hostKey,
    dialErrorLimit: 10,
    perDialTimeout: 15,
  };
  const flags = new remote.Command(`${h.name}-flags`, {
    connection,
    stdin: `COCKROACH_FLAGS="${startFlags(h)}"\n`,
    create: `${sudo}mkdir -p /etc/cockroach && ${sudo}tee /etc/cockroach/flags.env >/dev/null`,
    triggers: [startFlags(h)],
  });
  const unit = new remote.Command(
    `${h.name}-unit`,
    {
      connection,
      stdin: unitFile(),
      create: `${sudo}tee /etc/systemd/system/${UNIT} >/dev/null && ${sudo}systemctl daemon-reload && ${sudo}systemctl enable --now ${UNIT}`,
      triggers: [unitFile()],
    },
    { dependsOn: [flags] },
  );
  prepared.push(flags, unit);
  return {
    name: h.name,
    connection,
    sqlAddr: `${h.address}:26257`,
    httpAddr: `${h.address}:8080`,
    locality: h.locality,
    binaryPath: BINARY,
    process: { manager: "systemd", unit: UNIT, useSudo },
  };
});

const crdb = new ClusterVersion(
  "prod",
  {
    version: config.require("version"),
    nodes,
    sql: {
      certsDir: "/var/lib/cockroach/certs",
      // PEM contents for the provider's own SQL connection (client cert of the SQL user).
      tls: pulumi
        .all([config.requireSecret("sqlCa"), config.requireSecret("sqlCert"), config.requireSecret("sqlKey")])
        .apply(([ca, cert, key]) => ({ ca, cert, key })),
    },
    // Hosts without internet: `fetch: "provider"` downloads once here and copies over SFTP.
    release: { fetch: config.get("releaseFetch") === "provider" ? "provider" : "node" },
    strategy: {
      waitAfterRejoin: "60s",
      deadlines: { drain: `${DRAIN_DEADLINE_S}s` },
      rollbackOnFailure: true,
    },
  },
  { dependsOn: prepared, protect: true },
);

export const nodeVersions = crdb.nodeStatuses;
export const clusterVersion = crdb.clusterVersion;
export const finalized = crdb.finalized;
