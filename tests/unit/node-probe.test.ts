/**
 * The one-command node probe: what it prints is parsed into process state,
 * builds and journal; an unreadable part is an error, never a guess.
 */
import * as assert from "assert";
import { parseProbe } from "../../provider/node/probe";

describe("provider/node-probe", () => {
  it("parses a full probe", () => {
    const journal = { target: "v23.1.12", from: "v23.1.11", phase: "drain", at: "2024-01-01T00:00:00.000Z", direction: "upgrade" };
    const r = parseProbe(`process=running\nbinary=v23.1.12\nprevious=v23.1.11\njournal=${JSON.stringify(journal)}\n`);
    assert.deepStrictEqual(r, { process: "running", binaryBuild: "v23.1.12", previousBuild: "v23.1.11", journal, errors: [] });
  });

  it("reports absent binaries as undefined without errors, and failed ones as errors", () => {
    const r = parseProbe("process=stopped\nbinary-absent\nprevious-error\n");
    assert.strictEqual(r.process, "stopped");
    assert.strictEqual(r.binaryBuild, undefined);
    assert.strictEqual(r.previousBuild, undefined);
    assert.deepStrictEqual(r.errors, ["previous binary: cockroach version --build-tag failed"]);
  });

  it("never guesses: no output is an unknown process, an unreadable journal an error", () => {
    assert.deepStrictEqual(parseProbe(""), {
      process: "unknown",
      binaryBuild: undefined,
      previousBuild: undefined,
      journal: undefined,
      errors: ["process: the probe printed nothing"],
    });
    assert.deepStrictEqual(parseProbe("process=running\njournal={oops\n").errors, ["journal: unreadable inflight.json"]);
  });
});
