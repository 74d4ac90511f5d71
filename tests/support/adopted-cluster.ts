/**
 * The setup most provider integration tests share: a simulated cluster, the
 * releases a case may roll to served over HTTP, and the resource created
 * (adopted) at the cluster's version, as `pulumi up` of a new stack would.
 *
 *   ({ sim, served, releases, adopted } = await adoptSimCluster({ nodes: 3, version: FROM, baseIp, timeScale: 0.1, serve: [TO] }));
 *   ...
 *   after(() => sim?.stop()); // stops the release server too
 */
import * as assert from "assert";
import type { ClusterVersionInputs, ClusterVersionOutputs } from "../../provider/core/types";
import { converge, inputsFor } from "./provider-harness";
import { startSimCluster, type BuiltRelease, type SimCluster, type SimClusterOptions } from "./sim-cluster";

export interface AdoptOptions extends SimClusterOptions {
  /** Versions whose release tarballs are built (one directory) and served. */
  readonly serve: readonly string[];
  /** The inputs of the adopting create; defaults to inputsFor(sim, version, url). */
  readonly adoptInputs?: (sim: SimCluster, releaseUrl: string) => ClusterVersionInputs;
}

export interface AdoptedCluster {
  readonly sim: SimCluster;
  readonly served: { readonly url: string; close(): Promise<void> };
  /** One per `serve` entry, in that order. */
  readonly releases: readonly BuiltRelease[];
  /** The outputs of the adopting create. */
  readonly adopted: ClusterVersionOutputs;
}

export async function adoptSimCluster(opts: AdoptOptions): Promise<AdoptedCluster> {
  const sim = await startSimCluster(opts);
  try {
    const releases = opts.serve.map((v) => sim.buildRelease(v));
    if (releases.some((r) => r.dir !== releases[0]?.dir)) throw new Error("releases without a fault share one directory");
    const served = await sim.serveReleases(releases[0]?.dir ?? sim.buildRelease(opts.version).dir);
    const r = await converge("", undefined, opts.adoptInputs?.(sim, served.url) ?? inputsFor(sim, opts.version, served.url));
    assert.ok(r.outs, `adopting the cluster at ${opts.version}: ${r.failure?.message}`);
    return { sim, served, releases, adopted: r.outs };
  } catch (e) {
    await sim.stop();
    throw e;
  }
}
