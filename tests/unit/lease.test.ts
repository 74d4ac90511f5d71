/**
 * The lease's pure rules: who holds it (a holder string without secrets that
 * round-trips), what a run does about the row it finds (insert, keep its
 * own, take over an expired one or one left by a dead process on this
 * host, or refuse), and when it may still count on a lease whose renewals
 * failed (a fake clock). The SQL itself runs against the simulator in
 * tests/integration/lease.test.ts.
 */
import * as assert from "assert";
import {
  decideAcquire,
  formatHolder,
  leaseFresh,
  parseHolder,
  renewEveryMs,
  type Holder,
  type LeaseRow,
} from "../../provider/rollout/lease";
import { LeaseHeld, LeaseLost, isLeaseHeld, isLeaseLost } from "../../provider/core/errors";
import { checkInputs, parseSpec } from "../../provider/spec/parse";
import { inputs as baseInputs } from "./pure-fixtures";

const ME: Holder = {
  host: "ops-1",
  pid: 4242,
  boot: "1a2b3c4d",
  run: "20260101T000000000Z-aaaaaa",
  resource: "crdb-0123456789ab",
  target: "v23.1.12",
};
const row = (holder: Holder | string, expired: boolean, token = "1767225600000000"): LeaseRow => ({
  holder: typeof holder === "string" ? holder : formatHolder(holder),
  token,
  expiresAt: "2026-01-01 00:01:00",
  expired,
});
const alive = () => false;
const gone = () => true;
const cannotTell = () => undefined;

describe("provider/lease", () => {
  describe("holder", () => {
    it("names host, pid, boot, run, resource and target, and parses back", () => {
      const text = formatHolder(ME);
      assert.strictEqual(
        text,
        "host=ops-1 pid=4242 boot=1a2b3c4d run=20260101T000000000Z-aaaaaa resource=crdb-0123456789ab target=v23.1.12",
      );
      assert.deepStrictEqual(parseHolder(text), ME);
    });

    it("keeps one token per field when a value holds spaces or equals signs", () => {
      const text = formatHolder({ ...ME, host: "my host=x" });
      assert.strictEqual(parseHolder(text)?.host, "my_host_x");
    });

    it("does not parse a holder written by hand", () => {
      assert.strictEqual(parseHolder("alice doing maintenance"), undefined);
      assert.strictEqual(parseHolder("host=a pid=0 boot=b run=c resource=d target=e"), undefined);
    });
  });

  describe("decideAcquire", () => {
    const other = { ...ME, run: "20260101T000001000Z-bbbbbb" };
    const table: Array<[string, LeaseRow | undefined, (h: Holder) => boolean | undefined, string]> = [
      ["no row: insert one", undefined, alive, "insert"],
      ["a live run's unexpired lease: refuse", row(other, false), alive, "refuse"],
      ["a lease written by hand, unexpired: refuse", row("alice doing maintenance", false), gone, "refuse"],
      [
        "another host's unexpired lease (its process cannot be checked): refuse",
        row({ ...other, host: "ops-2" }, false),
        cannotTell,
        "refuse",
      ],
      [
        "the same host after a reboot (pids mean nothing): refuse until it expires",
        row({ ...other, boot: "ffffffff" }, false),
        gone,
        "refuse",
      ],
      ["an expired lease of a live run: take over, only if still expired", row(other, true), alive, "take-over expired"],
      ["an expired lease written by hand: take over", row("alice", true), cannotTell, "take-over expired"],
      ["an unexpired lease of a dead process on this host: take over now", row({ ...other, pid: 999 }, false), gone, "take-over now"],
      ["its own row (a retried write that did commit): keep it", row(ME, false, "7"), alive, "mine 7"],
    ];
    for (const [what, r, isGone, want] of table) {
      it(what, () => {
        const step = decideAcquire(r, ME, isGone);
        const got =
          step.kind === "take-over"
            ? `take-over ${step.requireExpired ? "expired" : "now"}`
            : step.kind === "mine"
              ? `mine ${step.token}`
              : step.kind;
        assert.strictEqual(got, want);
      });
    }

    it("takes over from the row's token (compare-and-swap) and says why", () => {
      const step = decideAcquire(row(other, true, "42"), ME, alive);
      assert.deepStrictEqual(step, { kind: "take-over", token: "42", requireExpired: true, why: "it expired at 2026-01-01 00:01:00" });
      const dead = decideAcquire(row({ ...other, pid: 999 }, false, "43"), ME, gone);
      assert.deepStrictEqual(dead, {
        kind: "take-over",
        token: "43",
        requireExpired: false,
        why: "its process (pid 999 on this host) is gone",
      });
      const sameProcess = decideAcquire(row(other, false, "44"), ME, gone);
      assert.match(sameProcess.kind === "take-over" ? sameProcess.why : "", /an earlier run in this process is gone/);
    });
  });

  describe("renewal timing (fake clock)", () => {
    it("renews every quarter of the TTL, never more often than every 250 ms", () => {
      assert.strictEqual(renewEveryMs(60_000), 15_000);
      assert.strictEqual(renewEveryMs(2_000), 500);
      assert.strictEqual(renewEveryMs(400), 250);
    });

    it("counts on the lease until 3/4 of the TTL passed without a renewal", () => {
      const ttl = 60_000;
      let now = 1_000_000;
      const renewedAt = now;
      const fresh = () => leaseFresh(renewedAt, now, ttl);
      assert.strictEqual(fresh(), true);
      now += 15_000; // one beat missed
      assert.strictEqual(fresh(), true);
      now += 29_999; // two more missed: still a quarter of the TTL before anyone may take it
      assert.strictEqual(fresh(), true);
      now += 1;
      assert.strictEqual(fresh(), false);
    });
  });

  describe("errors", () => {
    it("LeaseHeld names the holder and expiry and says how to see and remove the lease", () => {
      const e = new LeaseHeld(formatHolder(ME), "2026-01-01 00:01:00");
      assert.ok(isLeaseHeld(e));
      assert.match(e.message, /^preflight: refused, no node was touched: another rollout holds this cluster's upgrade lease/);
      assert.match(e.message, /holder host=ops-1 pid=4242 .* target=v23\.1\.12; expires 2026-01-01 00:01:00 UTC/);
      assert.match(e.message, /SELECT \* FROM crdb_upgrade\.lease/);
      assert.match(e.message, /DELETE FROM crdb_upgrade\.lease/);
    });

    it("LeaseLost names the phase and the node that was not started", () => {
      const e = new LeaseLost("drain", { name: "n2", host: "10.0.0.2" }, "lost to someone");
      assert.ok(isLeaseLost(e));
      assert.strictEqual(e.message, "drain node n2 (10.0.0.2): not started: lost to someone");
    });
  });

  describe("strategy.leaseTtl", () => {
    it("defaults to 60s", () => {
      assert.strictEqual(parseSpec(baseInputs()).strategy.leaseTtlMs, 60_000);
    });

    it("takes a duration", () => {
      assert.strictEqual(parseSpec({ ...baseInputs(), strategy: { leaseTtl: "90s" } }).strategy.leaseTtlMs, 90_000);
    });

    it("refuses less than 2s, saying why", () => {
      const { failures } = checkInputs(undefined, { ...baseInputs(), strategy: { leaseTtl: "500ms" } });
      assert.deepStrictEqual(failures, [
        { property: "strategy.leaseTtl", reason: 'must be at least 2s (got "500ms"): the lease is renewed every quarter of it' },
      ]);
    });
  });
});
