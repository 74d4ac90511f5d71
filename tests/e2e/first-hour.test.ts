/**
 * The rough edges of a new user's first hour (issue 13), through the real
 * Pulumi CLI on a two-node simulated cluster:
 * - bad nested inputs are refused with the field and the value, never the
 *   engine's `value {<nil>}`;
 * - equivalent inputs ("3s" then 3) are no change;
 * - refresh with a node down warns, naming it, and the resource's outputs say so;
 * - destroy says the resource was forgotten and the cluster keeps running, at which version;
 * - `pulumi import` cannot reach the provider (the dynamic provider host has no
 *   code to load without state); it changes nothing, and adopting on `up` is the way.
 */
import * as assert from "assert";
import { PulumiWorkspace } from "../support/pulumi";
import { serveReleaseMirror, type ReleaseMirror } from "../support/release-mirror";
import { rootProgram, RootProgram } from "../support/root-program";
import { startSimCluster, SimCluster } from "../support/sim-cluster";
import { fastStrategy, nodeFacts } from "../support/provider-harness";
import type { NodeStatus } from "../../provider/core/types";

const STACK = "first-hour";
const FROM = "v23.1.11";

describe("e2e: a new user's first hour (check wording, equivalent inputs, refresh, destroy, import)", function () {
  this.timeout(15 * 60 * 1000);
  let sim: SimCluster;
  let program: RootProgram;
  let ws: PulumiWorkspace;
  let mirror: ReleaseMirror;

  const ourResource = async () => {
    const exported = await ws.exportStack();
    return (exported.json.deployment.resources ?? []).find((r) => String(r.type).endsWith("crdb-upgrade:ClusterVersion"));
  };

  before(async () => {
    sim = await startSimCluster({ nodes: 2, version: FROM, baseIp: "127.0.172.10", timeScale: 0.1 });
    mirror = await serveReleaseMirror(sim, [FROM]);
    program = rootProgram();
    ws = new PulumiWorkspace({ programDir: program.dir, stack: STACK });
    await ws.init();
  });

  after(async () => {
    await ws?.dispose();
    program?.dispose();
    await mirror?.close();
    await sim?.stop();
  });

  const release = () => ({ urlTemplate: `${mirror.url}/cockroach-{version}.linux-amd64.tgz` });

  it("refuses bad nested inputs naming the field and the value, never `{<nil>}`", async () => {
    const nodes = sim.providerNodes.map((n, i) => (i === 1 ? { ...n, sqlAddr: "nope" } : n));
    program.setConfig(STACK, {
      version: "23.1",
      nodes,
      sql: { insecure: true },
      release: { ...release(), sha256: "abc" },
      strategy: fastStrategy({ waitAfterRejoin: "3x" }),
    });
    const r = await ws.run(["preview"]);
    const out = `${r.stdout}\n${r.stderr}`;
    assert.notStrictEqual(r.code, 0, out);
    assert.doesNotMatch(out, /<nil>/);
    assert.match(out, /property version value \{23\.1\} has a problem: "23\.1"/, "a top-level value is shown by the engine");
    assert.match(out, /has a problem: strategy\.waitAfterRejoin: .*"3x"/);
    assert.match(out, /has a problem: release\.sha256: .*"abc"/);
    assert.match(out, /has a problem: nodes\[1\]\.sqlAddr: .*"nope"/);
  });

  it("adopts on the first up, and treats an equivalent spelling of an input as no change", async () => {
    program.setConfig(STACK, {
      version: FROM,
      nodes: sim.providerNodes,
      sql: { insecure: true },
      release: release(),
      strategy: fastStrategy({ waitAfterRejoin: "3s" }),
    });
    const before = nodeFacts(sim);
    await ws.ok(["up", "--yes", "--skip-preview"]);
    assert.deepStrictEqual(nodeFacts(sim), before, "adopting touches no node");
    program.setConfig(STACK, { strategy: fastStrategy({ waitAfterRejoin: 3 }) });
    const preview = await ws.ok(["preview"]);
    assert.doesNotMatch(preview.stdout, /to update/, preview.stdout);
    assert.match(preview.stdout, /2 unchanged/);
  });

  it("warns on refresh, naming the node that is down, and the resource's outputs say so", async () => {
    const pid = sim.killNode("n2", "SIGKILL");
    assert.ok(pid !== undefined);
    await sim.waitForExit("n2");
    const r = await ws.ok(["refresh", "--yes", "--skip-preview"]);
    assert.match(r.stdout, /warning: refresh found 1 problem\(s\)/);
    assert.match(r.stdout, /node n2: down \(its process is not running\)/);
    const outs = (await ourResource())?.outputs as { nodeStatuses: NodeStatus[] };
    assert.deepStrictEqual(
      outs.nodeStatuses.map((s) => [s.name, s.state]),
      [
        ["n1", "running"],
        ["n2", "stopped"],
      ],
    );
    const started = await sim.startNode("n2");
    assert.strictEqual(started.code, 0, started.stderr);
    const quiet = await ws.ok(["refresh", "--yes", "--skip-preview"]);
    assert.doesNotMatch(quiet.stdout, /warning: refresh found/, "no warning once the node is back");
  });

  it("says on destroy that the resource was forgotten and the cluster keeps running, at which version", async () => {
    const before = nodeFacts(sim);
    const r = await ws.ok(["destroy", "--yes", "--skip-preview"]);
    assert.match(
      r.stdout,
      /resource forgotten: no node was touched; the cluster keeps running \(n1, n2\) at v23\.1\.11, cluster version 23\.1/,
    );
    assert.deepStrictEqual(nodeFacts(sim), before);
    assert.strictEqual(await ourResource(), undefined);
  });

  it("`pulumi import` cannot reach the provider's code and changes nothing (the README's way is to adopt on up)", async () => {
    const r = await ws.run(["import", "pulumi-nodejs:dynamic/crdb-upgrade:ClusterVersion", "cluster", "crdb-x", "--yes"]);
    assert.notStrictEqual(r.code, 0, "import fails");
    // The cause the README gives: the SDK's dynamic-provider host reads properties an import does not send.
    assert.match(`${r.stdout}\n${r.stderr}`, /reading 'toJavaScript'/);
    assert.strictEqual(await ourResource(), undefined, "and records nothing");
  });
});
