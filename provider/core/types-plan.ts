/** The plan (plan/) and its execution record (rollout/). */
import type { FinalizeMode } from "./types-spec";

// ---------------------------------------------------------------------------
// The plan (pure, plan.ts) and its execution record (rollout.ts).
// ---------------------------------------------------------------------------

export type UpgradeKind = "none" | "patch" | "patch-downgrade" | "major" | "major-rollback";

export type Phase =
  | "preflight"
  | "stage-release"
  | "hooks"
  | "block-finalization"
  | "drain"
  | "stop"
  | "swap-binary"
  | "start"
  | "await-node"
  | "await-cluster"
  | "bake"
  | "finalize"
  | "unblock-finalization"
  | "rollback"
  /** The whole-cluster watch (watch.ts) found a node down that the run did not take down. */
  | "watch";

export interface PlanBatch {
  /** Node names rolled together (one unless batch=locality). */
  readonly nodes: readonly string[];
  /** Bake after this batch, ms (canary bake for the first when canary). */
  readonly bakeMs: number;
  readonly canary: boolean;
  readonly locality?: string;
}

export interface Plan {
  readonly from: string; // build tag(s) now, e.g. "v23.1.11" (or "mixed: ...")
  readonly to: string;
  readonly kind: UpgradeKind;
  /** Nodes already on the target: verified and skipped. */
  readonly skip: readonly string[];
  readonly batches: readonly PlanBatch[];
  /** Set on major upgrades: what blocks auto-finalization during the roll. */
  readonly blockFinalization?: {
    readonly setting: "cluster.auto_upgrade.enabled" | "cluster.preserve_downgrade_option";
    readonly value: string;
  };
  readonly finalize: FinalizeMode | { readonly mode: "not-applicable" };
  readonly estimatedMs: number;
  /** What the estimate rests on (the last roll's pace, or the first-roll figures and the drain settings). */
  readonly estimateBasis: string;
  /** Human lines explaining choices (e.g. locality batching fell back to one node). */
  readonly notes: readonly string[];
}

export interface GateSample {
  readonly at: string; // ISO
  readonly ok: boolean;
  readonly detail: string; // e.g. "live 5/5, under-replicated 0, unavailable 0"
}

export interface PhaseRecord {
  readonly phase: Phase;
  readonly startedAt: string; // ISO
  readonly durationMs: number;
  readonly ok: boolean;
  readonly detail?: string;
  readonly samples?: readonly GateSample[];
}

export interface NodeRolloutRecord {
  readonly name: string;
  readonly nodeId?: number;
  readonly from?: string;
  readonly to: string;
  readonly outcome: "upgraded" | "skipped" | "rolled-back" | "failed" | "untouched";
  readonly phases: readonly PhaseRecord[];
}

export interface RolloutRecord {
  readonly id: string;
  readonly from: string;
  readonly to: string;
  readonly kind: UpgradeKind;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly outcome: "succeeded" | "failed" | "rolled-back" | "noop" | "paused";
  readonly error?: string;
  readonly nodes: readonly NodeRolloutRecord[];
  readonly finalization?: { readonly finalized: boolean; readonly migrationMs?: number; readonly note?: string };
  /** Findings that did not stop the run (e.g. drain settings too short for the load balancer). */
  readonly notes?: readonly string[];
  /** Single-node clusters: how long the cluster was down, from the drain to the node ready again. */
  readonly downtimeMs?: number;
  /** The cluster's condition at the end of the run (end-report.ts): nodes down, not ready, or down during it. */
  readonly warnings?: readonly string[];
  /** The evidence taken on a failure mid-roll, before the rollback (hooks.debugZipOnFailure). */
  readonly debugZip?: DebugZipRecord;
  /** The run's estimates (plan/estimate.ts, plan/reestimate.ts): what it said and what the canary measured. */
  readonly eta?: EtaRecord;
}

/** What the run estimated, kept so a later roll's pace (plan/pace.ts) and the benches can read it. */
export interface EtaRecord {
  /** The plan's estimate of the whole run, ms. */
  readonly plannedMs: number;
  /** The post-roll watch window this run held, ms (it is in the run's tail; a later roll may hold another). */
  readonly watchMs?: number;
  /** After the first batch (the canary): what it measured, and the re-estimate of the rest. */
  readonly afterCanary?: {
    /** When the re-estimate was made. */
    readonly at: string;
    readonly nodes: readonly string[];
    /** First drain to the rejoin, the batch's slowest node. */
    readonly restartMs: number;
    /** The rejoin to the gate's first confirmed streak (catch-up + confirmation). */
    readonly gateMs: number;
    /** Nodes still to roll, and the time the rest should take from `at`. */
    readonly nodesLeft: number;
    readonly remainingMs: number;
  };
}

export interface DebugZipRecord {
  /** The node the zip was taken through. */
  readonly node?: string;
  /** Where the zip is on the machine that ran the provider. */
  readonly path?: string;
  /** Why there is no zip (it did not block the rollback). */
  readonly error?: string;
}
