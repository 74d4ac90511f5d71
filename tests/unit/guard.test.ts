/**
 * The guarded path's decision (guard.ts `decide`, pure) over every
 * combination of budget, nodes already down (taken down by this run or not,
 * down/draining/unready), the nodes to touch (up or already down) and the
 * critical verdict; and the waiting loop (`awaitClearance`) on a fake clock:
 * go at once, wait then go, wait then refuse at the bound — never a real sleep.
 */
import * as assert from "assert";
import { awaitClearance, decide, type CriticalVerdict, type GuardInput, type Look, type OtherDown } from "../../provider/rollout/guard";
import { isGateFailed } from "../../provider/core/errors";
import { VirtualClock } from "./pure-fixtures";

const SAFE: CriticalVerdict = { verdict: "safe", reason: "no node is critical" };
const CRITICAL: CriticalVerdict = { verdict: "critical", reason: "n2 is critical per /_status/critical_nodes" };
const UNKNOWN: CriticalVerdict = { verdict: "unknown", reason: "replica placement could not be read: boom" };

function input(extra: Partial<GuardInput>): GuardInput {
  return { budget: 1, nodes: ["n2"], alreadyDown: [], othersDown: [], critical: SAFE, waitedMs: 0, maxWaitMs: 10_000, ...extra };
}

const down = (name: string, byRun: boolean, condition: OtherDown["condition"] = "down"): OtherDown => ({ name, condition, byRun });

describe("guard: decide (pure)", () => {
  it("goes when nothing else is down and the node is not critical", () => {
    assert.strictEqual(decide(input({})).kind, "go");
  });

  it("exhaustively: go exactly when (others down + nodes up) <= budget and the up nodes are proven safe; else wait, or refuse once waited out", () => {
    const conditions: OtherDown["condition"][] = ["down", "draining", "unready"];
    const verdicts = [SAFE, CRITICAL, UNKNOWN, undefined];
    let cases = 0;
    for (const budget of [1, 2, 3]) {
      for (const othersCount of [0, 1, 2, 3]) {
        for (const cond of conditions) {
          for (const byRun of [true, false]) {
            for (const nodes of [["n5"], ["n5", "n6"]]) {
              for (const downOfThem of [0, 1, 2].filter((k) => k <= nodes.length)) {
                for (const critical of verdicts) {
                  for (const waited of [0, 10_000]) {
                    const others = Array.from({ length: othersCount }, (_, i) => down(`n${i + 1}`, byRun, cond));
                    const i = input({
                      budget,
                      nodes,
                      alreadyDown: nodes.slice(0, downOfThem),
                      othersDown: others,
                      critical,
                      waitedMs: waited,
                    });
                    const up = nodes.length - downOfThem;
                    const d = decide(i);
                    cases++;
                    const ok = up === 0 || (othersCount + up <= budget && critical?.verdict === "safe");
                    const want = ok ? "go" : waited >= 10_000 ? "refuse" : "wait";
                    assert.strictEqual(d.kind, want, `${JSON.stringify(i)} -> ${JSON.stringify(d)}`);
                  }
                }
              }
            }
          }
        }
      }
    }
    assert.ok(cases > 1000, `${cases} cases`);
  });

  it("restarting a node that is already down is always allowed, whatever else is down (it costs no availability)", () => {
    const d = decide(input({ alreadyDown: ["n2"], othersDown: [down("n1", false), down("n3", false)], critical: CRITICAL }));
    assert.strictEqual(d.kind, "go");
    assert.match(d.reason, /already down/);
  });

  it("a peer down that this run did not take down counts against the budget, and the reason says so", () => {
    const d = decide(input({ othersDown: [down("n3", false)] }));
    assert.strictEqual(d.kind, "wait");
    assert.match(d.reason, /n3 down \(not taken down by this run\)/);
    assert.match(d.reason, /2 nodes down, more than strategy\.maxUnavailable 1/);
  });

  it("a node draining or unready elsewhere counts too (it refuses clients)", () => {
    assert.strictEqual(decide(input({ othersDown: [down("n1", true, "draining")] })).kind, "wait");
    assert.strictEqual(decide(input({ othersDown: [down("n1", false, "unready")] })).kind, "wait");
  });

  it("a critical node waits, and after the bound refuses with the reason and how long it waited", () => {
    assert.deepStrictEqual(decide(input({ critical: CRITICAL })), { kind: "wait", reason: CRITICAL.reason });
    const r = decide(input({ critical: CRITICAL, waitedMs: 12_000 }));
    assert.strictEqual(r.kind, "refuse");
    assert.match(r.reason, /critical.*waited 12s/);
  });

  it("an unknown verdict is never taken as safe", () => {
    const d = decide(input({ critical: UNKNOWN }));
    assert.strictEqual(d.kind, "wait");
    assert.match(d.reason, /cannot tell whether n2 may go down: replica placement could not be read/);
  });

  it("a batch within a larger budget goes; one more down makes it wait", () => {
    assert.strictEqual(decide(input({ budget: 3, nodes: ["a", "b", "c"] })).kind, "go");
    assert.strictEqual(decide(input({ budget: 3, nodes: ["a", "b", "c"], othersDown: [down("d", false)] })).kind, "wait");
    // Two of the batch are already down: only one more goes down.
    assert.strictEqual(
      decide(input({ budget: 2, nodes: ["a", "b", "c"], alreadyDown: ["a", "b"], othersDown: [down("d", true)] })).kind,
      "go",
    );
  });
});

