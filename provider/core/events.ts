/**
 * What a rollout reports as it goes. Core code emits these and never logs;
 * progress.ts turns them into log lines. Every field is safe to print: names,
 * hosts, phases, builds and gate details — never a secret.
 */
import type { GateSample, Phase, RolloutRecord } from "./types";

/** Where a node stands in the run, for "node 2/3" and the ETA. */
export interface NodePosition {
  readonly node: string;
  /** 1-based among the nodes this run rolls (skipped nodes excluded). */
  readonly index: number;
  readonly total: number;
}

export type RolloutEvent =
  | {
      readonly type: "start";
      readonly from: string;
      readonly to: string;
      readonly kind: string;
      readonly nodes: number;
      readonly estimatedMs: number;
      readonly lines: readonly string[];
    }
  | { readonly type: "phase-start"; readonly phase: Phase; readonly at?: NodePosition; readonly detail?: string }
  | {
      readonly type: "phase-end";
      readonly phase: Phase;
      readonly at?: NodePosition;
      readonly ok: boolean;
      readonly durationMs: number;
      readonly detail?: string;
    }
  | { readonly type: "gate-sample"; readonly phase: Phase; readonly at?: NodePosition; readonly sample: GateSample }
  | { readonly type: "node-done"; readonly at: NodePosition; readonly outcome: string; readonly durationMs: number }
  | { readonly type: "note"; readonly message: string; readonly node?: string }
  | {
      /** After the canary (the first batch): the rest re-estimated by what it measured (plan/estimate.ts). */
      readonly type: "estimate";
      readonly nodes: readonly string[];
      readonly restartMs: number;
      readonly gateMs: number;
      readonly nodesLeft: number;
      readonly remainingMs: number;
      readonly plannedMs: number;
    }
  | { readonly type: "rollback-start"; readonly nodes: readonly string[]; readonly cause: string }
  | { readonly type: "rollback-end"; readonly ok: boolean; readonly detail?: string }
  | { readonly type: "done"; readonly outcome: RolloutRecord["outcome"]; readonly durationMs: number; readonly error?: string };

export type Emit = (e: RolloutEvent) => void;
