/**
 * The crdb-upgrade plugin process over the Pulumi provider protocol (the
 * calls and messages the engine sends), against a simulated cluster:
 * - import: Read with only an ID returns the cluster's inputs and outputs;
 * - Cancel during n2's bake: n2 finishes its bake, n3 is never touched, the
 *   failure names what was done and what remains, and a second update resumes;
 * - the request's timeout (customTimeouts.update) bounds the run as
 *   strategy.overallDeadline does: the deadline rolls back what moved.
 * The real-engine e2e of the same behaviour (YAML programs) is in tests/e2e.
 */
import * as assert from "assert";
import { fastStrategy, inputsFor, nodeFacts, watch } from "../support/provider-harness";
import { failureOf, startPlugin, type PluginProcess } from "../support/plugin-client";
import { startSimCluster, waitFor, type SimCluster } from "../support/sim-cluster";

const FROM = "v23.1.11";
const TO = "v23.1.12";
type Props = Record<string, unknown>;

describe("plugin over gRPC: import, Cancel at a node boundary, customTimeouts", function () {
  this.timeout(300_000);
  let sim: SimCluster;
  let served: { url: string; close(): Promise<void> | void };
  let plugin: PluginProcess;

  before(async () => {
    sim = await startSimCluster({ nodes: 3, version: FROM, baseIp: "127.0.200.10", timeScale: 0.1 });
    served = await sim.serveReleases(sim.buildRelease(TO).dir);
  });
  beforeEach(async () => {
    plugin = await startPlugin();
  });
  afterEach(async () => {
    await plugin?.stop();
  });
  after(async () => {
    await served?.close();
    await sim?.stop();
  });

  const inputs = (version: string, bake = "1s"): Props =>
    inputsFor(sim, version, served.url, { strategy: fastStrategy({ waitAfterRejoin: bake, canaryBake: bake }) }) as unknown as Props;

  it("imports by an ID naming how to reach the cluster: Read with the ID alone returns its inputs and outputs", async () => {
    const id = `crdb://root@${sim.providerNodes[1].sqlAddr}?sslmode=disable&binaryPath={dir}/bin/cockroach`;
    const r = await plugin.read(id);
    assert.strictEqual(r.id, id);
    const nodes = r.inputs.nodes as Props[];
    assert.deepStrictEqual(
      nodes.map((n) => [n.name, n.sqlAddr, n.httpAddr, n.binaryPath]),
      sim.providerNodes.map((n) => [n.name, n.sqlAddr, n.httpAddr, n.binaryPath]),
    );
    assert.deepStrictEqual(
      nodes.map((n) => (n.process as Props).startFlags),
      sim.providerNodes.map((n) => n.process.startFlags),
    );
    assert.strictEqual(r.inputs.version, FROM);
    assert.deepStrictEqual(
      (r.props.nodeStatuses as Props[]).map((s) => [s.name, s.version, s.state]),
      sim.providerNodes.map((n) => [n.name, FROM, "running"]),
    );
    // The imported inputs pass check as they are: a program written from them is valid.
    assert.deepStrictEqual((await plugin.check(r.inputs)).failures, []);
  });

  it("Cancel during n2's bake: n2 finishes it, n3 is not touched, the failure says what remains; the next update resumes", async () => {
    const adopted = await plugin.create((await plugin.check(inputs(FROM))).inputs);
    const news = (await plugin.check(inputs(TO, "4s"))).inputs;
    const before = nodeFacts(sim);
    const monitor = await watch(sim);
    const running = plugin.update(adopted.id, adopted.outs, news).then(
      () => undefined,
      (e: unknown) => e,
    );
    await waitFor("n2's bake", async () => plugin.lines.find((l) => /n2 gate ok/.test(l)), 120_000, 100);
    const cancelledAt = Date.now();
    await plugin.cancel();
    const failure = failureOf(await running);
    await monitor.stop();
    // The bake counts from n2's rejoin (the end of its await-node): it ran to its end, 4 s after the rejoin,
    // even though the Cancel came during it.
    const n2 = ((failure.properties?.lastRollout as Props | undefined)?.nodes as Props[] | undefined)?.find((n) => n.name === "n2");
    const phases = (n2?.phases ?? []) as { phase: string; startedAt: string; durationMs: number; ok: boolean }[];
    const end = (p: { startedAt: string; durationMs: number }) => Date.parse(p.startedAt) + p.durationMs;
    const rejoin = phases.find((p) => p.phase === "await-node" && p.ok);
    const bake = phases.find((p) => p.phase === "bake");
    assert.ok(rejoin && bake?.ok, `n2 rejoined and its bake passed: ${JSON.stringify(phases)}`);
    assert.ok(end(bake) >= end(rejoin) + 4_000 - 50, `n2's 4s bake (from its rejoin) ran to its end: ${JSON.stringify(phases)}`);
    assert.ok(end(bake) >= cancelledAt, "the Cancel came before n2's bake ended");
    assert.match(
      failure.message,
      /^cancelled \(the engine's Cancel\) at a node boundary: n1, n2 on v23\.1\.12; remaining: n3 \(v23\.1\.11, running\)/,
    );
    assert.deepStrictEqual(monitor.violations({ maxUnavailable: 1 }), []);
    assert.deepStrictEqual(monitor.disturbanceOrder(), ["n1", "n2"], "n3 is never disturbed");
    const after = nodeFacts(sim);
    assert.deepStrictEqual(
      after.map((f) => f.binary),
      [TO, TO, FROM],
    );
    assert.strictEqual(after[2].pid, before[2].pid, "n3 kept running");
    const recorded = failure.properties?.nodeStatuses as Props[];
    assert.deepStrictEqual(
      recorded.map((s) => s.version),
      [TO, TO, FROM],
    );

    // A second `pulumi up` (a new plugin process, from the recorded outputs) resumes with n3 only.
    await plugin.stop();
    plugin = await startPlugin();
    const outs = await plugin.update(adopted.id, failure.properties as Props, news);
    assert.deepStrictEqual(
      (outs.nodeStatuses as Props[]).map((s) => s.version),
      [TO, TO, TO],
    );
  });

  it("the request's timeout (customTimeouts.update) bounds the run like strategy.overallDeadline: it rolls back", async () => {
    const current = await plugin.read(`crdb://root@${sim.providerNodes[0].sqlAddr}?sslmode=disable&binaryPath={dir}/bin/cockroach`);
    const back = (await plugin.check(inputs(FROM, "10s"))).inputs;
    const started = Date.now();
    const failure = failureOf(
      await plugin.update(current.id, current.props, back, 9).then(
        () => assert.fail("the update should time out"),
        (e: unknown) => e,
      ),
    );
    assert.match(failure.message, /overall deadline of 9s passed; rolled back n1 to v23\.1\.12/);
    assert.ok(Date.now() - started < 120_000);
    assert.deepStrictEqual(
      nodeFacts(sim).map((f) => f.binary),
      [TO, TO, TO],
      "the one node moved is back, the others untouched",
    );
  });
});
