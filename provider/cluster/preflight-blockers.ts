/**
 * What would make CockroachDB refuse to finalize a major upgrade, checked at
 * pre-flight, before any node is touched: otherwise every node is rolled and
 * only then does `SET CLUSTER SETTING version` (or the auto-upgrade loop)
 * fail. Each finding names the cause and the remedy.
 *
 * - Licence (CR `pkg/upgrade/upgrades/v24_3_check_license.go`,
 *   checkForPostUpgradeThrottlePreCond, on the 24.3 upgrade step): crossing
 *   into 24.3 needs a licence key (`upgrade blocked: no license installed`),
 *   and a Free or Trial licence needs `diagnostics.reporting.enabled`. The
 *   enforcer is off on single-node clusters. Later majors are not refused for
 *   it, but a cluster without a valid licence is throttled after its grace
 *   period (license.Enforcer): a warning, also when the licence expires
 *   before the roll (and its bake) can end.
 * - Invalid catalog objects (CR upgrades FirstUpgradeFromReleasePrecondition,
 *   every release from v23.2): `crdb_internal.invalid_objects is not empty`.
 * - Nodes in `decommissioning` membership (CR upgradecluster
 *   NodesFromNodeLiveness): every node not fully decommissioned must be live
 *   for finalization; such a node is often missing from the plain node list.
 * - Schema-change jobs not in a terminal state: a paused one never finishes
 *   by itself (refused); a running one is a warning.
 */
import type { ClusterReader } from "./reader";
import { formatDuration } from "../core/duration";
import { licenseRequiresTelemetry, readLicenseKey } from "./license-key";
import type { Plan, Spec, UpgradeKind } from "../core/types";
import { compareSeries, parseClusterVersion, seriesOf } from "../versions/versions";

export interface BlockerContext {
  readonly kind: UpgradeKind;
  /** The finalized cluster version's series now, e.g. "24.1". */
  readonly fromSeries: string;
  readonly targetSeries: string;
  readonly nodeCount: number;
  /** How long until the roll, its bakes and the bake before finalization are over. */
  readonly horizonMs: number;
  readonly nowMs: number;
}

export interface Findings {
  readonly refusals: readonly string[];
  readonly warnings: readonly string[];
}

const LICENSE_CHECK_AT = "24.3";
const TERMINAL_JOB_STATES = new Set(["succeeded", "failed", "canceled", "revert-failed"]);
const PAUSED_JOB_STATES = new Set(["paused", "pause-requested"]);

/** Reads the cluster and judges it; only majors are checked (nothing else finalizes). A read that fails is a refusal. */
export async function preflightBlockers(reader: ClusterReader, ctx: BlockerContext): Promise<Findings> {
  if (ctx.kind !== "major") return { refusals: [], warnings: [] };
  const checked = async (what: string, judge: () => Promise<Findings>): Promise<Findings> =>
    judge().catch((e: Error) => ({ refusals: [`cannot check ${what} before finalization: ${e.message}`], warnings: [] }));
  const parts = [
    await checked("the licence", async () =>
      judgeLicense(await reader.showSetting("enterprise.license"), await reader.showSetting("diagnostics.reporting.enabled"), ctx),
    ),
    await checked("invalid catalog objects", async () => judgeInvalidObjects(await reader.rows(INVALID_OBJECTS_SQL))),
    await checked("decommissioning nodes", async () => judgeDecommissioning(await reader.rows(DECOMMISSIONING_SQL))),
    await checked("schema-change jobs", async () => judgeSchemaChangeJobs(await reader.rows(SCHEMA_CHANGE_JOBS_SQL))),
  ];
  return { refusals: parts.flatMap((p) => p.refusals), warnings: parts.flatMap((p) => p.warnings) };
}

/** The context of a plan: the cluster version it starts from, and how long until finalization could start. */
export function blockerContextFor(spec: Spec, plan: Plan, clusterVersion: string | undefined, nowMs: number): BlockerContext {
  const finalizeBake = spec.strategy.finalize.mode === "afterBake" ? spec.strategy.finalize.bakeMs : 0;
  return {
    kind: plan.kind,
    fromSeries: clusterVersion === undefined ? fromBuild(plan.from, spec.version) : parseClusterVersion(clusterVersion).series,
    targetSeries: seriesOf(spec.version),
    nodeCount: spec.nodes.length,
    horizonMs: plan.estimatedMs + finalizeBake,
    nowMs,
  };
}

export const INVALID_OBJECTS_SQL = "SELECT id, database_name, schema_name, obj_name, error FROM crdb_internal.invalid_objects";
// The liveness records, not the node list: a node stuck decommissioning (often stopped) may not be listed.
export const DECOMMISSIONING_SQL = "SELECT node_id, membership FROM crdb_internal.gossip_liveness WHERE membership = 'decommissioning'";
export const SCHEMA_CHANGE_JOBS_SQL =
  "SELECT job_id, job_type, status, description FROM crdb_internal.jobs WHERE job_type IN ('SCHEMA CHANGE', 'NEW SCHEMA CHANGE')";