describe("guard: awaitClearance (fake clock)", () => {
  const target = { nodes: ["n2"], phase: "drain" as const, subject: { name: "n2", host: "10.0.0.2" }, action: "drain" };

  function deps(looks: (t: number) => Look, critical: (t: number) => CriticalVerdict, clock: VirtualClock) {
    const waits: string[] = [];
    let asked = 0;
    return {
      waits,
      asked: () => asked,
      d: {
        look: async () => looks(clock.now()),
        critical: async () => {
          asked++;
          return critical(clock.now());
        },
        clock,
        budget: 1,
        maxWaitMs: 10_000,
        intervalMs: 1_000,
        onWait: (r: string) => waits.push(r),
      },
    };
  }
  const healthy: Look = { alreadyDown: [], othersDown: [], condition: "n1 ready; n2 ready; n3 ready" };
  const peerDown: Look = { alreadyDown: [], othersDown: [down("n3", false)], condition: "n1 ready; n2 ready; n3 down (process stopped)" };

  it("goes at once on a healthy cluster, without sleeping", async () => {
    const clock = new VirtualClock(1_000_000);
    const x = deps(
      () => healthy,
      () => SAFE,
      clock,
    );
    await awaitClearance(x.d, target);
    assert.deepStrictEqual(clock.sleeps, []);
    assert.strictEqual(x.asked(), 1);
  });

  it("waits while a peer is down, then goes once it is back (critical asked only within budget)", async () => {
    const clock = new VirtualClock(1_000_000);
    const start = clock.t;
    const x = deps(
      (t) => (t - start < 3_000 ? peerDown : healthy),
      () => SAFE,
      clock,
    );
    await awaitClearance(x.d, target);
    assert.deepStrictEqual(clock.sleeps, [1_000, 1_000, 1_000]);
    assert.strictEqual(x.waits.length, 1, "one note per distinct reason");
    assert.match(x.waits[0], /n3 down \(not taken down by this run\)/);
    assert.strictEqual(x.asked(), 1, "critical_nodes is not asked while over budget");
  });

  it("waits while the node is critical (a peer catching up), then goes", async () => {
    const clock = new VirtualClock(1_000_000);
    const start = clock.t;
    const x = deps(
      () => healthy,
      (t) => (t - start < 2_000 ? CRITICAL : SAFE),
      clock,
    );
    await awaitClearance(x.d, target);
    assert.strictEqual(clock.sleeps.length, 2);
  });

  it("refuses at the bound, naming node, phase, the action, the reason and the cluster's condition", async () => {
    const clock = new VirtualClock(1_000_000);
    const x = deps(
      () => peerDown,
      () => SAFE,
      clock,
    );
    await assert.rejects(awaitClearance(x.d, target), (e: Error) => {
      assert.ok(isGateFailed(e));
      assert.match(e.message, /^drain node n2 \(10\.0\.0\.2\): refused to drain n2: n3 down \(not taken down by this run\)/);
      assert.match(e.message, /waited 10s for the cluster to recover/);
      assert.match(e.message, /cluster now: n1 ready; n2 ready; n3 down \(process stopped\)/);
      return true;
    });
    assert.strictEqual(clock.sleeps.length, 10, "bounded: ten intervals of 1s, no more");
  });

  it("a node that is already down is restarted at once even with a peer down", async () => {
    const clock = new VirtualClock(1_000_000);
    const x = deps(
      () => ({ ...peerDown, alreadyDown: ["n2"] }),
      () => CRITICAL,
      clock,
    );
    await awaitClearance(x.d, target);
    assert.deepStrictEqual(clock.sleeps, []);
    assert.strictEqual(x.asked(), 0);
  });
});
