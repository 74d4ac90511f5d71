/**
 * The RPC address that `node drain` and `debug zip` get as --host: the
 * rpcAddr input, else the start flags' --advertise-addr / --listen-addr,
 * else the SQL address; and the spec refuses a malformed rpcAddr by name.
 */
import * as assert from "assert";
import { parseSpec } from "../../provider/spec/parse";
import { defaultRpcAddr, rpcHostFlag } from "../../provider/spec/rpc-addr";
import { matchNodes, type GossipRow } from "../../provider/cluster/reader";
import { inputs } from "./pure-fixtures";
import { failsAt, withNode } from "./spec-fixtures";

const SQL = { host: "10.0.0.1", port: 26257 };

describe("provider/rpc-addr", () => {
  it("is the SQL address when the start flags name no RPC address", () => {
    assert.deepStrictEqual(defaultRpcAddr(["--insecure", "--sql-addr=10.0.0.1:26257"], SQL), SQL);
    assert.deepStrictEqual(defaultRpcAddr(undefined, SQL), SQL);
  });

  it("prefers --advertise-addr (what a client on another host dials) over --listen-addr", () => {
    const flags = ["--listen-addr=0.0.0.0:26357", "--advertise-addr", "db1.internal:26357", "--sql-addr=10.0.0.1:26257"];
    assert.deepStrictEqual(defaultRpcAddr(flags, SQL), { host: "db1.internal", port: 26357 });
  });

  it("fills a wildcard or missing host from sqlAddr and a missing port from the listen port, then 26257", () => {
    assert.deepStrictEqual(defaultRpcAddr(["--listen-addr=:26357"], SQL), { host: "10.0.0.1", port: 26357 });
    assert.deepStrictEqual(defaultRpcAddr(["--listen-addr=0.0.0.0:26357"], SQL), { host: "10.0.0.1", port: 26357 });
    assert.deepStrictEqual(defaultRpcAddr(["--listen-addr=:26357", "--advertise-addr=db1"], SQL), { host: "db1", port: 26357 });
    assert.deepStrictEqual(defaultRpcAddr(["--advertise-addr=db1"], SQL), { host: "db1", port: 26257 });
    assert.deepStrictEqual(defaultRpcAddr(["--listen-addr=[::1]:26357"], SQL), { host: "::1", port: 26357 });
  });

  it("takes the last of repeated flags, as cobra does", () => {
    assert.deepStrictEqual(defaultRpcAddr(["--listen-addr=a:1", "--listen-addr=b:2"], SQL), { host: "b", port: 2 });
  });

  it("brackets IPv6 in --host", () => {
    assert.strictEqual(rpcHostFlag({ host: "::1", port: 26357 }), "--host=[::1]:26357");
    assert.strictEqual(rpcHostFlag({ host: "10.0.0.1", port: 26357 }), "--host=10.0.0.1:26357");
  });

  it("the spec: rpcAddr given wins; omitted, it comes from the start flags", () => {
    const base = inputs();
    const n0 = base.nodes[0];
    const proc = n0.process as { manager: "cockroach"; startFlags: string[]; pidFile: string };
    const flagged = withNode(0, { process: { ...proc, startFlags: [...proc.startFlags, "--listen-addr=10.0.0.1:26357"] } });
    assert.deepStrictEqual(parseSpec(flagged).nodes[0].rpcAddr, { host: "10.0.0.1", port: 26357 });
    const given = withNode(0, { rpcAddr: "10.9.9.9:4000", process: { ...proc, startFlags: [...proc.startFlags, "--listen-addr=:1"] } });
    assert.deepStrictEqual(parseSpec(given).nodes[0].rpcAddr, { host: "10.9.9.9", port: 4000 });
    assert.deepStrictEqual(parseSpec(base).nodes[1].rpcAddr, parseSpec(base).nodes[1].sqlAddr);
  });

  it("the spec refuses a malformed rpcAddr at its path", () => {
    failsAt(withNode(1, { rpcAddr: "nope" }), "nodes[1].rpcAddr", /must be "host:port"/);
  });

  it("matches a node whose gossip address is its RPC address (SQL on its own port)", () => {
    const row = (nodeId: number, address: string, sqlAddress: string): GossipRow => ({
      nodeId,
      address,
      sqlAddress,
      build: "v25.4.0",
      locality: "",
      isAvailable: true,
      isLive: true,
      draining: false,
      membership: "active",
    });
    // The advertised SQL address differs from the one we dial (a proxy/NAT): the RPC address decides.
    const nodes = [{ name: "a", sqlAddr: { host: "lb", port: 5432 }, rpcAddr: { host: "10.0.0.1", port: 26357 }, rpcAddrGiven: true }];
    // Without rpcAddr in the inputs the same mismatch is a wrong sqlAddr: not matched (pre-flight names it).
    assert.strictEqual(matchNodes([{ ...nodes[0], rpcAddrGiven: false }], [row(7, "10.0.0.1:26357", "10.0.0.1:26257")]).byName.size, 0);
    const m = matchNodes(nodes, [row(7, "10.0.0.1:26357", "10.0.0.1:26257")]);
    assert.strictEqual(m.byName.get("a")?.nodeId, 7);
  });
});
