/**
 * Replica placement as SQL shows it (crdb_internal.ranges_no_leases and
 * crdb_internal.ranges, v23.1+ columns): INT8[] store IDs that node-postgres
 * parses, the truth of the simulator's placement (spread over localities),
 * and the query sim/README.md documents for the provider's zone batching.
 * Four nodes so that every range has replicas on three of them.
 * Loopback range: 127.0.18.4x.
 */
import * as assert from "assert";
import { Client } from "pg";
import { SimCluster, runCockroach, startSimCluster } from "../support/sim-cluster";

/** The replica-placement query of sim/README.md ("Replica placement"), verbatim. */
const PLACEMENT_QUERY = `SELECT r.range_id, s.node_id, n.locality
FROM (SELECT range_id, unnest(replicas) AS store_id FROM crdb_internal.ranges_no_leases) AS r
JOIN crdb_internal.kv_store_status AS s ON s.store_id = r.store_id
JOIN crdb_internal.gossip_nodes AS n ON n.node_id = s.node_id
ORDER BY r.range_id, s.node_id`;

const LOCALITIES = ["region=a,zone=1", "region=a,zone=2", "region=b,zone=1", "region=c,zone=1"];

describe("sim replica placement in SQL", function () {
  this.timeout(60_000);
  let c: SimCluster;
  let client: Client;

  before(async () => {
    c = await startSimCluster({ nodes: 4, version: "v23.1.11", baseIp: "127.0.18.40", timeScale: 0.1, localities: LOCALITIES });
    client = new Client({ host: "127.0.18.41", port: 26257, user: "root", database: "defaultdb" });
    await client.connect();
  });
  after(async () => {
    await client?.end();
    await c?.stop();
  });

  it("lists every range's replicas as INT8[] store IDs (OID 1016), sorted, that node-postgres parses into arrays", async () => {
    const res = await client.query("SELECT range_id, replicas, voting_replicas, replica_localities FROM crdb_internal.ranges_no_leases");
    assert.deepStrictEqual(
      res.fields.map((f) => [f.name, f.dataTypeID]),
      [
        ["range_id", 20],
        ["replicas", 1016],
        ["voting_replicas", 1016],
        ["replica_localities", 1009],
      ],
    );
    assert.strictEqual(res.rows.length, 64);
    for (const row of res.rows as { replicas: string[]; voting_replicas: string[]; replica_localities: string[] }[]) {
      assert.strictEqual(row.replicas.length, 3);
      assert.deepStrictEqual(row.replicas, [...row.replicas].sort());
      assert.deepStrictEqual([...row.voting_replicas].sort(), row.replicas);
      assert.deepStrictEqual(
        row.replica_localities,
        row.replicas.map((id) => LOCALITIES[Number(id) - 1]),
      );
    }
  });

  it("places each range in three regions when it can (locality diversity), as the documented query shows with node IDs", async () => {
    const rows = (await client.query(PLACEMENT_QUERY)).rows as { range_id: string; node_id: string; locality: string }[];
    assert.strictEqual(rows.length, 64 * 3);
    const byRange = new Map<string, string[]>();
    for (const r of rows) byRange.set(r.range_id, [...(byRange.get(r.range_id) ?? []), r.locality.split(",")[0]]);
    for (const [range, regions] of byRange)
      assert.deepStrictEqual([...regions].sort(), ["region=a", "region=b", "region=c"], `range ${range}`);
    const perNode = new Map<string, number>();
    for (const r of rows) perNode.set(r.node_id, (perNode.get(r.node_id) ?? 0) + 1);
    assert.deepStrictEqual([...perNode.keys()].sort(), ["1", "2", "3", "4"], "the two zones of region a share its replicas");
  });

  it("adds the leaseholder's store in crdb_internal.ranges, always one of the range's replicas", async () => {
    const rows = (
      await client.query(
        "SELECT lease_holder, count(*) AS n FROM crdb_internal.ranges WHERE lease_holder = ANY(replicas) GROUP BY lease_holder",
      )
    ).rows as { lease_holder: string; n: string }[];
    assert.strictEqual(
      rows.reduce((s, r) => s + Number(r.n), 0),
      64,
    );
  });

  it("prints arrays in PostgreSQL's text form through `cockroach sql` (tsv-quoted when they hold quotes)", async () => {
    const r = await runCockroach(c.nodes[0].binary, [
      "sql",
      "--host",
      "127.0.18.42",
      "--insecure",
      "-e",
      "SELECT ARRAY[1,2,3] AS a, replica_localities FROM crdb_internal.ranges_no_leases WHERE 1 = ANY(replicas) LIMIT 1",
    ]);
    assert.strictEqual(r.code, 0, r.stderr);
    // tsv is Go's encoding/csv with tabs: a field holding quotes is quoted, quotes doubled.
    assert.strictEqual(r.stdout, 'a\treplica_localities\n{1,2,3}\t"{""region=a,zone=1"",""region=b,zone=1"",""region=c,zone=1""}"\n');
  });
});
