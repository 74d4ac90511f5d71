/**
 * What refresh (read) and destroy (delete) print: refresh names each node
 * that is down, draining, not live or on another build, and is silent when
 * all is well; destroy says the cluster keeps running and at which version.
 */
import * as assert from "assert";
import { deleteReport } from "../../provider/engine/delete-report";
import type { NodeObservation, Observation } from "../../provider/cluster/observe";
import { refreshReport, refreshWarnings } from "../../provider/engine/refresh-report";

function node(name: string, extra: Partial<NodeObservation> = {}): NodeObservation {
  return {
    name,
    nodeId: 1,
    build: "v23.1.12",
    binaryBuild: "v23.1.12",
    process: "running",
    live: true,
    draining: false,
    ready: true,
    errors: [],
    ...extra,
  };
}
function obs(nodes: NodeObservation[], sqlError?: string): Observation {
  return { nodes, rows: [], unlisted: [], sqlError, cluster: { nodes, unlistedNodeIds: [] } };
}

describe("provider/refresh-report", () => {
  it("is silent when every node runs the inputs' version, live and not draining", () => {
    assert.deepStrictEqual(refreshReport(obs([node("n1"), node("n2")]), "v23.1.12"), []);
  });

  it("names each node that is down, draining, not live, unknown or on an unexpected build", () => {
    const w = refreshWarnings(
      obs([
        node("n1", { process: "stopped", live: false, build: undefined }),
        node("n2", { draining: true }),
        node("n3", { live: false }),
        node("n4", { build: "v23.1.11" }),
        node("n5", { process: "unknown", errors: ["ssh: connection refused"] }),
        node("n6"),
      ]),
      "v23.1.12",
    );
    assert.deepStrictEqual(w, [
      "node n1: down (its process is not running)",
      "node n2: draining",
      "node n3: running but not live in the cluster",
      "node n4: runs v23.1.11, not v23.1.12 (the inputs' version)",
      "node n5: state unknown (ssh: connection refused)",
    ]);
  });

  it("heads the lines with a warning that counts them and says where the truth is", () => {
    const lines = refreshReport(obs([node("n1", { process: "stopped" })], "connect ECONNREFUSED"), "v23.1.12");
    assert.match(lines[0], /^warning: refresh found 2 problem\(s\); the resource's nodeStatuses now say so/);
    assert.deepStrictEqual(lines.slice(1), [
      "  cannot read the cluster over SQL: connect ECONNREFUSED",
      "  node n1: down (its process is not running)",
    ]);
  });
});

describe("provider/delete-report", () => {
  it("says the cluster keeps running, with its nodes, build and cluster version", () => {
    const [line] = deleteReport({
      version: "v23.1.12",
      clusterVersion: "23.1",
      nodeStatuses: [
        { name: "n1", version: "v23.1.12", state: "running" },
        { name: "n2", version: "v23.1.12", state: "running" },
      ],
    });
    assert.match(
      line,
      /^resource forgotten: no node was touched; the cluster keeps running \(n1, n2\) at v23\.1\.12, cluster version 23\.1, as last recorded\./,
    );
  });

  it("names each node's build when they differ, and falls back to the desired version without statuses", () => {
    const [mixed] = deleteReport({
      nodeStatuses: [
        { name: "n1", version: "v23.1.12", state: "running" },
        { name: "n2", version: "v23.1.11", state: "stopped" },
      ],
    });
    assert.match(mixed, /on mixed builds \(n1 v23\.1\.12, n2 v23\.1\.11\)/);
    assert.match(deleteReport({ version: "v23.1.12" })[0], /keeps running at v23\.1\.12 \(the last desired version\)/);
  });
});
