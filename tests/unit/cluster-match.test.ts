/**
 * How the provider reads the cluster's answers: listed nodes are matched to
 * the cluster's members by address, rows nobody claims are "unlisted", pg
 * values of every textual form become booleans, and the readiness message
 * comes out of the gRPC-gateway body.
 */
import * as assert from "assert";
import { matchNodes, readinessMessage, toGossipRow, type GossipRow } from "../../provider/cluster/reader";

function row(nodeId: number, sqlAddress: string, extra: Partial<GossipRow> = {}): GossipRow {
  return {
    nodeId,
    address: sqlAddress,
    sqlAddress,
    build: "v23.1.11",
    locality: "",
    isAvailable: true,
    isLive: true,
    draining: false,
    membership: "active",
    ...extra,
  };
}

const node = (name: string, host: string, port = 26257) => ({ name, sqlAddr: { host, port } });

describe("provider/cluster: node matching", () => {
  it("matches each listed node to the member with its SQL address", () => {
    const rows = [row(2, "127.0.20.12:26257"), row(1, "127.0.20.11:26257"), row(3, "127.0.20.13:26257")];
    const { byName, unlisted } = matchNodes([node("a", "127.0.20.11"), node("b", "127.0.20.12"), node("c", "127.0.20.13")], rows);
    assert.deepStrictEqual(
      [...byName].map(([n, r]) => [n, r.nodeId]),
      [
        ["a", 1],
        ["b", 2],
        ["c", 3],
      ],
    );
    assert.strictEqual(unlisted.length, 0);
  });

  it("falls back to the RPC address when the SQL address is not gossiped", () => {
    const rows = [row(7, "", { address: "10.0.0.1:26257" })];
    assert.strictEqual(matchNodes([node("a", "10.0.0.1")], rows).byName.get("a")?.nodeId, 7);
  });

  it("reports members that no listed node claims as unlisted", () => {
    const rows = [row(1, "127.0.20.11:26257"), row(4, "127.0.20.14:26257")];
    const { byName, unlisted } = matchNodes([node("a", "127.0.20.11"), node("x", "127.0.20.99")], rows);
    assert.strictEqual(byName.has("x"), false, "a listed node unknown to the cluster has no row");
    assert.deepStrictEqual(
      unlisted.map((r) => r.nodeId),
      [4],
    );
  });

  it("never gives one member to two listed nodes", () => {
    const rows = [row(1, "127.0.20.11:26257")];
    const { byName } = matchNodes([node("a", "127.0.20.11"), node("b", "127.0.20.11")], rows);
    assert.strictEqual(byName.size, 1);
  });

  it("treats localhost and 127.0.0.1, and bracketed IPv6, as the same address", () => {
    assert.strictEqual(matchNodes([node("a", "localhost")], [row(1, "127.0.0.1:26257")]).byName.size, 1);
    assert.strictEqual(matchNodes([node("a", "::1")], [row(1, "[::1]:26257")]).byName.size, 1);
  });
});

describe("provider/cluster: row and message parsing", () => {
  it("reads booleans whether pg returns them typed or as text", () => {
    const typed = toGossipRow({
      node_id: "1",
      address: "a:1",
      sql_address: "a:1",
      build_tag: "v23.1.11",
      locality: "",
      is_available: true,
      is_live: "t",
      draining: "false",
      membership: "active",
    });
    assert.strictEqual(typed.nodeId, 1);
    assert.strictEqual(typed.isAvailable, true);
    assert.strictEqual(typed.isLive, true);
    assert.strictEqual(typed.draining, false);
  });

  it("reads a NULL gossip side (a node never gossiped) as not live with no build", () => {
    const r = toGossipRow({
      node_id: 5,
      address: null,
      sql_address: null,
      build_tag: null,
      locality: null,
      is_available: false,
      is_live: false,
      draining: false,
      membership: "active",
    });
    assert.strictEqual(r.build, "");
    assert.strictEqual(r.isLive, false);
  });

  it("extracts the readiness message from a 503 body", () => {
    const body = JSON.stringify({ error: "node is shutting down", code: 14, message: "node is shutting down", details: [] });
    assert.strictEqual(readinessMessage(body), "node is shutting down");
    assert.strictEqual(readinessMessage("plain text\n"), "plain text");
  });
});
