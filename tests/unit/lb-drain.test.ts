/**
 * Drain settings against the load balancer's check window (reference §9):
 * the required initial_wait, the judgement and its warning text, parsing the
 * forms SHOW CLUSTER SETTING takes, reading with the pre-v23.2 alias, and
 * the `strategy.loadBalancer` input.
 */
import * as assert from "assert";
import {
  cliDrainWaitMs,
  drainWarnings,
  judgeDrainSettings,
  parseSettingDuration,
  readDrainSettings,
  requiredInitialWaitMs,
} from "../../provider/cluster/lb-drain";
import type { RolloutEvent } from "../../provider/core/events";
import { RolloutRecorder } from "../../provider/rollout/record";
import { parseSpec } from "../../provider/spec/parse";
import { inputs } from "./pure-fixtures";
import { failsAt, failuresOf } from "./spec-fixtures";

const HAPROXY_DEFAULTS = { checkIntervalMs: 2000, fall: 3 };

describe("provider/lb-drain", () => {
  describe("requiredInitialWaitMs", () => {
    it("is interval × fall plus one more interval by default: 8s for HAProxy inter 2000 fall 3", () => {
      assert.strictEqual(requiredInitialWaitMs(HAPROXY_DEFAULTS), 8000);
    });

    it("uses an explicit margin instead of the extra interval", () => {
      assert.strictEqual(requiredInitialWaitMs({ checkIntervalMs: 5000, fall: 2, marginMs: 500 }), 10_500);
      assert.strictEqual(requiredInitialWaitMs({ checkIntervalMs: 1000, fall: 1, marginMs: 0 }), 1000);
    });
  });

  describe("judgeDrainSettings", () => {
    it("passes an initial_wait at or above the window plus margin", () => {
      assert.deepStrictEqual(judgeDrainSettings({ initialWaitMs: 8000 }, HAPROXY_DEFAULTS), { ok: true, warnings: [] });
      assert.deepStrictEqual(judgeDrainSettings({ initialWaitMs: 30_000 }, HAPROXY_DEFAULTS), { ok: true, warnings: [] });
    });

    it("warns about the default 0s, naming the setting, the window and the statement to run", () => {
      const j = judgeDrainSettings({ initialWaitMs: 0 }, HAPROXY_DEFAULTS);
      assert.strictEqual(j.ok, false);
      assert.strictEqual(j.warnings.length, 1);
      assert.match(
        j.warnings[0],
        /^server\.shutdown\.initial_wait is 0s, shorter than the load balancer's check window \(2s × 3 checks\) plus margin/,
      );
      assert.match(j.warnings[0], /57P01/);
      assert.match(j.warnings[0], /SET CLUSTER SETTING server\.shutdown\.initial_wait = '8s'$/);
    });

    it("warns about a wait that covers the window but not the margin", () => {
      const j = judgeDrainSettings({ initialWaitMs: 6000 }, HAPROXY_DEFAULTS);
      assert.strictEqual(j.ok, false);
      assert.match(j.warnings[0], /is 6s, shorter/);
    });

    it("renders fractional targets the way SET CLUSTER SETTING accepts them", () => {
      const j = judgeDrainSettings({ initialWaitMs: 0 }, { checkIntervalMs: 400, fall: 3 });
      assert.match(j.warnings[0], /\(400ms × 3 checks\)/);
      assert.match(j.warnings[0], /= '1\.6s'$/);
    });

    it("treats an unreadable setting as a warning, never as a pass", () => {
      const j = judgeDrainSettings({}, HAPROXY_DEFAULTS);
      assert.strictEqual(j.ok, false);
      assert.match(j.warnings[0], /could not be read.*= '8s'/);
    });

    it("warns when the CLI would raise --drain-wait above the drain deadline (CockroachDB's doDrain sum)", () => {
      const settings = {
        initialWaitMs: 8000,
        connectionsTimeoutMs: 10_000,
        transactionsTimeoutMs: 10_000,
        jobsTimeoutMs: 10_000,
        leaseTransferIterationMs: 5000,
      };
      assert.strictEqual(cliDrainWaitMs(settings), 53_000, "8 + 10 + 10 + 2 × 10 + 5");
      assert.strictEqual(judgeDrainSettings(settings, HAPROXY_DEFAULTS, 53_000).ok, true);
      const j = judgeDrainSettings(settings, HAPROXY_DEFAULTS, 50_000);
      assert.strictEqual(j.ok, false);
      assert.match(
        j.warnings[0],
        /raises --drain-wait to initial_wait \+ connections\.timeout \+ jobs\.timeout \+ 2 × transactions\.timeout \+ lease_transfer_iteration\.timeout = 53s .*longer than strategy\.deadlines\.drain \(50s\).*raise strategy\.deadlines\.drain above 53s/,
      );
    });

    it("checks the deadline even without a load balancer; a setting the server lacks counts 0", async () => {
      const old: Record<string, string> = { "server.shutdown.query_wait": "30s", "server.shutdown.lease_transfer_wait": "5s" };
      const show = async (name: string): Promise<string> => {
        if (!(name in old)) throw new Error(`unknown setting: "${name}"`);
        return old[name];
      };
      const w = await drainWarnings({ deadlines: { drainMs: 60_000 } }, show);
      assert.strictEqual(w.length, 1);
      assert.match(w[0], /^WARNING: cockroach node drain raises --drain-wait .* = 1m5s/);
      assert.deepStrictEqual(await drainWarnings({ deadlines: { drainMs: 65_000 } }, show), []);
    });
  });

  describe("parseSettingDuration", () => {
    const cases: [string, number | undefined][] = [
      ["00:00:08", 8000],
      ["00:00:00", 0],
      ["00:01:30", 90_000],
      ["00:00:00.5", 500],
      ["1 day 02:00:00", 26 * 3_600_000],
      ["8s", 8000],
      ["1m30s", 90_000],
      ["500ms", 500],
      ["1h0m0s", 3_600_000],
      ["0s", 0],
      ["0", 0],
      ["8 seconds", 8000],
      ["1 minutes 30.5 seconds", 90_500],
      ["1 hours", 3_600_000],
      ["[object Object]", undefined],
      ["", undefined],
      ["soon", undefined],
      ["8", undefined],
    ];
    for (const [text, ms] of cases) {
      it(`reads ${JSON.stringify(text)} as ${ms === undefined ? "nothing" : `${ms} ms`}`, () => {
        assert.strictEqual(parseSettingDuration(text), ms);
      });
    }
  });

  describe("readDrainSettings", () => {
    it("falls back to the pre-v23.2 names on a binary that does not know the new ones", async () => {
      const old: Record<string, string> = {
        "server.shutdown.drain_wait": "00:00:08",
        "server.shutdown.connection_wait": "00:00:00",
        "server.shutdown.query_wait": "00:00:10",
      };
      const asked: string[] = [];
      const show = async (name: string): Promise<string> => {
        asked.push(name);
        if (!(name in old)) throw new Error(`unknown setting: "${name}"`);
        return old[name];
      };
      assert.deepStrictEqual(await readDrainSettings(show), {
        initialWaitMs: 8000,
        connectionsTimeoutMs: 0,
        transactionsTimeoutMs: 10_000,
      });
      assert.deepStrictEqual(asked.slice(0, 2), ["server.shutdown.initial_wait", "server.shutdown.drain_wait"]);
    });

    it("leaves a setting undefined when neither name answers with a duration", async () => {
      const r = await readDrainSettings(async (name) => (name === "server.shutdown.initial_wait" ? "2s" : "[object Object]"));
      assert.deepStrictEqual(r, { initialWaitMs: 2000 });
    });
  });

  describe("drainWarnings (the pre-flight check)", () => {
    it("asks nothing when no load balancer is declared", async () => {
      let asked = 0;
      const w = await drainWarnings({}, async () => {
        asked += 1;
        return "0s";
      });
      assert.deepStrictEqual([w, asked], [[], 0]);
    });

    it("returns WARNING lines when the cluster's initial_wait is too short, and none when it is long enough", async () => {
      const lb = { loadBalancer: HAPROXY_DEFAULTS, deadlines: { drainMs: 600_000 } };
      const short = await drainWarnings(lb, async () => "00:00:00");
      assert.strictEqual(short.length, 1);
      assert.match(short[0], /^WARNING: server\.shutdown\.initial_wait is 0s/);
      assert.deepStrictEqual(await drainWarnings(lb, async (n) => (n.includes("initial_wait") ? "00:00:08" : "00:00:00")), []);
    });

    it("never throws when the cluster cannot be asked: it warns instead", async () => {
      const w = await drainWarnings({ loadBalancer: HAPROXY_DEFAULTS }, async () => Promise.reject(new Error("no SQL gateway answered")));
      assert.match(w[0], /could not be read/);
    });
  });

  describe("the rollout record", () => {
    it("keeps pre-flight warnings as notes and emits each as a note event; no notes key without warnings", () => {
      const events: RolloutEvent[] = [];
      const head = { id: "r1", from: "v23.1.11", to: "v23.1.12", kind: "patch" as const };
      const rec = new RolloutRecorder(head, ["n1"], (e) => events.push(e));
      rec.note("WARNING: server.shutdown.initial_wait is 0s, ...");
      assert.deepStrictEqual(rec.finish("succeeded").notes, ["WARNING: server.shutdown.initial_wait is 0s, ..."]);
      assert.deepStrictEqual(events, [{ type: "note", message: "WARNING: server.shutdown.initial_wait is 0s, ..." }]);
      assert.ok(!("notes" in new RolloutRecorder(head, ["n1"], () => undefined).finish("succeeded")));
    });
  });

  describe("strategy.loadBalancer input", () => {
    it("is absent from the spec unless given", () => {
      assert.strictEqual(parseSpec(inputs()).strategy.loadBalancer, undefined);
    });

    it("normalises checkInterval to ms and keeps fall", () => {
      const spec = parseSpec({ ...inputs(), strategy: { loadBalancer: { checkInterval: "2s", fall: 3 } } });
      assert.deepStrictEqual(spec.strategy.loadBalancer, { checkIntervalMs: 2000, fall: 3 });
      const secs = parseSpec({ ...inputs(), strategy: { loadBalancer: { checkInterval: 0.4, fall: 2 } } });
      assert.deepStrictEqual(secs.strategy.loadBalancer, { checkIntervalMs: 400, fall: 2 });
    });

    it("refuses a missing checkInterval or fall, saying what to write", () => {
      failsAt(
        { ...inputs(), strategy: { loadBalancer: { fall: 3 } } },
        "strategy.loadBalancer.checkInterval",
        /is required.*"2s" for HAProxy inter 2000/,
      );
      failsAt(
        { ...inputs(), strategy: { loadBalancer: { checkInterval: "2s" } } },
        "strategy.loadBalancer.fall",
        /is required.*3 for HAProxy fall 3/,
      );
    });

    it("refuses a zero interval, a fractional fall and an unknown key", () => {
      failsAt(
        { ...inputs(), strategy: { loadBalancer: { checkInterval: 0, fall: 3 } } },
        "strategy.loadBalancer.checkInterval",
        /greater than zero/,
      );
      failsAt(
        { ...inputs(), strategy: { loadBalancer: { checkInterval: "2s", fall: 2.5 } } },
        "strategy.loadBalancer.fall",
        /whole number/,
      );
      failsAt(
        { ...inputs(), strategy: { loadBalancer: { checkInterval: "2s", fall: 3, rise: 2 } } },
        "strategy.loadBalancer.rise",
        /unknown key "rise"/,
      );
    });

    it("accepts the preview's unknown sentinel without failures", () => {
      const unknown = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
      assert.deepStrictEqual(failuresOf({ ...inputs(), strategy: { loadBalancer: unknown } }), []);
      assert.deepStrictEqual(failuresOf({ ...inputs(), strategy: { loadBalancer: { checkInterval: unknown, fall: 3 } } }), []);
    });
  });
});
