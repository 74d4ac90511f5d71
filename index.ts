/**
 * The root Pulumi program: upgrades the CockroachDB cluster described by stack
 * config. Config (namespace `crdb-upgrade`):
 *   version   (required) e.g. v23.1.12
 *   nodes     (object list, see NodeArgs) — when absent, the local simulated
 *             cluster that `npm run demo` started (.demo/cluster.json) is used
 *   sql, release, strategy, hooks (objects) — secrets such as sql.password go
 *             in secret config: `pulumi config set --secret --path sql.password ...`
 *
 * Every object is read with getConfigObject, which keeps the secret marking:
 * an object holding a secret value has each of its fields secret, so the
 * state never holds it in plain text while `pulumi preview --diff` still
 * names the field that changed. The credential fields (passwords, keys,
 * hooks, a release URL with credentials) are secret even in plain config
 * (the resource does it: sdk/secret-inputs.ts). See README "Secrets".
 */
import * as pulumi from "@pulumi/pulumi";
import * as fs from "fs";
import * as path from "path";
import { ClusterVersion, ClusterVersionArgs, getConfigObject, NodeArgs } from "./sdk";

const config = new pulumi.Config("crdb-upgrade");

/** The node list the demo's simulated cluster wrote (`sim up` prints it as providerNodes). */
function localSimNodes(): NodeArgs[] {
  const file = config.get("simClusterFile") ?? path.join(__dirname, "..", ".demo", "cluster", "cluster.json");
  if (!fs.existsSync(file)) {
    throw new Error(
      `crdb-upgrade:nodes is not set and no local simulated cluster was found at ${file}: ` +
        "run `npm run demo` (it starts one), or set crdb-upgrade:nodes to your cluster's nodes",
    );
  }
  return (JSON.parse(fs.readFileSync(file, "utf8")) as { providerNodes: NodeArgs[] }).providerNodes;
}

const args: ClusterVersionArgs = {
  version: config.require("version"),
  nodes: getConfigObject<NodeArgs[]>(config, "nodes") ?? localSimNodes(),
  sql: getConfigObject(config, "sql") ?? { insecure: true },
  release: getConfigObject(config, "release"),
  strategy: getConfigObject(config, "strategy"),
  hooks: getConfigObject(config, "hooks"),
};

const cluster = new ClusterVersion("cluster", args, { protect: config.getBoolean("protect") ?? false });

export const nodeVersions = cluster.nodeStatuses;
export const clusterVersion = cluster.clusterVersion;
export const finalized = cluster.finalized;
/** Set only while a major upgrade waits for finalization ("" otherwise, so the output always exists). */
export const finalizeHint = cluster.finalizeHint.apply((h) => h ?? "");
/** The last rollout, per node and phase, without the gate samples (those stay on the resource). */
export const lastRollout = cluster.lastRollout.apply((r) =>
  r ? { ...r, nodes: r.nodes.map((n) => ({ ...n, phases: n.phases.map(({ samples: _samples, ...p }) => p) })) } : r,
);
