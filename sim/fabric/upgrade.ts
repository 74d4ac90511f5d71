/**
 * The cluster version: `SHOW CLUSTER SETTING version`, manual and automatic
 * finalization with its transition strings, and the auto-upgrade decision
 * each node's loop asks for (CR `pkg/server/auto_upgrade.go`, reference §5).
 */
import { SqlErrorLike } from "./sql-errors";
import { FINALIZE_STEPS } from "../common/timing";
import { Series, compareSeries, formatSeries, minSupportedSeries, parseSeries, seriesOfTag, transitionSteps } from "../common/versions";
import { ClusterState } from "./cluster";
import { UpgradeStatus } from "./protocol";
import { InjectedCatalog, checkPreconditions } from "./preconditions";

interface Finalizing {
  readonly to: Series;
  readonly steps: readonly string[];
  stepIndex: number;
  readonly done: Promise<void>;
}

export class ClusterVersion {
  private finalizing: Finalizing | undefined;

  constructor(
    private readonly cluster: ClusterState,
    /** The finalized version. */
    public active: Series,
    private readonly onChange: () => void = () => undefined,
    private readonly catalog: InjectedCatalog = new InjectedCatalog(),
  ) {}

  /** What SHOW CLUSTER SETTING version prints: "23.1", or a transition string while finalizing. */
  show(): string {
    const f = this.finalizing;
    return f ? f.steps[Math.min(f.stepIndex, f.steps.length - 1)] : formatSeries(this.active);
  }

  activeVersion(): { major: number; minor: number; patch: number; internal: number } {
    const internal = this.finalizing ? (this.finalizing.stepIndex + 1) * 2 : 0;
    return { major: this.active.major, minor: this.active.minor, patch: 0, internal };
  }

  /** `SET CLUSTER SETTING version = '<v>'`: validates like CockroachDB, then finalizes (resolves when done). */
  async set(value: string, gatewayTag: string): Promise<void> {
    let target: Series;
    try {
      target = parseSeries(value);
    } catch {
      throw new SqlErrorLike("22023", `invalid version ${value}`);
    }
    if (compareSeries(target, this.active) === 0) return this.finalizing?.done;
    if (compareSeries(target, this.active) < 0) {
      throw new SqlErrorLike(
        "XXUUU",
        `versions cannot be downgraded (attempting to downgrade from ${formatSeries(this.active)} to ${formatSeries(target)})`,
      );
    }
    if (compareSeries(minSupportedSeries(target), this.active) > 0) {
      throw new SqlErrorLike("XXUUU", `cannot upgrade directly from ${formatSeries(this.active)} to ${formatSeries(target)}`);
    }
    const gateway = seriesOfTag(gatewayTag);
    if (compareSeries(gateway, target) < 0) {
      throw new SqlErrorLike("XXUUU", `cannot upgrade to ${formatSeries(target)}: node running ${formatSeries(gateway)}`);
    }
    // CR clusterversion/setting.go validateVersionUpgrade: any bump is refused while the option is set.
    const preserve = this.cluster.setting("cluster.preserve_downgrade_option");
    if (preserve !== "") {
      throw new SqlErrorLike("XXUUU", `cannot upgrade to ${formatSeries(target)}: cluster.preserve_downgrade_option is set to ${preserve}`);
    }
    for (const n of this.cluster.nodes.values()) {
      if (n.membership === "decommissioned") continue;
      if (!this.cluster.isLive(n)) throw new SqlErrorLike("XXUUU", `nodes n${n.id} required, but unavailable`);
      const s = seriesOfTag(n.binaryTag);
      if (compareSeries(s, target) < 0) {
        throw new SqlErrorLike("XXUUU", `cannot upgrade to ${formatSeries(target)}: node n${n.id} running ${formatSeries(s)}`);
      }
    }
    if (!this.finalizing)
      checkPreconditions(this.cluster, this.catalog, this.active, target, transitionSteps(this.active, target, FINALIZE_STEPS));
    return this.finalize(target);
  }

  /** Walks the transition steps, one per finalizeStepMs, then activates `to`. Joins a finalization in flight. */
  finalize(to: Series): Promise<void> {
    if (this.finalizing && compareSeries(this.finalizing.to, to) === 0) return this.finalizing.done;
    if (this.finalizing)
      return Promise.reject(new SqlErrorLike("XXUUU", `a finalization to ${formatSeries(this.finalizing.to)} is already running`));
    const steps = transitionSteps(this.active, to, FINALIZE_STEPS);
    const stepMs = this.cluster.timing.finalizeStepMs;
    let resolve!: () => void;
    const done = new Promise<void>((r) => (resolve = r));
    const f: Finalizing = { to, steps, stepIndex: 0, done };
    this.finalizing = f;
    this.onChange();
    const advance = (): void => {
      f.stepIndex += 1;
      if (f.stepIndex < steps.length) {
        this.onChange();
        setTimeout(advance, stepMs).unref();
        return;
      }
      this.active = to;
      this.finalizing = undefined;
      // A preserve_downgrade_option pinned to the old version no longer applies.
      this.cluster.settings.delete("cluster.preserve_downgrade_option");
      this.onChange();
      resolve();
    };
    setTimeout(advance, stepMs).unref();
    return done;
  }

  /** The auto-upgrade loop's view from node `gatewayId` (CR `upgradeStatus`), with the message it logs. */
  upgradeStatus(gatewayId: number): UpgradeStatus {
    const clusterVersion = this.show();
    let newVersion: string | undefined;
    let notRunning: string | undefined;
    for (const n of [...this.cluster.nodes.values()].sort((a, b) => a.id - b.id)) {
      if (n.membership === "decommissioned") continue;
      if (!this.cluster.isLive(n) || n.draining) {
        const status = statusName(this.cluster.livenessStatus(n));
        const msg = `node ${n.id} not running (${status}), cannot determine version`;
        notRunning ??= msg;
        if (n.id === gatewayId) return blocked(msg);
        continue;
      }
      const v = formatSeries(seriesOfTag(n.binaryTag));
      if (newVersion === undefined) newVersion = v;
      else if (v !== newVersion) {
        return {
          kind: "mixed",
          message: `failed attempt to upgrade cluster version: not all nodes are running the latest version yet (saw ${newVersion} and ${v})`,
        };
      }
    }
    if (newVersion === undefined) return blocked("no live nodes found");
    if (newVersion === clusterVersion) return { kind: "completed", message: "no need to upgrade, cluster already at the newest version" };
    if (notRunning) return blocked(notRunning);
    if (this.cluster.setting("cluster.auto_upgrade.enabled") === "false") {
      return { kind: "disabled", message: "auto upgrade is disabled by (cluster.auto_upgrade.enabled)" };
    }
    const preserve = this.cluster.setting("cluster.preserve_downgrade_option");
    if (preserve !== "" && preserve === clusterVersion) {
      return { kind: "preserve", message: `auto upgrade is disabled for current version (preserve_downgrade_option): ${clusterVersion}` };
    }
    return { kind: "allowed", message: "upgrading cluster version", target: newVersion };
  }
}

function blocked(cause: string): UpgradeStatus {
  return { kind: "blocked", message: `failed attempt to upgrade cluster version, error: ${cause}` };
}

function statusName(status: number): string {
  return ["UNKNOWN", "DEAD", "UNAVAILABLE", "LIVE", "DECOMMISSIONING", "DECOMMISSIONED", "DRAINING"][status] ?? "UNKNOWN";
}
