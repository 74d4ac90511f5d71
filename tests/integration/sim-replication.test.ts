/**
 * Range health as a running sim cluster reports it (reference §1 "Range
 * counting", §10 "Timing"): under-replication once a stopped node's liveness
 * expires, counted on live nodes while the stopped node's row stays stale;
 * clearing within one refresh after a restart; unavailability with two of
 * three nodes down, and for ranges shared by a node in its post-restart
 * catch-up window and a node that stops (#101321); up-replication after
 * server.time_until_store_dead when a spare node exists.
 * Loopback range: 127.0.14.x.
 */
import * as assert from "assert";
import { Client } from "pg";
import { SimCluster, httpGet, parseTsv, runCockroach, startSimCluster, waitFor } from "../support/sim-cluster";
import { sqlAt as sql } from "../support/cluster-sql";

/** ranges_underreplicated / ranges_unavailable summed over the given live nodes' /_status/vars. */
async function rangeHealth(httpAddrs: readonly string[]): Promise<{ under: number; unavailable: number }> {
  let under = 0;
  let unavailable = 0;
  for (const addr of httpAddrs) {
    const { body } = await httpGet(addr, "/_status/vars");
    under += Number(/^ranges_underreplicated\{[^}]*\} (\d+)$/m.exec(body)?.[1] ?? NaN);
    unavailable += Number(/^ranges_unavailable\{[^}]*\} (\d+)$/m.exec(body)?.[1] ?? NaN);
  }
  return { under, unavailable };
}

/** raftlog_behind of each node's store, in the order given. */
async function raftLogBehind(httpAddrs: readonly string[]): Promise<number[]> {
  const out: number[] = [];
  for (const addr of httpAddrs) {
    const { body } = await httpGet(addr, "/_status/vars");
    out.push(Number(/^raftlog_behind\{store="\d+",node_id="\d+"\} (\d+)$/m.exec(body)?.[1] ?? NaN));
  }
  return out;
}

interface CriticalNodes {
  criticalNodes: { nodeId: number; address: { addressField: string } }[];
  report: {
    underReplicated: { rangeDescriptor: { internalReplicas: { storeId: number }[] } }[];
    overReplicated: unknown[];
    violatingConstraints: unknown[];
    unavailable: unknown[];
    unavailableNodeIds: number[];
  };
}

/** POST /_status/critical_nodes on one node. */
async function criticalNodes(httpAddr: string): Promise<CriticalNodes> {
  const res = await fetch(`http://${httpAddr}/_status/critical_nodes`, { method: "POST" });
  assert.strictEqual(res.status, 200);
  return (await res.json()) as CriticalNodes;
}

function until(
  c: SimCluster,
  live: readonly string[],
  what: string,
  ok: (h: { under: number; unavailable: number }) => boolean,
  timeoutMs = 15_000,
): Promise<{ under: number; unavailable: number }> {
  const addrs = c.nodes.filter((n) => live.includes(n.name)).map((n) => n.httpAddr);
  return waitFor(
    what,
    async () => {
      const h = await rangeHealth(addrs);
      return ok(h) ? h : undefined;
    },
    timeoutMs,
  );
}

