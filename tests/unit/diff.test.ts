/**
 * diff against the stored outputs: when an update is needed, that it is never
 * a replacement, and the plan preview computed from the last recorded state.
 */
import * as assert from "assert";
import { diffResource } from "../../provider/plan/diff";
import type { ClusterVersionInputs, ClusterVersionOutputs, NodeStatus } from "../../provider/core/types";
import { UNKNOWN } from "../../provider/core/types";
import { inputs, nodeInput, seeded } from "./pure-fixtures";

/** The outputs a converged cluster leaves in state. */
function outputsFor(news: ClusterVersionInputs, extra: Partial<ClusterVersionOutputs> = {}): ClusterVersionOutputs {
  const statuses: NodeStatus[] = news.nodes.map((n, i) => ({ name: n.name, nodeId: i + 1, version: news.version, state: "running" }));
  const series = news.version.slice(1).split(".").slice(0, 2).join(".");
  return { ...news, nodeStatuses: statuses, clusterVersion: series, finalized: true, history: [], ...extra };
}

describe("provider/diff", () => {
  const base = inputs(3, "v23.1.11");
  const olds = outputsFor(base);

  it("reports no change, and prints nothing, when inputs and recorded versions match", () => {
    assert.deepStrictEqual(diffResource(olds, base), { changes: false, replaces: [], lines: [] });
  });

  it("ignores key order and undefined members when comparing inputs", () => {
    const reordered = { sql: { insecure: true }, nodes: base.nodes.map((n) => ({ ...n, stagingDir: undefined })), version: base.version };
    assert.strictEqual(diffResource(olds, reordered as ClusterVersionInputs).changes, false);
  });

  it("updates in place for a version change and previews the plan", () => {
    const d = diffResource(olds, { ...base, version: "v23.1.12" });
    assert.strictEqual(d.changes, true);
    assert.deepStrictEqual(d.replaces, []);
    assert.strictEqual(d.deleteBeforeReplace, undefined);
    assert.strictEqual(d.lines[0], "crdb-upgrade: v23.1.11 -> v23.1.12 (patch), 3 node(s), one at a time");
    assert.match(d.lines.join("\n"), /1\. n1 .*\(canary\).*bake 2m0s/);
    assert.match(d.lines.join("\n"), /estimated duration: ~9m40s \(first roll, per node: drain 2s by default server.shutdown settings/);
    assert.match(d.lines[d.lines.length - 1], /inputs changed: version; not yet on the target: n1, n2, n3; from the last recorded state/);
  });

  it("asks for an update when a node's recorded version lags the target (resume after a failure)", () => {
    const target = inputs(3, "v23.1.12");
    const partial = outputsFor(target, {
      nodeStatuses: [
        { name: "n1", version: "v23.1.12", state: "running" },
        { name: "n2", version: "v23.1.11", state: "running" },
        { name: "n3", version: "v23.1.11", state: "running" },
      ],
    });
    const d = diffResource(partial, target);
    assert.strictEqual(d.changes, true);
    assert.deepStrictEqual(d.replaces, []);
    assert.match(d.lines.join("\n"), /skip: n1/);
    assert.match(d.lines.join("\n"), /not yet on the target: n2, n3/);
  });

  for (const [key, change] of [
    ["nodes", { nodes: [...base.nodes, nodeInput(4)] }],
    ["strategy", { strategy: { waitAfterRejoin: "2m" } }],
    ["release", { release: { fetch: "provider" } }],
    ["sql", { sql: { insecure: true, user: "admin" } }],
    ["hooks", { hooks: { backupSql: "BACKUP INTO 'x'" } }],
    ["providerVersion", { providerVersion: "0.2.0" }],
  ] as const) {
    it(`asks for an update without restarting nodes when only ${key} changed`, () => {
      const d = diffResource(olds, { ...base, ...change } as ClusterVersionInputs);
      assert.strictEqual(d.changes, true);
      assert.deepStrictEqual(d.replaces, []);
      assert.match(d.lines.join("\n"), new RegExp(`inputs changed: ${key}; outputs are rewritten, no node is restarted`));
    });
  }

  it("refuses a major downgrade after finalization, with the reason in the lines", () => {
    const upgraded = outputsFor(inputs(3, "v23.2.3"));
    const d = diffResource(upgraded, inputs(3, "v23.1.11"));
    assert.strictEqual(d.changes, true);
    assert.strictEqual(d.refusal?.property, "version");
    assert.match(d.lines[0], /^crdb-upgrade: refused: .*finalized.*restore a backup into a new cluster/);
  });

  it("previews a major rollback while the upgrade is not finalized", () => {
    const unfinalized = outputsFor(inputs(3, "v23.2.3"), { finalized: false, clusterVersion: "23.1" });
    const d = diffResource(unfinalized, inputs(3, "v23.1.11"));
    assert.strictEqual(d.refusal, undefined);
    assert.match(d.lines[0], /v23\.2\.3 -> v23\.1\.11 \(major-rollback\)/);
  });

  it("warns instead of refusing when only the recorded cluster version says the last upgrade is unfinalized", () => {
    const stale = outputsFor(inputs(3, "v23.2.3"), { finalized: false, clusterVersion: "23.1" });
    const d = diffResource(stale, inputs(3, "v24.1.3"));
    assert.strictEqual(d.refusal, undefined);
    assert.match(d.lines[0], /v23\.2\.3 -> v24\.1\.3 \(major\)/);
    assert.match(
      d.lines.join("\n"),
      /warning: by the last recorded state, the upgrade to 23\.2 is not finalized .*update re-reads the cluster/,
    );
  });

  it("still refuses a rollback to a series the cluster did not come from", () => {
    const skipped = outputsFor(inputs(3, "v24.3.3"), { finalized: false, clusterVersion: "24.1" });
    assert.match(diffResource(skipped, inputs(3, "v24.2.3")).refusal?.reason ?? "", /came from 24\.1/);
  });

  it("refuses a move several series away with the step-by-step path", () => {
    const d = diffResource(olds, inputs(3, "v24.1.3"));
    assert.match(d.refusal?.reason ?? "", /23\.1 -> 23\.2 -> 24\.1/);
  });

  it("tolerates unknown inputs during preview and says the plan comes later", () => {
    const d = diffResource(olds, { ...base, version: UNKNOWN });
    assert.strictEqual(d.changes, true);
    assert.deepStrictEqual(d.replaces, []);
    assert.match(d.lines[0], /v23\.1\.11 -> \(computed\): the plan is shown once the inputs are known/);
    const nodesUnknown = diffResource(olds, { ...base, version: "v23.1.12", nodes: UNKNOWN as unknown as ClusterVersionInputs["nodes"] });
    assert.strictEqual(nodesUnknown.changes, true);
    assert.match(nodesUnknown.lines[0], /once the inputs are known/);
  });

  it("assumes nodes without a recorded status are on the last desired version", () => {
    const d = diffResource({ ...olds, nodeStatuses: [] }, { ...base, version: "v23.1.12" });
    assert.match(d.lines[0], /v23\.1\.11 -> v23\.1\.12 \(patch\)/);
  });

  it("never leaks secrets into the lines", () => {
    const secret = "pa55-w0rd-secret";
    const news = {
      ...base,
      version: "v23.1.12",
      sql: { password: secret },
      nodes: [nodeInput(1, { connection: { host: "h", password: secret } }), ...base.nodes.slice(1)],
    };
    const d = diffResource(olds, news);
    assert.ok(!d.lines.join("\n").includes(secret));
  });

  it("never replaces, whatever changes (seeded)", () => {
    const rand = seeded(5);
    const versions = ["v23.1.11", "v23.1.12", "v23.2.3", "v24.1.3", "v22.2.9", UNKNOWN];
    for (let i = 0; i < 200; i++) {
      const from = inputs(1 + rand(5), versions[rand(5)]);
      const to = { ...inputs(1 + rand(5), versions[rand(versions.length)]), strategy: rand(2) === 0 ? {} : { canary: false } };
      const d = diffResource(outputsFor(from, { finalized: rand(2) === 0 }), to);
      assert.deepStrictEqual(d.replaces, []);
      assert.strictEqual(d.changes, d.lines.length > 0);
    }
  });
});
