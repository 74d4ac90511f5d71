/**
 * What would keep CockroachDB from finalizing a major upgrade is refused at
 * pre-flight, with nothing touched (no binary, no process, no setting),
 * where the provider used to roll every node and only then fail to finalize:
 * no licence for 24.3, a Free licence with telemetry off, invalid catalog
 * objects, a paused schema change, a node stuck decommissioning (not in the
 * provider's node list). Then, with all of it cleared, the same upgrade
 * rolls and finalizes. One 4-node cluster, v24.1 -> v24.3.
 * Loopback range: 127.0.131.x.
 */
import * as assert from "assert";
import type { ClusterVersionInputs, ClusterVersionOutputs, NodeInput } from "../../provider/core/types";
import { injectIntoCluster } from "../../sim/launcher/inject";
import type { InjectRequest } from "../../sim/fabric/protocol";
import { licenseKey } from "../support/license-keys";
import { startSimCluster, type SimCluster } from "../support/sim-cluster";
import { converge, fastStrategy, inputsFor, nodeFacts } from "../support/provider-harness";
import { metricsPublished, scalar as sql } from "../support/cluster-sql";

const FROM = "v24.1.2";
const TO = "v24.3.1";

describe("provider: finalization blockers refused at pre-flight", function () {
  this.timeout(300_000);
  let sim: SimCluster;
  let served: { url: string; close(): Promise<void> | void };
  let outs: ClusterVersionOutputs;
  const inputs = (nodes: readonly NodeInput[]): ClusterVersionInputs => ({
    ...inputsFor(sim, TO, served.url, { strategy: fastStrategy({ finalize: "auto" }) }),
    nodes,
  });
  const inject = (req: InjectRequest): Promise<void> => injectIntoCluster(sim.dir, req);

  /** The update is refused at pre-flight for `why`, and nothing on the cluster changed. */
  async function refusedUntouched(nodes: readonly NodeInput[], why: RegExp): Promise<void> {
    const facts = nodeFacts(sim);
    const r = await converge("crdb-fb", outs, inputs(nodes));
    assert.ok(r.failure, `the update must be refused:\n${r.lines.join("\n")}`);
    assert.match(r.failure.message, /refused, no node was touched: /);
    assert.match(r.failure.message, why);
    assert.deepStrictEqual(nodeFacts(sim), facts, "no pid or binary changed");
    assert.strictEqual(await sql(sim, "SHOW CLUSTER SETTING version"), "24.1");
    assert.strictEqual(await sql(sim, "SHOW CLUSTER SETTING cluster.auto_upgrade.enabled"), "true", "no block was set");
  }

  before(async () => {
    sim = await startSimCluster({ nodes: 4, version: FROM, baseIp: "127.0.131.10", timeScale: 0.1 });
    await metricsPublished(sim);
    served = await sim.serveReleases(sim.buildRelease(TO).dir);
    const adopt = await converge("", undefined, { ...inputsFor(sim, FROM, served.url), nodes: sim.providerNodes });
    assert.ok(adopt.outs, adopt.failure?.message);
    outs = adopt.outs;
  });

  after(async () => {
    await served?.close();
    await sim?.stop();
  });

  it("no licence key: CockroachDB would not finalize 24.3", async () => {
    await refusedUntouched(sim.providerNodes, /no licence key is installed .*upgrade blocked: no license installed/);
  });

  it("a Free licence with diagnostics.reporting.enabled = false", async () => {
    const key = licenseKey("Free");
    await sql(sim, `SET CLUSTER SETTING enterprise.license = '${key}'`);
    await sql(sim, "SET CLUSTER SETTING diagnostics.reporting.enabled = false");
    await refusedUntouched(sim.providerNodes, /Free licence requires telemetry, but diagnostics\.reporting\.enabled is false/);
    const r = await converge("crdb-fb", outs, inputs(sim.providerNodes));
    assert.ok(!(r.failure?.message ?? "").includes(key) && !r.lines.some((l) => l.includes(key)), "the key is never shown");
    await sql(sim, "SET CLUSTER SETTING diagnostics.reporting.enabled = true");
    await sql(sim, `SET CLUSTER SETTING enterprise.license = '${licenseKey("Enterprise")}'`);
  });

  it("invalid catalog objects (crdb_internal.invalid_objects)", async () => {
    await inject({ invalidObjects: [{ id: 104, databaseName: "app", schemaName: "public", objName: "orders", error: "mismatched name" }] });
    await refusedUntouched(sim.providerNodes, /app\.public\.orders \(id 104\): mismatched name.*repair or drop them/);
    await inject({ clear: true });
  });

  it("a paused schema-change job", async () => {
    await inject({
      jobs: [{ jobId: 42, jobType: "SCHEMA CHANGE", description: "ALTER TABLE app.orders ADD COLUMN x INT", status: "paused" }],
    });
    await refusedUntouched(sim.providerNodes, /42 \(paused\): ALTER TABLE app\.orders.*RESUME JOB/);
    await inject({ clear: true });
  });

  it("a node stuck in decommissioning membership, not in the provider's node list", async () => {
    await inject({ decommissioning: [4] });
    await refusedUntouched(sim.providerNodes.slice(0, 3), /n4 are in decommissioning membership/);
    await inject({ clear: true });
  });

  it("with all of it cleared, the same upgrade rolls and finalizes 24.3", async () => {
    const r = await converge("crdb-fb", outs, inputs(sim.providerNodes));
    assert.ok(r.outs, `${r.failure?.message}\n${r.lines.join("\n")}`);
    assert.strictEqual(r.outs.finalized, true);
    assert.strictEqual(await sql(sim, "SHOW CLUSTER SETTING version"), "24.3");
  });
});
