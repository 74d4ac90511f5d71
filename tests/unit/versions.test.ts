/**
 * CockroachDB's version rules, table-tested the way cockroach-operator's
 * update_cockroach_version_common_test.go does: every pair of releases from
 * 22.2 to 26.1, plus patches, pre-releases, finalization and malformed tags.
 */
import { withdrawnRelease } from "../../provider/versions/withdrawn-releases";
import * as assert from "assert";
import { isUpgradeNotAllowed, UpgradeNotAllowed } from "../../provider/core/errors";
import type { UpgradeKind } from "../../provider/core/types";
import {
  KNOWN_SERIES,
  allowedNextSeries,
  classifyMove,
  finalizationBlockFor,
  isValidVersionInput,
  parseClusterVersion,
  parseVersion,
  preReleaseKind,
  releaseType,
  seriesOf,
  upgradePath,
  type MoveContext,
} from "../../provider/versions/versions";
import { seeded } from "./pure-fixtures";

/** The outcome of a move: its kind, or the refusal's message. */
function outcome(from: string, to: string, ctx: MoveContext = {}): UpgradeKind | UpgradeNotAllowed {
  try {
    return classifyMove(from, to, ctx);
  } catch (e) {
    assert.ok(isUpgradeNotAllowed(e), `classifyMove(${from}, ${to}) threw something else: ${String(e)}`);
    return e;
  }
}

function refused(from: string, to: string, ctx: MoveContext = {}): UpgradeNotAllowed {
  const r = outcome(from, to, ctx);
  assert.ok(r instanceof UpgradeNotAllowed, `${from} -> ${to} should be refused, got ${String(r)}`);
  return r;
}

