/**
 * Progress lines and the rollout record: events become prefixed,
 * timestamped lines with the node position and an ETA; the record keeps
 * few gate samples and only plain JSON.
 */
import * as assert from "assert";
import type { RolloutEvent } from "../../provider/core/events";
import { ProgressPrinter, progressModeFromEnv } from "../../provider/engine/progress";
import { RolloutRecorder, capSamples } from "../../provider/rollout/record";

const fixed = () => new Date(2024, 0, 1, 12, 0, 1);

describe("provider/progress", () => {
  it("prefixes every line with the label and a clock, and shows node position and ETA", () => {
    const lines: string[] = [];
    const p = new ProgressPrinter("prod", (l) => lines.push(l), fixed, "verbose");
    p.handle({
      type: "start",
      from: "v23.1.11",
      to: "v23.1.12",
      kind: "patch",
      nodes: 3,
      estimatedMs: 250_000,
      lines: ["crdb-upgrade: v23.1.11 -> v23.1.12 (patch), 3 nodes"],
    });
    p.handle({ type: "phase-start", phase: "drain", at: { node: "n2", index: 2, total: 3 } });
    assert.strictEqual(lines[0], "[crdb-upgrade prod] 12:00:01 crdb-upgrade: v23.1.11 -> v23.1.12 (patch), 3 nodes");
    assert.match(lines[1], /^\[crdb-upgrade prod\] 12:00:01 n2 drain \.\.\. \(node 2\/3, ETA 4m1[0-9]s\)$/);
  });

  it("reports failures with their first line only, and rollbacks loudly", () => {
    const lines: string[] = [];
    const p = new ProgressPrinter("x", (l) => lines.push(l), fixed);
    const events: RolloutEvent[] = [
      {
        type: "phase-end",
        phase: "start",
        at: { node: "n1", index: 1, total: 3 },
        ok: false,
        durationMs: 1500,
        detail: "start node n1 (h): start exited 1\n--- last lines ---\nE disk full",
      },
      { type: "rollback-start", nodes: ["n1"], cause: "start node n1 (h): start exited 1" },
      { type: "rollback-end", ok: true, detail: "rolled back n1" },
    ];
    events.forEach(p.handle);
    assert.deepStrictEqual(
      lines.map((l) => l.replace(/^\[crdb-upgrade x\] 12:00:01 /, "")),
      [
        "n1 start FAILED after 1.5s: start node n1 (h): start exited 1",
        "ROLLBACK of n1: start node n1 (h): start exited 1",
        "rollback complete: rolled back n1",
      ],
    );
  });

  it("compact by default: one line per node with its phase times, gate changes only, no repeated plan", () => {
    const lines: string[] = [];
    const p = new ProgressPrinter("x", (l) => lines.push(l.replace(/^\[crdb-upgrade x\] 12:00:01 /, "")), fixed, "compact");
    const at = { node: "n1", index: 1, total: 2 };
    const sample = (ok: boolean, detail: string): RolloutEvent => ({
      type: "gate-sample",
      phase: "await-cluster",
      at,
      sample: { at: "t", ok, detail },
    });
    const events: RolloutEvent[] = [
      { type: "start", from: "v1", to: "v2", kind: "patch", nodes: 2, estimatedMs: 120_000, lines: ["plan line 1", "plan line 2"] },
      { type: "phase-start", phase: "preflight" },
      { type: "phase-end", phase: "preflight", ok: true, durationMs: 5 },
      { type: "phase-start", phase: "stage-release" },
      { type: "phase-end", phase: "stage-release", ok: true, durationMs: 300 },
      { type: "phase-start", phase: "drain", at },
      { type: "phase-end", phase: "drain", at, ok: true, durationMs: 500 },
      { type: "phase-start", phase: "stop", at },
      { type: "phase-end", phase: "stop", at, ok: true, durationMs: 1000 },
      sample(false, "catching up: 3"),
      sample(false, "catching up: 2"),
      sample(true, "live 3/3"),
      { type: "gate-sample", phase: "bake", at, sample: { at: "t", ok: true, detail: "live 3/3" } },
      { type: "node-done", at, outcome: "upgraded", durationMs: 20_000 },
    ];
    events.forEach(p.handle);
    assert.deepStrictEqual(lines, [
      "v1 -> v2 (patch): rolling 2 node(s), estimated 2m0s",
      "stage-release done in 300ms",
      "n1 drain ... (node 1/2, ETA 2m0s)",
      "n1 gate not yet: catching up: 3",
      "n1 gate ok: live 3/3",
      "n1 upgraded (node 1/2, 20s): drain 500ms, stop 1s",
    ]);
  });

  it("CRDB_UPGRADE_PROGRESS=verbose asks for every line; anything else is compact", () => {
    assert.strictEqual(progressModeFromEnv({ CRDB_UPGRADE_PROGRESS: "verbose" }), "verbose");
    assert.strictEqual(progressModeFromEnv({}), "compact");
  });

  it("estimates the remaining time from the measured pace once a node is done", () => {
    const p = new ProgressPrinter("x", () => undefined, fixed);
    p.handle({ type: "start", from: "a", to: "b", kind: "patch", nodes: 4, estimatedMs: 1_000_000, lines: [] });
    p.handle({ type: "node-done", at: { node: "n1", index: 1, total: 4 }, outcome: "upgraded", durationMs: 10 });
    // One node took ~0 ms, so the pace says ~0 remaining, not the plan's 1000 s.
    assert.ok(p.etaMs() < 1000);
  });
});

describe("provider/record", () => {
  it("keeps the first and the last gate samples of a phase", () => {
    const s = Array.from({ length: 10 }, (_, i) => ({ at: String(i), ok: true, detail: "" }));
    assert.deepStrictEqual(
      capSamples(s)?.map((x) => x.at),
      ["0", "7", "8", "9"],
    );
  });

  it("records phases per node with outcome, and leaves out undefined fields", async () => {
    const events: RolloutEvent[] = [];
    const r = new RolloutRecorder({ id: "r1", from: "v1", to: "v2", kind: "patch" }, ["n1", "n2"], (e) => events.push(e));
    const at = { node: "n1", index: 1, total: 2 };
    await r.phase("drain", at, async () => 1);
    await assert.rejects(r.phase("start", at, async () => Promise.reject(new Error("boom"))));
    r.node("n1", { outcome: "failed", from: "v1" });
    const rec = r.finish("failed", "boom");
    assert.deepStrictEqual(
      rec.nodes[0].phases.map((p) => [p.phase, p.ok, p.detail]),
      [
        ["drain", true, undefined],
        ["start", false, "boom"],
      ],
    );
    assert.ok(!("detail" in rec.nodes[0].phases[0]), "no undefined keys (the engine's Struct refuses them)");
    assert.strictEqual(rec.nodes[1].outcome, "untouched");
    assert.deepStrictEqual(
      events.map((e) => e.type),
      ["phase-start", "phase-end", "phase-start", "phase-end"],
    );
  });
});
