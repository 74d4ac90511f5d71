/**
 * The real engine drives a dynamic provider: up, change an input, preview
 * --diff shows the change and changes nothing, up, refresh, destroy. This
 * fails (never skips) when the engine cannot be had.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { PulumiWorkspace, engineDir } from "../support/pulumi";
import { copyProgram, fixture, ProgramDir } from "../support/program-dir";

interface JournalEntry {
  readonly op: string;
  readonly [k: string]: unknown;
}

describe("e2e: the real Pulumi engine with a dynamic provider", function () {
  this.timeout(10 * 60 * 1000);
  let program: ProgramDir;
  let ws: PulumiWorkspace;
  let journal: string;

  const ops = (): JournalEntry[] =>
    fs.existsSync(journal)
      ? fs
          .readFileSync(journal, "utf8")
          .trim()
          .split("\n")
          .filter(Boolean)
          .map((l) => JSON.parse(l) as JournalEntry)
      : [];

  before(async () => {
    program = copyProgram(fixture("smoke"));
    journal = path.join(program.dir, "journal.ndjson");
    ws = new PulumiWorkspace({ programDir: program.dir });
    await ws.init();
    await ws.setConfig("journal", journal);
  });

  after(async () => {
    await ws?.dispose();
    program?.dispose();
  });

  it("uses an engine whose version equals the @pulumi/pulumi SDK in package.json", async () => {
    const r = await ws.ok(["version"]);
    const sdk = (
      JSON.parse(fs.readFileSync(path.join(__dirname, "../../../package.json"), "utf8")) as { devDependencies: Record<string, string> }
    ).devDependencies["@pulumi/pulumi"];
    assert.strictEqual(r.stdout.trim(), `v${sdk}`);
    assert.ok(fs.existsSync(path.join(engineDir(), "pulumi-language-nodejs")));
  });

  it("creates the resource on the first up", async () => {
    await ws.setConfig("value", "a");
    await ws.ok(["up", "--yes"]);
    assert.deepStrictEqual(await ws.stackOutputs(), { value: "a", revision: 1 });
    assert.ok(ops().some((o) => o.op === "create" && o.value === "a"));
  });

  it("shows a changed input in preview --diff and changes nothing", async () => {
    await ws.setConfig("value", "b");
    const before = ops().length;
    const r = await ws.ok(["preview", "--diff"]);
    assert.match(r.stdout, /~ value: "a" => "b"/);
    assert.match(r.stdout, /1 to update/);
    const during = ops().slice(before);
    assert.ok(
      during.some((o) => o.op === "diff"),
      "preview asked the provider for a diff",
    );
    assert.ok(!during.some((o) => o.op === "update" || o.op === "create"), "preview must not update");
    assert.deepStrictEqual(await ws.stackOutputs(), { value: "a", revision: 1 });
  });

  it("updates in place on the next up", async () => {
    const r = await ws.ok(["up", "--yes"]);
    assert.match(r.stdout, /1 updated/);
    assert.deepStrictEqual(await ws.stackOutputs(), { value: "b", revision: 2 });
    assert.ok(ops().some((o) => o.op === "update" && o.from === "a" && o.to === "b"));
  });

  it("reads the resource on refresh", async () => {
    const before = ops().length;
    await ws.ok(["refresh", "--yes"]);
    assert.ok(
      ops()
        .slice(before)
        .some((o) => o.op === "read" && o.value === "b"),
    );
  });

  it("deletes the resource on destroy", async () => {
    await ws.ok(["destroy", "--yes"]);
    assert.ok(ops().some((o) => o.op === "delete" && o.value === "b"));
    const exported = await ws.exportStack();
    assert.strictEqual((exported.json.deployment.resources ?? []).length, 0);
  });
});