describe("sim range health", function () {
  this.timeout(120_000);

  describe("three nodes", () => {
    let c: SimCluster;
    before(async () => {
      // TTL 3 sim-s = 0.3 s; metrics refresh 1 s; catch-up window 3 s.
      c = await startSimCluster({ nodes: 3, version: "v23.1.11", baseIp: "127.0.14.10", timeScale: 0.1, livenessTtlS: 3 });
    });
    after(async () => c?.stop());

    it("counts every range under-replicated on the live nodes once a killed node's liveness expires, keeping its stale row", async () => {
      assert.deepStrictEqual(await rangeHealth(c.nodes.map((n) => n.httpAddr)), { under: 0, unavailable: 0 });
      const healthy = await criticalNodes(c.nodes[1].httpAddr);
      assert.deepStrictEqual(healthy, {
        criticalNodes: [],
        report: { underReplicated: [], overReplicated: [], violatingConstraints: [], unavailable: [], unavailableNodeIds: [] },
      });
      c.killNode("n3", "SIGKILL");
      await c.waitForExit("n3");
      assert.deepStrictEqual(await until(c, ["n1", "n2"], "64 under-replicated ranges", (h) => h.under === 64), {
        under: 64,
        unavailable: 0,
      });
      const rows = parseTsv(
        (await runCockroach(c.nodes[0].binary, ["node", "status", "--ranges", "--host", c.nodes[0].sqlAddr, "--insecure"])).stdout,
      );
      assert.deepStrictEqual(
        rows.map((r) => [r.id, r.is_live, r.ranges_underreplicated]),
        [
          ["1", "true", rows[0].ranges_underreplicated],
          ["2", "true", rows[1].ranges_underreplicated],
          ["3", "false", "0"],
        ],
      );
      assert.strictEqual(Number(rows[0].ranges_underreplicated) + Number(rows[1].ranges_underreplicated), 64);
      assert.strictEqual(rows[2].ranges, "64", "the stopped node's row keeps its last values");
    });

    it("names the live nodes critical on POST /_status/critical_nodes while n3 is down, with the under-replicated ranges and n3 unavailable", async () => {
      const r = await criticalNodes(c.nodes[0].httpAddr);
      assert.deepStrictEqual(
        r.criticalNodes.map((n) => [n.nodeId, n.address.addressField]),
        [
          [1, "127.0.14.11:26257"],
          [2, "127.0.14.12:26257"],
        ],
      );
      assert.strictEqual(r.report.underReplicated.length, 64);
      assert.deepStrictEqual(r.report.underReplicated[0].rangeDescriptor.internalReplicas.map((x) => x.storeId).sort(), [1, 2, 3]);
      assert.deepStrictEqual(r.report.unavailable, []);
      assert.deepStrictEqual(r.report.unavailableNodeIds, [3]);
    });

    it("clears under-replication within one refresh interval after the node restarts", async () => {
      const started = await c.startNode("n3");
      assert.strictEqual(started.code, 0, started.stderr);
      const t0 = Date.now();
      await until(c, ["n1", "n2", "n3"], "no under-replicated ranges", (h) => h.under === 0);
      assert.ok(Date.now() - t0 < 2500, `cleared after ${Date.now() - t0}ms (refresh is 1s)`);
    });

    it("reports raftlog_behind on the leaseholders' stores while a restarted node catches up, falling to 0 when it has", async () => {
      const restarted = await c.restartNode("n3");
      assert.strictEqual(restarted.code, 0, restarted.stderr);
      const t0 = Date.now();
      const first = await raftLogBehind(c.nodes.map((n) => n.httpAddr));
      assert.strictEqual(first[2], 0, "the catching-up node's own store leads no lagging followers");
      assert.ok(first[0] > 0 && first[1] > 0, `n1 and n2 report entries behind: ${JSON.stringify(first)}`);
      const [{ behind }] = await sql(
        c.nodes[0].sqlAddr,
        "SELECT sum((metrics->>'raftlog.behind')::DECIMAL)::INT AS behind FROM crdb_internal.kv_store_status",
      );
      assert.ok(Number(behind) > 0, `kv_store_status metrics carry raftlog.behind (${String(behind)})`);
      const totals: number[] = [];
      await waitFor(
        "raftlog_behind 0 on every store",
        async () => {
          const sum = (await raftLogBehind(c.nodes.map((n) => n.httpAddr))).reduce((a, b) => a + b, 0);
          if (totals[totals.length - 1] !== sum) totals.push(sum);
          return sum === 0 ? true : undefined;
        },
        8000,
      );
      const tookMs = Date.now() - t0;
      assert.ok(
        totals.every((v, i) => i === 0 || v < totals[i - 1]),
        `decreasing: ${JSON.stringify(totals)}`,
      );
      assert.ok(tookMs >= 2000 && tookMs < 5500, `0 after ${tookMs}ms (window 3 s, refresh 1 s)`);
    });

    it("makes ranges shared by a node in its catch-up window and a node that stops unavailable, until it catches up (#101321)", async () => {
      await new Promise((r) => setTimeout(r, 3200)); // n3's first catch-up window has passed
      const restarted = await c.restartNode("n3");
      assert.strictEqual(restarted.code, 0, restarted.stderr);
      c.killNode("n2", "SIGKILL");
      const during = await until(c, ["n1", "n3"], "unavailable ranges", (h) => h.unavailable > 0, 4000);
      assert.ok(during.unavailable > 0 && during.unavailable <= 64);
      const after = await until(c, ["n1", "n3"], "n3 caught up", (h) => h.unavailable === 0, 8000);
      assert.strictEqual(after.under, 64, "still under-replicated while n2 is down");
      assert.strictEqual((await c.startNode("n2")).code, 0);
      await until(c, ["n1", "n2", "n3"], "healthy again", (h) => h.under === 0 && h.unavailable === 0);
    });

    it("counts every range unavailable when two of the three nodes are down", async () => {
      await new Promise((r) => setTimeout(r, 3200));
      c.killNode("n2", "SIGKILL");
      c.killNode("n3", "SIGKILL");
      assert.deepStrictEqual(await until(c, ["n1"], "all ranges unavailable", (h) => h.unavailable === 64), { under: 64, unavailable: 64 });
      const vars = (await httpGet(c.nodes[0].httpAddr, "/_status/vars")).body;
      assert.match(vars, /\nliveness_livenodes\{node_id="1"\} 1\n/);
      assert.strictEqual((await c.startNode("n2")).code, 0);
      assert.strictEqual((await c.startNode("n3")).code, 0);
      await until(c, ["n1", "n2", "n3"], "healthy again", (h) => h.under === 0 && h.unavailable === 0);
    });
  });

  describe("four nodes", () => {
    let c: SimCluster;
    before(async () => {
      c = await startSimCluster({ nodes: 4, version: "v23.1.11", baseIp: "127.0.14.20", timeScale: 0.05 });
    });
    after(async () => c?.stop());

    it("up-replicates a dead node's replicas elsewhere after server.time_until_store_dead", async () => {
      const client = new Client({ host: "127.0.14.21", port: 26257, user: "root", database: "defaultdb" });
      await client.connect();
      await client.query("SET CLUSTER SETTING server.time_until_store_dead = '1m15s'"); // 3.75 s at this scale
      const onN4 = async (): Promise<number> =>
        Number((await client.query("SELECT count(*) AS n FROM crdb_internal.ranges_no_leases WHERE 4 = ANY(replicas)")).rows[0].n);
      assert.ok((await onN4()) > 0, "n4 holds replicas before it dies");
      c.killNode("n4", "SIGKILL");
      const live = ["n1", "n2", "n3"];
      const under = await until(c, live, "under-replication from n4", (h) => h.under > 0, 5000);
      assert.ok(under.under > 0);
      const t0 = Date.now();
      await until(c, live, "up-replicated", (h) => h.under === 0, 15_000);
      assert.ok(Date.now() - t0 > 1500, "not before the store is dead");
      const rows = parseTsv(
        (await runCockroach(c.nodes[0].binary, ["node", "status", "--ranges", "--host", "127.0.14.21:26257", "--insecure"])).stdout,
      );
      assert.deepStrictEqual(
        rows.slice(0, 3).map((r) => r.ranges),
        ["64", "64", "64"],
      );
      assert.strictEqual(await onN4(), 0, "ranges_no_leases shows the replicas moved off the dead store");
      await client.end();
    });
  });
});
