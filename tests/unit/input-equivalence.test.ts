/**
 * Equivalent inputs are no change: diff compares what inputs mean (as
 * parseSpec reads them), not how they are spelled. Each pair below is run
 * both ways through diffResource against outputs recorded from the first.
 */
import * as assert from "assert";
import { diffResource } from "../../provider/plan/diff";
import { changedInputKeys } from "../../provider/plan/input-equivalence";
import type { ClusterVersionInputs, ClusterVersionOutputs } from "../../provider/core/types";
import { UNKNOWN } from "../../provider/core/types";
import { inputs } from "./pure-fixtures";

const base = inputs(3, "v23.1.11");
const withStrategy = (s: Record<string, unknown>): ClusterVersionInputs => ({ ...base, strategy: s }) as ClusterVersionInputs;

/** The outputs a converged cluster leaves in state for `news`. */
function recorded(news: ClusterVersionInputs): ClusterVersionOutputs {
  const nodeStatuses = news.nodes.map((n, i) => ({ name: n.name, nodeId: i + 1, version: news.version, state: "running" as const }));
  return { ...news, nodeStatuses, clusterVersion: "23.1", finalized: true, history: [] };
}

const EQUIVALENT: readonly [string, ClusterVersionInputs, ClusterVersionInputs][] = [
  ['waitAfterRejoin "3s" and 3', withStrategy({ waitAfterRejoin: "3s" }), withStrategy({ waitAfterRejoin: 3 })],
  ['waitAfterRejoin "90s" and "1m30s"', withStrategy({ waitAfterRejoin: "90s" }), withStrategy({ waitAfterRejoin: "1m30s" })],
  ['waitAfterRejoin 90 and "90000ms"', withStrategy({ waitAfterRejoin: 90 }), withStrategy({ waitAfterRejoin: "90000ms" })],
  ['canaryBake "0s" and 0', withStrategy({ canaryBake: "0s" }), withStrategy({ canaryBake: 0 })],
  ['waitAfterRejoin "1.5m" and "90"', withStrategy({ waitAfterRejoin: "1.5m" }), withStrategy({ waitAfterRejoin: "90" })],
  ['gateInterval "5000ms" and "5s"', withStrategy({ gateInterval: "5000ms" }), withStrategy({ gateInterval: "5s" })],
  ['deadlines.drain "1h" and "60m"', withStrategy({ deadlines: { drain: "1h" } }), withStrategy({ deadlines: { drain: "60m" } })],
  ["the default wait spelled out and omitted", withStrategy({ waitAfterRejoin: "1m" }), base],
  [
    "every strategy default spelled out and omitted",
    withStrategy({
      canary: true,
      gateSamples: 3,
      batch: "node",
      maxUnavailable: 1,
      rollbackOnFailure: true,
      paused: false,
      finalize: "manual",
      leaseTtl: "60s",
    }),
    base,
  ],
  ["an empty strategy and none", withStrategy({}), base],
  ["sql defaults spelled out and omitted", { ...base, sql: { insecure: true, user: "root", database: "defaultdb" } }, base],
  ["release defaults spelled out and omitted", { ...base, release: { fetch: "node" } }, base],
  ["strategy.order spelled out as the nodes order and omitted", withStrategy({ order: ["n1", "n2", "n3"] }), base],
  [
    "nodes listed in another order with the same explicit roll order",
    { ...withStrategy({ order: ["n1", "n2", "n3"] }), nodes: [...base.nodes].reverse() },
    withStrategy({ order: ["n1", "n2", "n3"] }),
  ],
];

const DIFFERENT: readonly [string, ClusterVersionInputs, ClusterVersionInputs, string][] = [
  ['waitAfterRejoin "3s" and 4', withStrategy({ waitAfterRejoin: "3s" }), withStrategy({ waitAfterRejoin: 4 }), "strategy"],
  ['waitAfterRejoin "3s" and "3m"', withStrategy({ waitAfterRejoin: "3s" }), withStrategy({ waitAfterRejoin: "3m" }), "strategy"],
  ["a non-default canary and the default", withStrategy({ canary: false }), base, "strategy"],
  ["another roll order", withStrategy({ order: ["n3", "n2", "n1"] }), base, "strategy"],
  ["nodes reordered without an explicit order (the roll order follows them)", { ...base, nodes: [...base.nodes].reverse() }, base, "nodes"],
  ["an explicit order other than the nodes order, and none", withStrategy({ order: ["n2", "n1", "n3"] }), base, "strategy"],
  ["another SQL user", { ...base, sql: { insecure: true, user: "admin" } }, base, "sql"],
  ["another version", { ...base, version: "v23.1.12" }, base, "version"],
];

describe("provider/input-equivalence", () => {
  for (const [name, a, b] of EQUIVALENT) {
    it(`no change: ${name}`, () => {
      assert.deepStrictEqual(changedInputKeys(a, b), []);
      assert.deepStrictEqual(diffResource(recorded(a), b), { changes: false, replaces: [], lines: [] });
      assert.deepStrictEqual(diffResource(recorded(b), a), { changes: false, replaces: [], lines: [] });
    });
  }

  for (const [name, a, b, key] of DIFFERENT) {
    it(`a change of ${key}: ${name}`, () => {
      assert.ok(changedInputKeys(a, b).includes(key as never), JSON.stringify(changedInputKeys(a, b)));
      assert.strictEqual(diffResource(recorded(a), b).changes, true);
      assert.strictEqual(diffResource(recorded(b), a).changes, true);
    });
  }

  it("falls back to comparing raw values when a side cannot be read (preview unknowns)", () => {
    const unknownWait = withStrategy({ waitAfterRejoin: UNKNOWN });
    assert.deepStrictEqual(changedInputKeys(withStrategy({ waitAfterRejoin: "3s" }), unknownWait), ["strategy"]);
    assert.deepStrictEqual(changedInputKeys(unknownWait, unknownWait), []);
  });

  it("adding a node is a change of nodes only", () => {
    const four = inputs(4, "v23.1.11");
    assert.deepStrictEqual(changedInputKeys(base, four), ["nodes"]);
  });

  it("still reports providerVersion changes (so fixed code reaches read and delete)", () => {
    assert.deepStrictEqual(changedInputKeys(base, { ...base, providerVersion: "9.9.9" }), ["providerVersion"]);
  });
});
