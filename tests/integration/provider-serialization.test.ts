/**
 * The provider as the engine loads it: serialized by closure
 * (`serializeFunction(() => provider)`), revived with require-from-string
 * (what the dynamic-provider host does), and called. Plus the SDK class
 * registered under setMocks, which serializes `__provider` for real.
 */
import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import { provider } from "../../provider/index";
import { UNKNOWN } from "../../provider/core/types";

const requireFromString = require("require-from-string") as (code: string) => { handler(): typeof provider };

const inputs = {
  version: "v23.1.12",
  nodes: [1, 2, 3].map((i) => ({
    name: `n${i}`,
    sqlAddr: `127.0.20.${i}:26257`,
    httpAddr: `127.0.20.${i}:8080`,
    binaryPath: `/opt/n${i}/bin/cockroach`,
    process: { manager: "cockroach" as const, startFlags: ["--insecure"], pidFile: `/opt/n${i}/pid` },
  })),
  sql: { insecure: true },
};

describe("provider/index: as the engine loads it", function () {
  this.timeout(60_000);
  let revived: typeof provider;
  let text: string;

  before(async () => {
    const sf = await pulumi.runtime.serializeFunction(() => provider, { allowSecrets: true });
    text = sf.text;
    revived = requireFromString(text).handler();
  });

  it("serializes to plain data plus method text, without capturing implementation modules", () => {
    assert.match(text, /providerDir = "\//);
    assert.doesNotMatch(text, /require\("pg/, "pg must be required by lifecycle.js, not captured");
    assert.ok(text.length < 20_000, `serialized provider is small (${text.length} chars)`);
  });

  it("checks inputs after the round trip, tolerating the engine's __provider key and unknowns", async () => {
    const ok = await revived.check({}, { ...inputs, __provider: "x" });
    assert.deepStrictEqual(ok.failures, []);
    const bad = await revived.check({}, { ...inputs, version: "23.1" });
    assert.deepStrictEqual(
      bad.failures?.map((f) => f.property),
      ["version"],
    );
    const preview = await revived.check({}, { ...inputs, version: UNKNOWN });
    assert.deepStrictEqual(preview.failures, []);
  });

  it("diffs after the round trip: a version change is an update, never a replacement", async () => {
    const olds = {
      ...inputs,
      version: "v23.1.11",
      nodeStatuses: inputs.nodes.map((n) => ({ name: n.name, version: "v23.1.11", state: "running" })),
      history: [],
      finalized: true,
    };
    const logged: string[] = [];
    const orig = console.log;
    console.log = (l: string) => logged.push(l);
    try {
      const d = await revived.diff("crdb-x", olds, { ...inputs, __provider: "x" });
      assert.strictEqual(d.changes, true);
      assert.deepStrictEqual(d.replaces, []);
      const same = await revived.diff(
        "crdb-x",
        { ...olds, version: "v23.1.12", nodeStatuses: olds.nodeStatuses.map((s) => ({ ...s, version: "v23.1.12" })) },
        inputs,
      );
      assert.strictEqual(same.changes, false);
    } finally {
      console.log = orig;
    }
    assert.ok(
      logged.some((l) => /^\[crdb-upgrade crdb-x\] \d\d:\d\d:\d\d .*v23\.1\.11 -> v23\.1\.12/.test(l)),
      `plan printed: ${logged.join("\n")}`,
    );
  });

  it("deletes without touching anything", async () => {
    await revived.delete("crdb-x", { ...inputs, nodes: [{ ...inputs.nodes[0], sqlAddr: "127.0.20.99:1" }] });
  });
});

describe("sdk: ClusterVersion registration", function () {
  this.timeout(60_000);

  it("registers with a serialized provider, the inputs and the declared outputs", async () => {
    const registered: pulumi.runtime.MockResourceArgs[] = [];
    await pulumi.runtime.setMocks(
      {
        newResource: (args) => {
          registered.push(args);
          return { id: "crdb-mock", state: { ...args.inputs, nodeStatuses: [], finalized: true, history: [] } };
        },
        call: () => ({}),
      },
      "proj",
      "stack",
      false,
    );
    const sdk = require("../../sdk/index") as typeof import("../../sdk/index");
    const res = new sdk.ClusterVersion("prod", { ...inputs, sql: { insecure: true, password: pulumi.secret("never-logged") } as never });
    const finalized = await new Promise((r) => res.finalized.apply(r));
    assert.strictEqual(finalized, true);
    assert.strictEqual(registered.length, 1);
    const args = registered[0];
    assert.match(args.type, /^pulumi-nodejs:dynamic\/crdb-upgrade:ClusterVersion$/);
    assert.strictEqual(typeof args.inputs.__provider, "string");
    assert.match(args.inputs.__provider as string, /exports\.handler/);
    assert.doesNotMatch(args.inputs.__provider as string, /never-logged/, "no secret captured in the provider");
    assert.strictEqual(args.inputs.version, "v23.1.12");
  });
});
