/**
 * Conformance of one running sim cluster's interfaces with the reference
 * (cockroach-interfaces.md §1–3, §6–7): the `cockroach` CLI (version, node
 * ls/status in every format, sql -e, debug zip, usage errors, unreachable
 * hosts, locked stores), the HTTP endpoints and the crdb_internal tables over
 * pgwire. Loopback range: 127.0.12.x.
 */
import * as assert from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { SimCluster, httpGet, parseTsv, runCockroach, startSimCluster } from "../support/sim-cluster";
import { sqlAt as sql } from "../support/cluster-sql";

const HOST = ["--host", "127.0.12.11:26257", "--insecure"];

describe("sim cluster interfaces (CLI, HTTP, SQL)", function () {
  this.timeout(60_000);
  let c: SimCluster;
  let bin: string;

  before(async () => {
    c = await startSimCluster({
      nodes: 3,
      version: "v23.1.11",
      baseIp: "127.0.12.10",
      timeScale: 0.1,
      localities: ["region=a", "region=b", "region=c"],
    });
    bin = c.nodes[0].binary;
  });
  after(async () => c?.stop());

  describe("cockroach version", () => {
    it("prints the aligned Build Tag block, and only the tag with --build-tag", async () => {
      const full = await runCockroach(bin, ["version"]);
      assert.strictEqual(full.code, 0);
      assert.match(full.stdout, /^Build Tag: {8}v23\.1\.11\nBuild Time: {7}\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d\nDistribution: {5}CCL\n/);
      assert.strictEqual(
        full.stdout
          .split("\n")
          .find((l) => l.startsWith("Build Tag:"))
          ?.split(/\s+/)[2],
        "v23.1.11",
      );
      assert.deepStrictEqual(await runCockroach(bin, ["version", "--build-tag"]), { code: 0, stdout: "v23.1.11\n", stderr: "" });
    });
  });

  describe("cockroach node status / ls", () => {
    it("prints tsv by default when stdout is not a terminal, with the base columns", async () => {
      const r = await runCockroach(bin, ["node", "status", ...HOST]);
      assert.strictEqual(r.code, 0, r.stderr);
      const rows = parseTsv(r.stdout);
      assert.deepStrictEqual(Object.keys(rows[0]), [
        "id",
        "address",
        "sql_address",
        "build",
        "started_at",
        "updated_at",
        "locality",
        "is_available",
        "is_live",
      ]);
      assert.deepStrictEqual(
        rows.map((x) => [x.id, x.address, x.build, x.locality, x.is_available, x.is_live]),
        [
          ["1", "127.0.12.11:26257", "v23.1.11", "region=a", "true", "true"],
          ["2", "127.0.12.12:26257", "v23.1.11", "region=b", "true", "true"],
          ["3", "127.0.12.13:26257", "v23.1.11", "region=c", "true", "true"],
        ],
      );
    });

    it("adds the range, stats and decommission columns with --all, readable by header name", async () => {
      const rows = parseTsv((await runCockroach(bin, ["node", "status", "--all", ...HOST])).stdout);
      for (const col of [
        "replicas_leaders",
        "replicas_leaseholders",
        "ranges",
        "ranges_unavailable",
        "ranges_underreplicated",
        "live_bytes",
        "key_bytes",
        "value_bytes",
        "intent_bytes",
        "system_bytes",
        "gossiped_replicas",
        "is_decommissioning",
        "membership",
        "is_draining",
      ]) {
        assert.ok(col in rows[0], `column ${col}`);
      }
      assert.strictEqual(
        rows.reduce((sum, x) => sum + Number(x.replicas_leaseholders), 0),
        64,
      );
      assert.deepStrictEqual(
        rows.map((x) => [x.ranges, x.ranges_unavailable, x.ranges_underreplicated, x.membership, x.is_draining]),
        [
          ["64", "0", "0", "active", "false"],
          ["64", "0", "0", "active", "false"],
          ["64", "0", "0", "active", "false"],
        ],
      );
    });

    it("prints each format: csv, table with a row count, records, json and ndjson", async () => {
      const csv = await runCockroach(bin, ["node", "status", "--ranges", "--format", "csv", ...HOST]);
      assert.match(csv.stdout, /^id,address,sql_address,build,started_at,updated_at,locality,is_available,is_live,replicas_leaders,/);
      const table = (await runCockroach(bin, ["node", "status", "--format", "table", ...HOST])).stdout.split("\n");
      assert.match(table[0], /^ {2}id \| +address +\| +sql_address +\| +build +\|/);
      assert.match(table[1], /^-----\+-+\+/);
      assert.match(table[2], /^ {3}1 \| 127\.0\.12\.11:26257 \|/);
      assert.strictEqual(table[5], "(3 rows)");
      assert.match((await runCockroach(bin, ["node", "status", "--format", "records", ...HOST])).stdout, /^-\[ RECORD 1 \]\nid +\| 1\n/);
      const json = JSON.parse((await runCockroach(bin, ["node", "status", "--format", "json", ...HOST])).stdout) as Record<
        string,
        string
      >[];
      assert.strictEqual(json[1].id, "2");
      assert.strictEqual(json[1].is_live, "true");
      const nd = (await runCockroach(bin, ["node", "status", "--format", "ndjson", ...HOST])).stdout.trim().split("\n");
      assert.strictEqual((JSON.parse(nd[2]) as Record<string, string>).sql_address, "127.0.12.13:26257");
    });

    it("shows one node by ID, and says `node N doesn't exist` with exit 1 for an unknown ID", async () => {
      const one = parseTsv((await runCockroach(bin, ["node", "status", "2", ...HOST])).stdout);
      assert.deepStrictEqual(
        one.map((x) => x.id),
        ["2"],
      );
      const missing = await runCockroach(bin, ["node", "status", "9", ...HOST]);
      assert.strictEqual(missing.code, 1);
      assert.strictEqual(missing.stderr, `ERROR: node 9 doesn't exist\nFailed running "node status"\n`);
    });

    it("lists node IDs with `node ls`", async () => {
      assert.deepStrictEqual(await runCockroach(bin, ["node", "ls", ...HOST]), { code: 0, stdout: "id\n1\n2\n3\n", stderr: "" });
    });

    it("fails with `ERROR: cannot dial server` and exit 1 when nothing listens at --host", async () => {
      const r = await runCockroach(bin, ["node", "status", "--host", "127.0.12.99:26257", "--insecure"]);
      assert.strictEqual(r.code, 1);
      assert.match(r.stderr, /^ERROR: cannot dial server\.\nIs the server running\?\n/);
      assert.match(r.stderr, /dial tcp 127\.0\.12\.99:26257: connect: connection refused\nFailed running "node status"\n$/);
    });

    it("rejects unknown flags and commands like cobra, exit 1", async () => {
      const flag = await runCockroach(bin, ["node", "status", "--foo", ...HOST]);
      assert.strictEqual(flag.code, 1);
      assert.match(flag.stderr, /^Error: unknown flag: --foo\n/);
      const cmd = await runCockroach(bin, ["frobnicate"]);
      assert.strictEqual(cmd.code, 1);
      assert.match(cmd.stderr, /^Error: unknown command "frobnicate" for "cockroach"\n/);
    });
  });

  describe("cockroach sql", () => {
    it("runs -e statements over pgwire and prints tsv, command tags, and table format on request", async () => {
      const r = await runCockroach(bin, [
        "sql",
        "-e",
        "CREATE TABLE kv (k INT PRIMARY KEY, v STRING); INSERT INTO kv VALUES (1, 'one'), (2, 'two')",
        "-e",
        "SELECT k, v FROM kv ORDER BY k",
        ...HOST,
      ]);
      assert.strictEqual(r.code, 0, r.stderr);
      assert.strictEqual(r.stdout, "CREATE TABLE\nINSERT 0 2\nk\tv\n1\tone\n2\ttwo\n");
      const t = await runCockroach(bin, ["sql", "--format", "table", "-e", "SELECT v FROM kv WHERE k = 2", ...HOST]);
      assert.strictEqual(t.stdout, "   v\n-------\n  two\n(1 row)\n");
    });

    it("shows what one node acknowledged on every other node", async () => {
      await sql("127.0.12.12:26257", "CREATE TABLE IF NOT EXISTS shared (id INT PRIMARY KEY); UPSERT INTO shared VALUES (7)");
      assert.deepStrictEqual(await sql("127.0.12.13:26257", "SELECT id FROM shared"), [{ id: "7" }]);
    });

    it("prints SQL errors with their SQLSTATE and exits 1", async () => {
      const r = await runCockroach(bin, ["sql", "-e", "SELECT * FROM nope", ...HOST]);
      assert.strictEqual(r.code, 1);
      assert.strictEqual(r.stderr, `ERROR: relation "nope" does not exist\nSQLSTATE: 42P01\nFailed running "sql"\n`);
    });
  });

  describe("HTTP", () => {
    it("answers /health with 200 {} and /health?ready=1 with 200 when ready", async () => {
      assert.deepStrictEqual(await httpGet("127.0.12.11:8080", "/health"), { status: 200, body: "{}" });
      assert.strictEqual((await httpGet("127.0.12.11:8080", "/health?ready=1")).status, 200);
    });

    it("answers a bad ready value with 400 `invalid ready value`", async () => {
      const r = await httpGet("127.0.12.11:8080", "/health?ready=maybe");
      assert.strictEqual(r.status, 400);
      assert.strictEqual((JSON.parse(r.body) as { message: string }).message, "invalid ready value");
    });

    it("serves Prometheus metrics with HELP/TYPE lines, store and node_id labels, and build_timestamp", async () => {
      const { status, body } = await httpGet("127.0.12.12:8080", "/_status/vars");
      assert.strictEqual(status, 200);
      assert.match(
        body,
        /# HELP ranges_underreplicated .+\n# TYPE ranges_underreplicated gauge\nranges_underreplicated\{store="2",node_id="2"\} 0\n/,
      );
      assert.match(body, /\nranges_unavailable\{store="2",node_id="2"\} 0\n/);
      assert.match(body, /\nliveness_livenodes\{node_id="2"\} 3\n/);
      assert.match(body, /\nbuild_timestamp\{tag="v23\.1\.11",go_version="go1\.19\.10"\} \d\.\d+e\+09\n/);
    });

    it("serves /_status/nodes with descriptors, build info and liveness by node ID", async () => {
      const body = JSON.parse((await httpGet("127.0.12.13:8080", "/_status/nodes")).body) as {
        nodes: {
          desc: {
            nodeId: number;
            address: { addressField: string };
            serverVersion: { majorVal: number; minorVal: number };
            buildTag: string;
          };
          buildInfo: { tag: string };
        }[];
        livenessByNodeId: Record<string, number>;
      };
      assert.deepStrictEqual(
        body.nodes.map((n) => [n.desc.nodeId, n.desc.address.addressField, n.desc.buildTag, n.buildInfo.tag]),
        [
          [1, "127.0.12.11:26257", "v23.1.11", "v23.1.11"],
          [2, "127.0.12.12:26257", "v23.1.11", "v23.1.11"],
          [3, "127.0.12.13:26257", "v23.1.11", "v23.1.11"],
        ],
      );
      assert.deepStrictEqual(body.nodes[0].desc.serverVersion.majorVal, 23);
      assert.deepStrictEqual(body.livenessByNodeId, { "1": 3, "2": 3, "3": 3 });
    });
  });

  describe("crdb_internal over pgwire", () => {
    it("shows liveness expirations in HLC form and the gossip_nodes columns", async () => {
      const live = await sql<{ node_id: string; expiration: string; membership: string }>(
        "127.0.12.11:26257",
        "SELECT node_id, expiration, membership FROM crdb_internal.gossip_liveness ORDER BY node_id",
      );
      assert.strictEqual(live.length, 3);
      for (const row of live) assert.match(row.expiration, /^\d{10}\.\d{9},0$/);
      const nodes = await sql<Record<string, unknown>>("127.0.12.11:26257", "SELECT * FROM crdb_internal.gossip_nodes WHERE node_id = 1");
      assert.deepStrictEqual(Object.keys(nodes[0]), [
        "node_id",
        "network",
        "address",
        "advertise_address",
        "sql_network",
        "sql_address",
        "advertise_sql_address",
        "attrs",
        "locality",
        "cluster_name",
        "server_version",
        "build_tag",
        "started_at",
        "is_live",
        "ranges",
        "leases",
      ]);
      assert.strictEqual(nodes[0].server_version, "23.1");
    });

    it("keeps users without passwords on an insecure cluster, refusing to set one as CockroachDB does", async () => {
      await sql("127.0.12.11:26257", "CREATE USER IF NOT EXISTS carol");
      assert.deepStrictEqual(await sql("127.0.12.12:26257", "SELECT 1 AS one"), [{ one: "1" }]);
      await assert.rejects(
        sql("127.0.12.11:26257", "ALTER USER carol WITH PASSWORD 'x'"),
        /^error: setting or updating a password is not supported in insecure mode$/,
      );
      await sql("127.0.12.13:26257", "DROP USER carol");
    });

    it("reads store metrics by key from kv_store_status", async () => {
      const rows = await sql<{ n: string }>(
        "127.0.12.11:26257",
        "SELECT sum((metrics->>'replicas.leaseholders')::DECIMAL)::INT AS n FROM crdb_internal.kv_store_status",
      );
      assert.strictEqual(rows[0].n, "64");
    });

    it("shows and validates the cluster settings the reference names", async () => {
      const h = "127.0.12.11:26257";
      assert.deepStrictEqual(await sql(h, "SHOW CLUSTER SETTING version"), [{ version: "23.1" }]);
      assert.deepStrictEqual(await sql(h, "SHOW CLUSTER SETTING cluster.preserve_downgrade_option"), [
        { "cluster.preserve_downgrade_option": "" },
      ]);
      assert.deepStrictEqual(await sql(h, "SELECT crdb_internal.node_executable_version() AS v"), [{ v: "23.1" }]);
      await assert.rejects(
        sql(h, "SET CLUSTER SETTING cluster.preserve_downgrade_option = '22.2'"),
        /cannot set cluster\.preserve_downgrade_option to 22\.2 \(cluster version is 23\.1\)/,
      );
      await assert.rejects(sql(h, "SET CLUSTER SETTING version = '23.2'"), /cannot upgrade to 23\.2: node running 23\.1/);
      await assert.rejects(
        sql(h, "SET CLUSTER SETTING cluster.auto_upgrade.enabled = false"),
        /unknown cluster setting 'cluster\.auto_upgrade\.enabled'/,
      );
      await sql(h, "SET CLUSTER SETTING server.shutdown.drain_wait = '3s'");
      const shown = await sql<Record<string, { seconds?: number }>>("127.0.12.13:26257", "SHOW CLUSTER SETTING server.shutdown.drain_wait");
      assert.strictEqual(shown[0]["server.shutdown.drain_wait"].seconds, 3);
      await sql(h, "RESET CLUSTER SETTING server.shutdown.drain_wait");
    });
  });

  describe("cockroach debug zip", () => {
    it("writes a zip with cluster and per-node crdb_internal tables and reports progress on stderr", async () => {
      const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "sim-zip-")), "debug.zip");
      try {
        const r = await runCockroach(bin, ["debug", "zip", out, ...HOST]);
        assert.strictEqual(r.code, 0, r.stderr);
        assert.match(r.stderr, /\[cluster\] creating output file .*debug\.zip\.\.\. done\n/);
        assert.match(
          r.stderr,
          /\[node 1\] retrieving SQL data for crdb_internal\.gossip_liveness\.\.\. writing output: debug\/nodes\/1\/crdb_internal\.gossip_liveness\.txt\.\.\. done\n/,
        );
        const listing = execFileSync("unzip", ["-l", out], { encoding: "utf8" });
        for (const f of [
          "debug/crdb_internal.kv_store_status.txt",
          "debug/nodes.json",
          "debug/nodes/3/crdb_internal.gossip_nodes.txt",
          "debug/nodes/2/status.json",
          "debug/nodes/2/logs/cockroach.log",
        ]) {
          assert.ok(listing.includes(f), `zip holds ${f}`);
        }
      } finally {
        fs.rmSync(path.dirname(out), { recursive: true, force: true });
      }
    });
  });

  describe("cockroach start", () => {
    it("refuses to start on a store another live process has locked, exit 1", async () => {
      const n1 = c.providerNodes[0];
      if (n1.process.manager !== "cockroach") throw new Error("expected cockroach-managed nodes");
      const flags = n1.process.startFlags.map((f) => f.replace("127.0.12.11:", "127.0.12.21:"));
      const r = await runCockroach(bin, ["start", "--background", ...flags]);
      assert.strictEqual(r.code, 1);
      assert.match(r.stderr, /^ERROR: could not acquire lock on store .*\/n1\/store: .*LOCK: resource temporarily unavailable/);
      assert.match(r.stderr, /Failed running "start"\n$/);
      assert.strictEqual((await httpGet("127.0.12.11:8080", "/health?ready=1")).status, 200);
    });
  });
});
