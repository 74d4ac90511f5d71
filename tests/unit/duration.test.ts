/**
 * Durations: the strings users write become milliseconds, bad values are
 * refused naming the field, and rendering is Go-style and round-trips.
 */
import * as assert from "assert";
import { isSpecError } from "../../provider/core/errors";
import { MAX_DURATION_MS, formatDuration, parseDuration } from "../../provider/core/duration";
import { seeded } from "./pure-fixtures";

describe("provider/duration", () => {
  describe("parseDuration", () => {
    const good: readonly [string | number, number][] = [
      ["90s", 90_000],
      ["5m", 300_000],
      ["1h30m", 5_400_000],
      ["250ms", 250],
      ["1m30s", 90_000],
      ["1.5s", 1_500],
      ["1h0m0s", 3_600_000],
      ["2h45m10s500ms", 9_910_500],
      ["0s", 0],
      [" 30s ", 30_000],
      ["90", 90_000],
      [90, 90_000],
      [0.25, 250],
      [0, 0],
    ];
    for (const [input, ms] of good) {
      it(`reads ${JSON.stringify(input)} as ${ms} ms`, () => assert.strictEqual(parseDuration(input, "strategy.x"), ms));
    }

    const bad: readonly [unknown, RegExp][] = [
      ["-5s", /must not be negative/],
      [-1, /must not be negative/],
      [NaN, /finite/],
      [Infinity, /finite/],
      ["5 minutes", /units are ms, s, m, h/],
      ["5d", /units are ms, s, m, h/],
      ["s", /units are ms, s, m, h/],
      ["", /like "90s"/],
      ["1h-5m", /units are ms, s, m, h/],
      [true, /got boolean/],
      [null, /got null/],
      [{ s: 5 }, /got an object/],
      ["30d", /units/],
      [60 * 60 * 24 * 30, /at most/],
    ];
    for (const [input, reason] of bad) {
      it(`refuses ${JSON.stringify(input) ?? String(input)}, naming the field`, () => {
        assert.throws(
          () => parseDuration(input as string, "strategy.waitAfterRejoin"),
          (e: unknown) => {
            assert.ok(isSpecError(e));
            assert.strictEqual(e.failures[0].property, "strategy.waitAfterRejoin");
            assert.match(e.failures[0].reason, reason);
            assert.match(e.message, /^strategy\.waitAfterRejoin: /);
            return true;
          },
        );
      });
    }

    it("refuses durations longer than a Node timer can wait", () => {
      assert.throws(() => parseDuration(`${Math.ceil(MAX_DURATION_MS / 3_600_000) + 1}h`, "f"), /at most 596h31m23\.647s/);
      assert.strictEqual(parseDuration("596h", "f"), 596 * 3_600_000);
    });
  });

  describe("formatDuration", () => {
    const cases: readonly [number, string][] = [
      [0, "0s"],
      [250, "250ms"],
      [1_000, "1s"],
      [1_500, "1.5s"],
      [45_000, "45s"],
      [90_000, "1m30s"],
      [120_000, "2m0s"],
      [3_600_000, "1h0m0s"],
      [5_400_000, "1h30m0s"],
      [-90_000, "-1m30s"],
    ];
    for (const [ms, text] of cases) {
      it(`renders ${ms} ms as ${text}`, () => assert.strictEqual(formatDuration(ms), text));
    }

    it("round-trips through parseDuration for random durations (seeded)", () => {
      const rand = seeded(7);
      for (let i = 0; i < 5000; i++) {
        const ms = rand(3) === 0 ? rand(1000) : rand(50 * 3_600_000);
        assert.strictEqual(parseDuration(formatDuration(ms), "f"), ms, formatDuration(ms));
      }
    });
  });
});
