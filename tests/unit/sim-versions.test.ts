/**
 * The simulator's version rules (sim/common/versions, sim/fabric/settings):
 * which stores a binary refuses (reference §5 "Wrong binary"), the
 * transition strings of a finalization, settings per version, durations.
 */
import * as assert from "assert";
import { formatGoDuration, parseGoDuration } from "../../sim/common/durations";
import { formatSeries, minSupportedSeries, parseSeries, storeRefusal, transitionSteps } from "../../sim/common/versions";
import { canonicalValue, intervalText, lookupSetting } from "../../sim/fabric/settings";

describe("sim/common/versions", () => {
  it("lets each binary run on the previous Regular release, skipping Innovation releases", () => {
    const table: [string, string][] = [
      ["23.1", "22.2"],
      ["23.2", "23.1"],
      ["24.1", "23.2"],
      ["24.2", "24.1"],
      ["24.3", "24.1"],
      ["25.1", "24.3"],
      ["25.2", "24.3"],
      ["25.4", "25.2"],
      ["26.1", "25.4"],
    ];
    for (const [binary, min] of table) assert.strictEqual(formatSeries(minSupportedSeries(parseSeries(binary))), min, binary);
  });

  it("refuses a store last used at a newer version with CockroachDB's too-high message", () => {
    assert.strictEqual(
      storeRefusal("v23.1.11", parseSeries("23.2")),
      "store last used with cockroach version v23.2 is too high for running version v23.1",
    );
  });

  it("refuses a store that skips a series with CockroachDB's too-old message", () => {
    assert.strictEqual(
      storeRefusal("v23.2.5", parseSeries("22.2")),
      "store last used with cockroach version v22.2 is too old for running version v23.2 (which requires data from v23.1 or later)",
    );
  });

  it("accepts the same series and the previous one", () => {
    assert.strictEqual(storeRefusal("v23.2.5", parseSeries("23.2")), undefined);
    assert.strictEqual(storeRefusal("v23.2.5", parseSeries("23.1")), undefined);
    assert.strictEqual(storeRefusal("v24.3.0", parseSeries("24.1")), undefined);
  });

  it("passes through `23.1-N` strings on the way to 23.2", () => {
    assert.deepStrictEqual(transitionSteps(parseSeries("23.1"), parseSeries("23.2"), 3), ["23.1-2", "23.1-4", "23.1-6"]);
  });

  it("passes through step strings and the final-step fence from 24.1 on", () => {
    assert.deepStrictEqual(transitionSteps(parseSeries("23.2"), parseSeries("24.1"), 2), [
      "23.2-upgrading-to-24.1-step-002",
      "23.2-upgrading-to-24.1-step-004",
      "24.1-upgrading-final-step",
    ]);
  });
});

describe("sim/fabric/settings", () => {
  it("knows the v23.2 shutdown names only on v23.2+ gateways, and the old names everywhere", () => {
    assert.throws(
      () => lookupSetting("server.shutdown.initial_wait", parseSeries("23.1")),
      /unknown cluster setting 'server.shutdown.initial_wait'/,
    );
    assert.strictEqual(lookupSetting("server.shutdown.drain_wait", parseSeries("23.1")).name, "server.shutdown.initial_wait");
    assert.strictEqual(lookupSetting("server.shutdown.initial_wait", parseSeries("23.2")).name, "server.shutdown.initial_wait");
    assert.strictEqual(lookupSetting("server.shutdown.query_wait", parseSeries("24.1")).name, "server.shutdown.transactions.timeout");
  });

  it("knows cluster.auto_upgrade.enabled from v23.2 only", () => {
    assert.throws(() => lookupSetting("cluster.auto_upgrade.enabled", parseSeries("23.1")));
    assert.strictEqual(lookupSetting("cluster.auto_upgrade.enabled", parseSeries("23.2")).type, "bool");
  });

  it("canonicalises durations and booleans and rejects garbage with CockroachDB's parse message", () => {
    const wait = lookupSetting("server.shutdown.drain_wait", parseSeries("23.1"));
    assert.strictEqual(canonicalValue(wait, "1m30s"), "1m30s");
    assert.strictEqual(canonicalValue(wait, "00:00:10"), "10s");
    assert.throws(() => canonicalValue(wait, "soon"), /could not parse "soon" as type interval/);
    const auto = lookupSetting("cluster.auto_upgrade.enabled", parseSeries("24.1"));
    assert.strictEqual(canonicalValue(auto, false), "false");
    assert.strictEqual(intervalText("5m0s"), "00:05:00");
  });
});

describe("sim/common/durations", () => {
  it("parses and prints Go durations", () => {
    assert.strictEqual(parseGoDuration("1h2m3.5s"), 3_723_500);
    assert.strictEqual(parseGoDuration("250ms"), 250);
    assert.strictEqual(parseGoDuration("10 s"), undefined);
    assert.deepStrictEqual([0, 250, 10_000, 300_000, 3_723_500].map(formatGoDuration), ["0s", "250ms", "10s", "5m0s", "1h2m3.5s"]);
  });
});
