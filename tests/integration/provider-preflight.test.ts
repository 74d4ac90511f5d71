/**
 * Pre-flight refusals against a live sim cluster. In every case the update
 * is refused with a message naming the reason, and no node is touched: the
 * invariant monitor sees no disturbance and every pid and binary is what it
 * was before.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { ClusterVersionInputs, ClusterVersionOutputs } from "../../provider/core/types";
import { startSimCluster, type SimCluster } from "../support/sim-cluster";
import { converge, inputsFor, nodeFacts, watch } from "../support/provider-harness";

const FROM = "v23.1.11";
const TO = "v23.1.12";

describe("provider: pre-flight refuses and touches nothing", function () {
  this.timeout(300_000);
  let sim: SimCluster;
  let served: { url: string; close(): Promise<void> | void };
  let adopted: ClusterVersionOutputs;
  let sha256: string;

  before(async () => {
    // Four nodes; the spec lists three unless a test says otherwise (the fourth is the "unlisted" member).
    sim = await startSimCluster({ nodes: 4, version: FROM, baseIp: "127.0.23.10", timeScale: 0.1 });
    const rel = sim.buildRelease(TO);
    sha256 = rel.sha256;
    served = await sim.serveReleases(rel.dir);
    const r = await converge("", undefined, inputsFor(sim, FROM, served.url));
    assert.ok(r.outs, r.failure?.message);
    adopted = r.outs as ClusterVersionOutputs;
  });

  after(async () => {
    await served?.close();
    await sim?.stop();
  });

  /** Runs the update, expecting a refusal matching `why`, and proves nothing was touched. */
  async function refused(inputs: ClusterVersionInputs, why: RegExp): Promise<void> {
    const before = nodeFacts(sim);
    const monitor = await watch(sim);
    const r = await converge("crdb-pre", adopted, inputs);
    await monitor.stop();
    const message = r.failure?.message ?? "(no failure: the update went through)";
    assert.match(message, why);
    assert.match(message, /^preflight: refused, no node was touched: /);
    assert.deepStrictEqual(monitor.changedSinceBaseline(), [], "no pid or binary changed");
    assert.deepStrictEqual(
      nodeFacts(sim).map((f) => [f.name, f.pid, f.binary, f.binaryIno]),
      before.map((f) => [f.name, f.pid, f.binary, f.binaryIno]),
    );
    // The recorded state is the cluster's real state: all nodes still on FROM.
    assert.deepStrictEqual(
      r.failure?.properties.nodeStatuses.filter((s) => s.state === "running").map((s) => s.version),
      r.failure?.properties.nodeStatuses.filter((s) => s.state === "running").map(() => FROM),
    );
  }

  const three = (url: string, extra: Partial<ClusterVersionInputs> = {}): ClusterVersionInputs => ({
    ...inputsFor(sim, TO, url),
    nodes: sim.providerNodes.slice(0, 3),
    ...extra,
  });

  it("refuses an active member of the cluster that is not listed", async () => {
    await refused(three(served.url), /node 4 \(127\.0\.23\.14:26257\) is an active member of the cluster but not listed in nodes/);
  });

  it("refuses a checksum mismatch", async () => {
    await refused(
      inputsFor(sim, TO, served.url, {
        release: { urlTemplate: `${served.url}/cockroach-{version}.linux-amd64.tgz`, sha256: "f".repeat(64) },
      }),
      /checksum mismatch .* expected f{64}, got [0-9a-f]{64}/,
    );
  });

  it("refuses an unreachable release URL", async () => {
    await refused(
      inputsFor(sim, TO, "http://127.0.23.250:9"),
      /cannot fetch http:\/\/127\.0\.23\.250:9\/cockroach-v23\.1\.12\.linux-amd64\.tgz\.sha256sum/,
    );
  });

  it("refuses a URL that serves HTML instead of the release", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "html-release-"));
    fs.writeFileSync(path.join(dir, `cockroach-${TO}.linux-amd64.tgz`), "<!DOCTYPE html><html><body>Please sign in</body></html>\n");
    const html = await sim.serveReleases(dir);
    try {
      await refused(
        inputsFor(sim, TO, html.url, { release: { urlTemplate: `${html.url}/cockroach-{version}.linux-amd64.tgz`, sha256 } }),
        /served HTML, not a release tarball/,
      );
    } finally {
      await html.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("refuses a listed node that is down, and the under-replicated ranges it leaves", async () => {
    // Last: the killed node stays down for the rest of this file.
    sim.killNode("n4", "SIGKILL");
    await refused(inputsFor(sim, TO, served.url), /node n4 is not running \(stopped\)/);
    // Once its liveness expired, the live nodes count its ranges as under-replicated.
    await waitFor(async () => {
      const r = await converge("crdb-pre", adopted, three(served.url));
      return /under-replicated ranges/.test(r.failure?.message ?? "");
    }, 20_000);
    await refused(three(served.url), /\d+ under-replicated ranges/);
  });
});

async function waitFor(check: () => Promise<boolean>, ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`condition not met within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 500));
  }
}