describe("provider/versions", () => {
  describe("parseVersion", () => {
    const good: readonly [string, string, readonly string[]][] = [
      ["v23.1.12", "23.1", []],
      ["v24.1.0-rc.1", "24.1", ["rc", "1"]],
      ["v24.1.0-alpha.1", "24.1", ["alpha", "1"]],
      ["v19.2.0-alpha.20190606-2479-gd98e0839dc", "19.2", ["alpha", "20190606-2479-gd98e0839dc"]],
    ];
    for (const [tag, series, pre] of good) {
      it(`reads ${tag} as series ${series}`, () => {
        const v = parseVersion(tag);
        assert.strictEqual(v.series, series);
        assert.deepStrictEqual(v.prerelease, pre);
        assert.strictEqual(v.tag, tag);
      });
    }

    const malformed = ["23.1.12", "v23.1", "v23.1.x", "", "v23.1.012", "latest", "v23.1.12+build.5", " v23.1.12"];
    for (const tag of malformed) {
      it(`refuses the malformed tag ${JSON.stringify(tag)}`, () => {
        assert.throws(() => parseVersion(tag), /version/);
        assert.ok(isValidVersionInput(tag) !== undefined);
      });
    }

    it("tells alpha, beta, rc, development builds and production releases apart", () => {
      const kinds = [
        "v24.1.0-alpha.1",
        "v24.1.0-beta.2",
        "v24.1.0-rc.1",
        "v19.2.0-alpha.20190606-2479-gd98e0839dc",
        "v24.1.0-dev",
        "v24.1.3",
      ].map((t) => preReleaseKind(parseVersion(t)));
      assert.deepStrictEqual(kinds, ["alpha", "beta", "rc", "dev", "dev", undefined]);
    });
  });

  describe("isValidVersionInput", () => {
    it("accepts tags of every known series", () => {
      for (const { series } of KNOWN_SERIES) assert.strictEqual(isValidVersionInput(`v${series}.3`), undefined, series);
    });

    it("refuses an unknown future series and says to use a newer provider", () => {
      assert.match(isValidVersionInput("v27.1.0") ?? "", /series 27\.1 is not known.*newer provider/);
    });

    it("refuses a series older than the supported ones and says to upgrade by hand first", () => {
      assert.match(isValidVersionInput("v21.2.5") ?? "", /older than the oldest series this provider supports \(22\.1\)/);
    });

    it("asks for the leading v of a build tag", () => {
      assert.match(isValidVersionInput("23.1.12") ?? "", /starting with v/);
    });
  });

  describe("release types", () => {
    it("marks 24.2, 25.1, 25.3 and 26.1 as Innovation releases and the rest as Regular", () => {
      const innovation = KNOWN_SERIES.filter((s) => releaseType(s.series) === "innovation").map((s) => s.series);
      assert.deepStrictEqual(innovation, ["24.2", "25.1", "25.3", "26.1"]);
    });

    it("refuses to guess the type of an unknown series", () => {
      assert.throws(() => releaseType("27.3"), /not known/);
    });
  });

  describe("parseClusterVersion", () => {
    const cases: readonly [string, string, boolean][] = [
      ["23.1", "23.1", false],
      ["23.1-8", "23.1", true],
      ["23.2-upgrading-to-24.1-step-008", "23.2", true],
      ["24.1-upgrading-final-step", "24.1", true],
      ["24.3", "24.3", false],
    ];
    for (const [text, series, inTransition] of cases) {
      it(`reads ${text} as ${series}${inTransition ? ", in transition" : ", final"}`, () => {
        assert.deepStrictEqual(parseClusterVersion(text), { series, inTransition });
      });
    }

    it("refuses text that is not a cluster version", () => {
      assert.throws(() => parseClusterVersion("v23.1"), /not of the form/);
    });
  });

  describe("allowed next series and paths", () => {
    const next: readonly [string, readonly string[]][] = [
      ["22.1", ["22.2"]],
      ["22.2", ["23.1"]],
      ["23.2", ["24.1"]],
      ["24.1", ["24.2", "24.3"]],
      ["24.2", ["24.3"]],
      ["24.3", ["25.1", "25.2"]],
      ["25.1", ["25.2"]],
      ["25.2", ["25.3", "25.4"]],
      ["25.4", ["26.1", "26.2"]],
      ["26.1", ["26.2"]],
      ["26.2", []],
      ["27.1", []],
    ];
    for (const [from, allowed] of next) {
      it(`allows ${from} to go to ${allowed.length ? allowed.join(" or ") : "nothing known"}`, () => {
        assert.deepStrictEqual(allowedNextSeries(from), allowed);
      });
    }

    it("finds the shortest path, skipping Innovation releases where allowed", () => {
      assert.deepStrictEqual(upgradePath("23.1", "24.3"), ["23.1", "23.2", "24.1", "24.3"]);
      assert.deepStrictEqual(upgradePath("22.1", "26.2"), ["22.1", "22.2", "23.1", "23.2", "24.1", "24.3", "25.2", "25.4", "26.2"]);
      assert.deepStrictEqual(upgradePath("24.1", "25.1"), ["24.1", "24.3", "25.1"]);
    });

    it("has no path for downgrades or unknown series", () => {
      assert.deepStrictEqual(upgradePath("24.1", "23.2"), []);
      assert.deepStrictEqual(upgradePath("23.1", "27.1"), []);
    });
  });

  describe("known answers (DOCS upgrade overview)", () => {
    const table: readonly [string, string, boolean][] = [
      ["22.2", "23.1", true],
      ["22.2", "23.2", false],
      ["23.2", "24.1", true],
      ["23.2", "24.2", false],
      ["24.1", "24.3", true],
      ["24.2", "24.3", true],
      ["24.2", "25.1", false],
      ["24.1", "25.1", false],
      ["24.3", "25.2", true],
      ["25.1", "25.3", false],
      ["25.2", "25.4", true],
      ["25.3", "26.1", false],
      ["25.4", "26.2", true],
    ];
    for (const [from, to, allowed] of table) {
      it(`${allowed ? "allows" : "refuses"} ${from} -> ${to}`, () => {
        const r = outcome(`v${from}.3`, `v${to}.3`);
        if (allowed) assert.strictEqual(r, "major");
        else assert.ok(r instanceof UpgradeNotAllowed);
      });
    }
  });

  describe("every pair of releases from 22.2 to 26.1", () => {
    const series = KNOWN_SERIES.map((s) => s.series).filter((s) => s >= "22.2" && s <= "26.1");
    const index = (s: string): number => series.indexOf(s);
    /** The rule, stated independently of the implementation: up to 24.1 one step; Regular may skip one Innovation. */
    const expectedUp = (from: string, to: string): boolean => {
      const i = index(from);
      if (index(to) === i + 1) return true;
      return index(to) === i + 2 && releaseType(from) === "regular" && releaseType(series[i + 1]) === "innovation";
    };
    for (const from of series) {
      for (const to of series) {
        const a = `v${from}.3`;
        const b = `v${to}.3`;
        if (from === to) {
          it(`${a} -> ${b}: no change`, () => assert.strictEqual(outcome(a, b), "none"));
        } else if (index(to) > index(from)) {
          const allowed = expectedUp(from, to);
          it(`${a} -> ${b}: ${allowed ? "major upgrade" : "refused, with the allowed next series and a path"}`, () => {
            const r = outcome(a, b, { clusterVersion: from });
            if (allowed) return assert.strictEqual(r, "major");
            assert.ok(r instanceof UpgradeNotAllowed);
            assert.deepStrictEqual(r.allowedNext, allowedNextSeries(from));
            assert.deepStrictEqual(r.path, upgradePath(from, to));
            assert.match(r.message, /cannot be reached from .* in one step; allowed next: .*upgrade one step at a time: /);
          });
        } else {
          const back = expectedUp(to, from);
          it(`${a} -> ${b}: ${back ? "major rollback while not finalized" : "refused: only one step back"}`, () => {
            const r = outcome(a, b, { clusterVersion: to });
            if (back) return assert.strictEqual(r, "major-rollback");
            assert.ok(r instanceof UpgradeNotAllowed);
            assert.match(r.reason, /only goes back to the series the cluster was upgraded from/);
          });
        }
      }
    }
  });

  describe("patches", () => {
    it("moves to any later patch of the series", () => {
      assert.strictEqual(outcome("v23.1.3", "v23.1.28"), "patch");
    });

    it("moves back to any earlier patch of the series, even after finalization", () => {
      assert.strictEqual(outcome("v23.1.28", "v23.1.3", { finalized: true, clusterVersion: "23.1" }), "patch-downgrade");
    });

    it("moves from a release candidate to a production release of the same series", () => {
      assert.strictEqual(outcome("v24.1.0-rc.1", "v24.1.0"), "patch");
    });

    it("moves between pre-releases of the same series", () => {
      assert.strictEqual(outcome("v24.1.0-alpha.1", "v24.1.0-alpha.2"), "patch");
    });

    it("is allowed while the previous major upgrade is unfinalized", () => {
      assert.strictEqual(outcome("v23.2.3", "v23.2.5", { clusterVersion: "23.1" }), "patch");
    });
  });

  describe("pre-releases", () => {
    it("refuses to move an alpha cluster (v22.2+) to a production release, even in the same series", () => {
      assert.match(refused("v24.1.0-alpha.1", "v24.1.0").reason, /alpha build.*cannot move to production releases.*restore a backup/);
      assert.match(refused("v22.2.0-alpha.1", "v23.1.3").reason, /alpha build/);
    });

    it("refuses to move a development build to a production release", () => {
      assert.match(refused("v23.1.0-alpha.20230101-12-gabcdef0", "v23.1.3").reason, /development \(master\) build/);
    });

    it("lets a v22.1 alpha cluster move to production, since the rule starts at v22.2", () => {
      assert.strictEqual(outcome("v22.1.0-alpha.1", "v22.1.3"), "patch");
    });

    it("starts major upgrades only from a production release", () => {
      assert.match(refused("v23.1.0-rc.1", "v23.2.3").reason, /major upgrades start from a production release of 23\.1/);
    });

    it("allows testing the next series' pre-release from a production release", () => {
      assert.strictEqual(outcome("v24.1.3", "v24.2.0-beta.1"), "major");
    });
  });

  describe("finalization", () => {
    it("refuses a major upgrade while the previous one is unfinalized, and says how to finalize", () => {
      const e = refused("v23.2.3", "v24.1.3", { clusterVersion: "23.1" });
      assert.match(
        e.reason,
        /not finalized \(cluster version 23\.1\); finalize the previous upgrade first: RESET CLUSTER SETTING cluster\.preserve_downgrade_option \(CockroachDB refuses any version change while it is set; auto-finalization follows\), or after that reset SET CLUSTER SETTING version = '23\.2'/,
      );
    });

    it("refuses a major upgrade while finalization migrations still run", () => {
      assert.match(
        refused("v24.1.3", "v24.3.3", { clusterVersion: "23.2-upgrading-to-24.1-step-008" }).reason,
        /finalization is still running/,
      );
    });

    it("allows a major upgrade once the cluster version equals the running series", () => {
      assert.strictEqual(outcome("v24.1.3", "v24.3.3", { clusterVersion: "24.1" }), "major");
    });

    it("refuses a major rollback after finalization, pointing at a restore into a new cluster", () => {
      const e = refused("v24.1.3", "v23.2.3", { clusterVersion: "24.1" });
      assert.match(e.reason, /was finalized.*restore a backup into a new cluster running v23\.2\.3/);
      assert.match(refused("v24.1.3", "v23.2.3", { finalized: true }).reason, /finalized/);
    });

    it("refuses a major rollback while finalization runs", () => {
      assert.match(refused("v24.1.3", "v23.2.3", { clusterVersion: "23.2-upgrading-to-24.1-step-008" }).reason, /cannot be undone/);
    });

    it("rolls back only to the series the cluster came from after a skip-upgrade", () => {
      assert.strictEqual(outcome("v24.3.3", "v24.1.3", { clusterVersion: "24.1" }), "major-rollback");
      const e = refused("v24.3.3", "v24.2.3", { clusterVersion: "24.1" });
      assert.match(e.reason, /came from 24\.1/);
      assert.deepStrictEqual(e.allowedNext, ["24.1"]);
    });

    it("blocks auto-finalization with auto_upgrade.enabled from 23.2 and preserve_downgrade_option before", () => {
      assert.deepStrictEqual(finalizationBlockFor("23.1"), { setting: "cluster.preserve_downgrade_option", value: "23.1" });
      assert.deepStrictEqual(finalizationBlockFor("22.2"), { setting: "cluster.preserve_downgrade_option", value: "22.2" });
      assert.deepStrictEqual(finalizationBlockFor("23.2"), { setting: "cluster.auto_upgrade.enabled", value: "false" });
      assert.deepStrictEqual(finalizationBlockFor("25.4"), { setting: "cluster.auto_upgrade.enabled", value: "false" });
    });
  });

  describe("malformed and unknown", () => {
    it("refuses a malformed target, naming it", () => {
      assert.match(refused("v23.1.3", "23.2.3").message, /the target version "23\.2\.3"/);
    });

    it("refuses a malformed running version, naming it", () => {
      assert.match(refused("garbage", "v23.2.3").message, /the running version "garbage"/);
    });

    it("refuses a move to an unknown series, listing what is allowed next", () => {
      const e = refused("v26.2.3", "v27.1.0");
      assert.match(e.reason, /27\.1 is not known/);
    });

    it("refuses a move from a series older than the supported ones", () => {
      assert.match(refused("v21.2.3", "v22.1.3").reason, /older than the oldest/);
    });
  });

  describe("properties (seeded)", () => {
    it("never allows a move it cannot undo before finalization, for random pairs of tags", () => {
      const rand = seeded(42);
      const all = KNOWN_SERIES.map((s) => s.series);
      for (let i = 0; i < 2000; i++) {
        const a = `v${all[rand(all.length)]}.${rand(30)}`;
        const b = `v${all[rand(all.length)]}.${rand(30)}`;
        // A withdrawn release is refused as a target in both directions (tested on its own).
        if (withdrawnRelease(a) !== undefined || withdrawnRelease(b) !== undefined) continue;
        const up = outcome(a, b);
        const down = outcome(b, a);
        // Symmetry: a major upgrade can be rolled back (unfinalized), and a patch reverses to a patch-downgrade.
        if (up === "major") assert.strictEqual(down, "major-rollback", `${a} -> ${b}`);
        if (up === "patch") assert.strictEqual(down, "patch-downgrade", `${a} -> ${b}`);
        if (up === "none") assert.strictEqual(down, "none");
        if (up !== "none" && seriesOf(a) === seriesOf(b)) assert.ok(up === "patch" || up === "patch-downgrade");
      }
    });

    it("every path it proposes is made of allowed single steps", () => {
      const all = KNOWN_SERIES.map((s) => s.series);
      for (const from of all) {
        for (const to of all) {
          const path = upgradePath(from, to);
          for (let i = 1; i < path.length; i++) assert.ok(allowedNextSeries(path[i - 1]).includes(path[i]), `${path.join(" -> ")}`);
        }
      }
    });
  });
});
