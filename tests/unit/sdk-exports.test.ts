/**
 * Users type their own helpers with the package's input types: every input
 * type is exported from the package root. The compile-time half stops
 * compiling if one is no longer exported; the run-time half shows that values
 * built with those types pass the provider's own input check.
 */
import * as assert from "assert";
import { checkInputs } from "../../provider/spec/parse";
import type { ClusterVersionInputs, DurationInput, HooksInput, NodeInput, ReleaseInput, SqlInput, StrategyInput } from "../../sdk";

const bake: DurationInput = "90s";
const sql: SqlInput = { insecure: true };
const release: ReleaseInput = { urlTemplate: "https://mirror.example/cockroach-{version}.linux-amd64.tgz" };
const strategy: StrategyInput = { waitAfterRejoin: bake, canary: true };
const hooks: HooksInput = { backupSql: "BACKUP INTO 'nodelocal://1/backups'" };
const node = (i: number): NodeInput => ({
  name: `n${i}`,
  connection: "local",
  sqlAddr: `127.0.0.${10 + i}:26257`,
  httpAddr: `127.0.0.${10 + i}:8080`,
  binaryPath: `/opt/n${i}/cockroach`,
  process: { manager: "systemd", unit: "cockroach" },
});

describe("sdk: exported input types", () => {
  it("type a whole input that the provider's check accepts", () => {
    const inputs: ClusterVersionInputs = { version: "v23.1.12", nodes: [node(1), node(2), node(3)], sql, release, strategy, hooks };
    assert.deepStrictEqual(checkInputs({}, inputs).failures, []);
  });
});