/** Pure: the licence key (never echoed) and diagnostics.reporting.enabled against the move. */
export function judgeLicense(key: string, reporting: string, ctx: BlockerContext): Findings {
  if (compareSeries(ctx.targetSeries, LICENSE_CHECK_AT) < 0) return { refusals: [], warnings: [] };
  const crosses = compareSeries(ctx.fromSeries, LICENSE_CHECK_AT) < 0;
  const enforced = ctx.nodeCount > 1;
  const reading = readLicenseKey(key);
  const refuse = (why: string): Findings =>
    crosses && enforced ? { refusals: [why], warnings: [] } : { refusals: [], warnings: [throttleWarning(why)] };
  const install = "install one first: SET CLUSTER SETTING enterprise.license = '<key>' (Enterprise, Enterprise Free or Trial)";
  if (reading.kind === "none") {
    return refuse(
      `no licence key is installed (enterprise.license is empty); CockroachDB refuses to finalize ${LICENSE_CHECK_AT} without one ("upgrade blocked: no license installed"); ${install}`,
    );
  }
  if (reading.kind === "invalid") {
    return refuse(`enterprise.license does not hold a licence key CockroachDB can decode; ${install}`);
  }
  const telemetryOff = reporting.trim().toLowerCase() !== "true";
  if (licenseRequiresTelemetry(reading.type) && telemetryOff) {
    return refuse(
      `the installed ${reading.type} licence requires telemetry, but diagnostics.reporting.enabled is false; CockroachDB refuses to finalize ${LICENSE_CHECK_AT} so; run SET CLUSTER SETTING diagnostics.reporting.enabled = true (or install an Enterprise licence)`,
    );
  }
  return { refusals: [], warnings: expiryWarnings(reading.type, reading.validUntilMs, ctx) };
}

function throttleWarning(why: string): string {
  return `${why.replace(/; CockroachDB refuses to finalize [^;]*/, "")}; without a valid licence CockroachDB throttles the cluster after its grace period`;
}

function expiryWarnings(type: string, validUntilMs: number, ctx: BlockerContext): string[] {
  if (validUntilMs === 0) return [];
  const until = new Date(validUntilMs).toISOString();
  // An expired Enterprise licence is not throttled (license.Enforcer: no grace period end); the others are.
  const after = type === "Enterprise" ? "renew it" : "CockroachDB throttles the cluster after the grace period: renew it";
  if (validUntilMs <= ctx.nowMs) return [`the ${type} licence expired at ${until}; ${after}`];
  if (validUntilMs <= ctx.nowMs + ctx.horizonMs) {
    return [
      `the ${type} licence expires at ${until}, before this upgrade and its bakes can end (about ${formatDuration(ctx.horizonMs)}); ${after}`,
    ];
  }
  return [];
}

/** Pure: rows of crdb_internal.invalid_objects. */
export function judgeInvalidObjects(rows: readonly Record<string, unknown>[]): Findings {
  if (rows.length === 0) return { refusals: [], warnings: [] };
  const names = rows
    .slice(0, 5)
    .map((r) => `${String(r.database_name)}.${String(r.schema_name)}.${String(r.obj_name)} (id ${String(r.id)}): ${String(r.error)}`);
  const more = rows.length > 5 ? `, and ${rows.length - 5} more` : "";
  return {
    refusals: [
      `crdb_internal.invalid_objects lists ${rows.length} invalid catalog object(s) (${names.join("; ")}${more}); CockroachDB refuses to finalize a major upgrade while it is not empty; repair or drop them (SELECT * FROM crdb_internal.invalid_objects), then run pulumi up again`,
    ],
    warnings: [],
  };
}

/** Pure: liveness records in decommissioning membership; each blocks finalization unless live and on the new binary. */
export function judgeDecommissioning(rows: readonly Record<string, unknown>[]): Findings {
  const stuck = rows.filter((r) => String(r.membership) === "decommissioning").map((r) => String(r.node_id));
  if (stuck.length === 0) return { refusals: [], warnings: [] };
  return {
    refusals: [
      `node(s) ${stuck.map((id) => `n${id}`).join(", ")} are in decommissioning membership (crdb_internal.gossip_liveness); CockroachDB finalizes only when every node that is not fully decommissioned is live and runs the new binary; finish the decommission (cockroach node decommission ${stuck.join(" ")} --host=<a live node>) or recommission (cockroach node recommission ${stuck.join(" ")}), then run pulumi up again`,
    ],
    warnings: [],
  };
}

/** Pure: schema-change jobs; the caller's query already limits the job types. */
export function judgeSchemaChangeJobs(rows: readonly Record<string, unknown>[]): Findings {
  const open = rows.filter((r) => !TERMINAL_JOB_STATES.has(String(r.status)));
  const paused = open.filter((r) => PAUSED_JOB_STATES.has(String(r.status)));
  const running = open.filter((r) => !PAUSED_JOB_STATES.has(String(r.status)));
  const list = (js: typeof rows): string => js.map((r) => `${String(r.job_id)} (${String(r.status)}): ${String(r.description)}`).join("; ");
  return {
    refusals:
      paused.length === 0
        ? []
        : [
            `schema-change job(s) ${list(paused)} are paused and never finish by themselves, and upgrade migrations wait for schema changes; RESUME JOB <id> (or CANCEL JOB <id>), then run pulumi up again`,
          ],
    warnings: running.length === 0 ? [] : [`schema-change job(s) still running: ${list(running)}; finalization may wait for them`],
  };
}

/** The series of the plan's running build; a mixed or unknown one counts as the target's (no crossing assumed). */
function fromBuild(from: string, target: string): string {
  try {
    return seriesOf(from);
  } catch {
    return seriesOf(target);
  }
}
