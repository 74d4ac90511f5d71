/**
 * Upgrade preconditions: checks CockroachDB's upgrade manager runs before the
 * first step of a finalization (CR `pkg/upgrade/upgrademanager/manager.go`
 * checkPreconditions, which wraps a failure as `verifying precondition for
 * version <step>: <cause>`). A failed precondition refuses
 * `SET CLUSTER SETTING version` and every auto-upgrade attempt; nothing moves.
 *
 * - Invalid catalog objects: the first upgrade of every release from v23.2
 *   (`newFirstUpgrade`, precondition FirstUpgradeFromReleasePrecondition)
 *   refuses while `crdb_internal.invalid_objects` has rows:
 *   `"".crdb_internal.invalid_objects is not empty`.
 * - Licence (v24.3, CR `pkg/upgrade/upgrades/v24_3_check_license.go`,
 *   checkForPostUpgradeThrottlePreCond on V24_3_MaybePreventUpgradeForCoreLicenseDeprecation):
 *   crossing into 24.3 needs a licence, and a Free or Trial licence needs
 *   `diagnostics.reporting.enabled`. Skipped when the enforcer is disabled
 *   (single-node clusters, license.Enforcer.Disable).
 *
 * Also the state a test injects (`sim inject`): invalid objects, jobs.
 */
import { Series, compareSeries, parseSeries } from "../common/versions";
import { ClusterState } from "./cluster";
import { decodeLicense, requiresTelemetry } from "./license";
import { SqlErrorLike } from "./sql-errors";

const FIRST_UPGRADE_CHECK_FROM = parseSeries("23.2");
const LICENSE_CHECK_AT = parseSeries("24.3");

export interface InvalidObject {
  readonly id: number;
  readonly databaseName: string;
  readonly schemaName: string;
  readonly objName: string;
  readonly error: string;
}

export interface JobRecord {
  readonly jobId: number;
  readonly jobType: string;
  readonly description: string;
  readonly status: string;
  readonly created: number;
}

/** Catalog and job state the simulator does not derive from its own workload; tests inject it. */
export class InjectedCatalog {
  invalidObjects: InvalidObject[] = [];
  jobs: JobRecord[] = [];
}

/**
 * Throws the upgrade manager's error when a precondition of the move
 * `from` -> `to` fails. `steps` are the transition versions the finalization
 * walks; a precondition names the step it belongs to.
 */
export function checkPreconditions(
  cluster: ClusterState,
  catalog: InjectedCatalog,
  from: Series,
  to: Series,
  steps: readonly string[],
): void {
  const fail = (step: string, cause: string): never => {
    throw new SqlErrorLike("XXUUU", `verifying precondition for version ${step}: ${cause}`);
  };
  if (compareSeries(to, FIRST_UPGRADE_CHECK_FROM) >= 0 && catalog.invalidObjects.length > 0) {
    fail(steps[0], `"".crdb_internal.invalid_objects is not empty`);
  }
  const crossesLicenseCheck = compareSeries(from, LICENSE_CHECK_AT) < 0 && compareSeries(to, LICENSE_CHECK_AT) >= 0;
  if (crossesLicenseCheck && !enforcerDisabled(cluster)) {
    const cause = licenseViolation(cluster);
    if (cause !== undefined) fail(steps[Math.min(1, steps.length - 1)], cause);
  }
}

/** The enforcer is disabled on single-node clusters (CR license.Enforcer.Disable). */
function enforcerDisabled(cluster: ClusterState): boolean {
  return [...cluster.nodes.values()].filter((n) => n.membership !== "decommissioned").length <= 1;
}

function licenseViolation(cluster: ClusterState): string | undefined {
  let license;
  try {
    license = decodeLicense(cluster.setting("enterprise.license"));
  } catch {
    license = undefined;
  }
  if (license === undefined) return "upgrade blocked: no license installed";
  if (requiresTelemetry(license.type) && cluster.setting("diagnostics.reporting.enabled") !== "true") {
    return (
      "upgrade blocked: the installed license requires telemetry, but it is currently disabled. " +
      "Enable telemetry by setting diagnostics.reporting.enabled to true."
    );
  }
  return undefined;
}
