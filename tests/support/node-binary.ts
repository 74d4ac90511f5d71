/** Test setup for fault cases: a node of a sim cluster made to run another binary, as an operator would swap it. */
import * as assert from "assert";
import * as fs from "fs";
import type { SimCluster } from "./sim-cluster";

/**
 * Stops the node with `signal` (SIGKILL for a build whose drain never ends), replaces its binary with
 * `binary` atomically (copy, chmod, rename) and starts it again. The caller waits for the cluster to be healthy.
 */
export async function runNodeOn(sim: SimCluster, name: string, binary: string, signal: NodeJS.Signals): Promise<void> {
  const node = sim.providerNodes.find((n) => n.name === name);
  if (!node) throw new Error(`sim cluster has no node named ${name}`);
  sim.killNode(name, signal);
  await sim.waitForExit(name, 30_000);
  fs.copyFileSync(binary, `${node.binaryPath}.tmp`);
  fs.chmodSync(`${node.binaryPath}.tmp`, 0o755);
  fs.renameSync(`${node.binaryPath}.tmp`, node.binaryPath);
  const r = await sim.startNode(name);
  assert.strictEqual(r.code, 0, `setup: restart ${name}: ${r.stderr}`);
}
