/** Outputs, as the engine stores them. */
import type { ClusterVersionInputs } from "./types-inputs";
import type { NodeProcessState } from "./types-observed";
import type { RolloutRecord } from "./types-plan";

// ---------------------------------------------------------------------------
// Outputs. Inputs are echoed under the same keys so the engine keeps secret
// fields secret (it copies secretness from inputs to outputs by key).
// ---------------------------------------------------------------------------

export interface NodeStatus {
  readonly name: string;
  readonly nodeId?: number;
  readonly version?: string; // running build tag
  readonly state: NodeProcessState;
}

export interface HistoryEntry {
  readonly id: string;
  readonly from: string;
  readonly to: string;
  readonly outcome: RolloutRecord["outcome"];
  readonly startedAt: string;
  readonly finishedAt: string;
}

export interface ClusterVersionOutputs extends ClusterVersionInputs {
  readonly nodeStatuses: readonly NodeStatus[];
  readonly clusterVersion?: string;
  readonly finalized: boolean;
  /** How to finalize, when a major upgrade is left unfinalized. */
  readonly finalizeHint?: string;
  /** The auto-finalization block this provider set, so it can be restored. */
  readonly finalizationBlock?: { readonly setting: string; readonly previous: string; readonly value: string };
  readonly lastRollout?: RolloutRecord;
  readonly history: readonly HistoryEntry[];
}
