/**
 * Copy me. Owns the version of a CockroachDB cluster whose nodes run on this
 * machine, managed by the provider through `cockroach start --background` and
 * a pid file. Start a simulated one with:
 *
 *   npm run --silent sim -- up --dir /tmp/crdb --nodes 3 --version v23.1.11 --base-ip 127.0.0.20 > cluster.json
 *   npm run --silent sim -- release v23.1.12 --out /tmp/crdb-releases && npm run sim -- serve /tmp/crdb-releases
 *
 * then `pulumi config set version v23.1.12` and `pulumi up`.
 */
import * as pulumi from "@pulumi/pulumi";
import * as fs from "fs";
import { ClusterVersion, isSecretConfigKey, NodeArgs } from "pulumi-crdb-upgrade";

const config = new pulumi.Config();
// `sim up` prints the node list in exactly the shape `nodes` takes.
const cluster = JSON.parse(fs.readFileSync(config.get("clusterFile") ?? "cluster.json", "utf8")) as { providerNodes: NodeArgs[] };

/** config.get would drop the secret marking of a URL set with --secret. */
function releaseUrl(): pulumi.Input<string> | undefined {
  return isSecretConfigKey(`${config.name}:releaseUrl`) ? config.getSecret("releaseUrl") : config.get("releaseUrl");
}

const crdb = new ClusterVersion(
  "local",
  {
    version: config.require("version"),
    nodes: cluster.providerNodes,
    sql: { insecure: true },
    release: {
      // The release server above; for real clusters leave this out to use binaries.cockroachdb.com.
      // A mirror URL with credentials: `pulumi config set --secret releaseUrl ...`; the marking is kept
      // (a URL with userinfo or a query string is secret in the state anyway, see README "Secrets").
      urlTemplate: releaseUrl() ?? "http://127.0.0.1:8099/cockroach-{version}.linux-amd64.tgz",
    },
    strategy: {
      waitAfterRejoin: "60s", // the procedure's wait after each node rejoins
      canary: true, // the first node bakes twice as long before the rest follow
      rollbackOnFailure: true,
    },
  },
  // Deleting this resource only forgets it; protect it anyway so a stray destroy is refused.
  { protect: config.getBoolean("protect") ?? true },
);

export const nodeVersions = crdb.nodeStatuses;
export const clusterVersion = crdb.clusterVersion;
export const lastRollout = crdb.lastRollout;
