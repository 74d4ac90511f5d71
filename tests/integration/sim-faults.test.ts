/**
 * The release faults (`sim release --fault NAME`) as a node running that
 * release shows them: start-fails, never-ready, crash-after=<s>,
 * underreplication-stuck, slow-catch-up. (drain-timeout is covered in
 * sim-lifecycle.) Each test swaps one node to the faulty release and back.
 * Loopback range: 127.0.16.x.
 */
import * as assert from "assert";
import * as fs from "fs";
import { Client } from "pg";
import { SimCluster, httpGet, startSimCluster, waitFor } from "../support/sim-cluster";

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function health(c: SimCluster, names: readonly string[]): Promise<{ under: number; unavailable: number }> {
  let under = 0;
  let unavailable = 0;
  for (const n of c.nodes.filter((x) => names.includes(x.name))) {
    const { body } = await httpGet(n.httpAddr, "/_status/vars");
    under += Number(/^ranges_underreplicated\{[^}]*\} (\d+)$/m.exec(body)?.[1]);
    unavailable += Number(/^ranges_unavailable\{[^}]*\} (\d+)$/m.exec(body)?.[1]);
  }
  return { under, unavailable };
}

describe("sim release faults", function () {
  this.timeout(120_000);
  let c: SimCluster;
  let healthy: string;

  before(async () => {
    c = await startSimCluster({ nodes: 3, version: "v23.1.11", baseIp: "127.0.16.10", timeScale: 0.1, livenessTtlS: 3 });
    healthy = c.buildRelease("v23.1.12").tarball;
  });
  after(async () => c?.stop());

  /** Stops n3, installs `tarball`, starts it the provider's way. */
  async function swapN3(tarball: string): Promise<{ code: number; stdout: string; stderr: string }> {
    if (c.killNode("n3", "SIGTERM") !== undefined) await c.waitForExit("n3");
    c.installRelease("n3", tarball);
    return c.startNode("n3");
  }

  async function restoreN3(): Promise<void> {
    if (c.killNode("n3", "SIGKILL") !== undefined) await c.waitForExit("n3");
    const r = await swapN3(healthy);
    assert.strictEqual(r.code, 0, r.stderr);
  }

  it("start-fails: `start` exits 1 with an error and the node's ports stay closed", async () => {
    const r = await swapN3(c.buildRelease("v23.1.12", "start-fails").tarball);
    assert.strictEqual(r.code, 1);
    assert.strictEqual(r.stderr, 'ERROR: failed to start server: simulated release fault start-fails\nFailed running "start"\n');
    await assert.rejects(httpGet("127.0.16.13:8080", "/health"));
    await restoreN3();
  });

  it("never-ready: the process runs and writes its pid file, but readiness stays 503 and SQL sessions are refused", async () => {
    const r = await swapN3(c.buildRelease("v23.1.12", "never-ready").tarball);
    assert.strictEqual(r.code, 0, r.stderr);
    const pid = Number(fs.readFileSync(c.nodes[2].pidFile, "utf8"));
    assert.strictEqual(c.pidOf("n3"), pid);
    for (let i = 0; i < 5; i++) {
      const h = await httpGet("127.0.16.13:8080", "/health?ready=1");
      assert.strictEqual(h.status, 503);
      assert.strictEqual((JSON.parse(h.body) as { message: string }).message, "node is not accepting SQL clients");
      await sleep(300);
    }
    assert.deepStrictEqual(await httpGet("127.0.16.13:8080", "/health"), { status: 200, body: "{}" });
    const client = new Client({ host: "127.0.16.13", port: 26257, user: "root", database: "defaultdb" });
    await assert.rejects(client.connect(), (e: Error & { code?: string }) => e.code === "57P01");
    await restoreN3();
  });

  it("crash-after=<s>: the node dies abruptly that many (scaled) seconds after it is ready", async () => {
    const r = await swapN3(c.buildRelease("v23.1.12", "crash-after=5").tarball);
    assert.strictEqual(r.code, 0, r.stderr);
    const pid = c.pidOf("n3");
    assert.ok(pid !== undefined);
    const t0 = Date.now();
    await waitFor("n3 to crash", async () => (c.pidOf("n3") === undefined ? true : undefined), 5000, 20);
    assert.ok(Date.now() - t0 < 2000, "5 sim seconds at time scale 0.1");
    assert.match(c.nodeLog("n3"), /\nF\d{6} [\d:.]+ \d+ \S+ ⋮ \[n3\] \d+ {2}simulated release fault crash-after=5: the node crashed\n/);
    await assert.rejects(httpGet("127.0.16.13:8080", "/health"));
    await restoreN3();
  });

  it("underreplication-stuck: ranges with a replica on the node stay under-replicated although every node is live", async () => {
    const r = await swapN3(c.buildRelease("v23.1.12", "underreplication-stuck").tarball);
    assert.strictEqual(r.code, 0, r.stderr);
    for (let i = 0; i < 3; i++) {
      await sleep(1000); // one metrics refresh each
      const h = await health(c, ["n1", "n2", "n3"]);
      assert.ok(h.under > 0, `refresh ${i}: ${JSON.stringify(h)}`);
      assert.strictEqual(h.unavailable, 0);
    }
    await restoreN3();
    await waitFor("under-replication to clear", async () => ((await health(c, ["n1", "n2", "n3"])).under === 0 ? true : undefined), 5000);
  });

  it("slow-catch-up: the node's catch-up window outlasts the normal one, so stopping another node makes ranges unavailable", async () => {
    await sleep(3200); // the restored n3's normal window (3 s) has passed
    const r = await swapN3(c.buildRelease("v23.1.12", "slow-catch-up").tarball);
    assert.strictEqual(r.code, 0, r.stderr);
    await sleep(3500); // past a normal catch-up window
    c.killNode("n2", "SIGKILL");
    const h = await waitFor(
      "unavailable ranges",
      async () => {
        const x = await health(c, ["n1", "n3"]);
        return x.unavailable > 0 ? x : undefined;
      },
      4000,
    );
    assert.ok(h.unavailable > 0);
    assert.strictEqual((await c.startNode("n2")).code, 0);
    await restoreN3();
  });
});
