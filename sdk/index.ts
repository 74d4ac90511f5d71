/**
 * The public API: the ClusterVersion resource. Thin on purpose — everything
 * that runs inside the engine lives in provider/ and is reached through one
 * module-level provider object (see provider/index.ts).
 */
import * as pulumi from "@pulumi/pulumi";
import { provider } from "../provider";
import { withSecretCredentials } from "./secret-inputs";
import type * as t from "../provider/core/types";

// Exclude undefined inside Input (optionality stays on the key), so these types
// match @pulumi/command's exactly: `agentSocketPath?: Input<string>`.
type Inputs<T> = { [K in keyof T]: pulumi.Input<Exclude<T[K], undefined>> };

/** Field names and meaning of @pulumi/command's remote ConnectionArgs, so one object serves both. */
export type ConnectionArgs = Inputs<t.ConnectionInput>;

export interface NodeArgs {
  readonly name: pulumi.Input<string>;
  /** Omitted or "local": commands run on this machine. Otherwise SSH. */
  readonly connection?: pulumi.Input<ConnectionArgs | "local">;
  readonly sqlAddr: pulumi.Input<string>;
  readonly httpAddr: pulumi.Input<string>;
  /** The node's RPC address for `node drain` / `debug zip`; defaults from the start flags, else sqlAddr. */
  readonly rpcAddr?: pulumi.Input<string>;
  readonly locality?: pulumi.Input<string>;
  readonly binaryPath: pulumi.Input<string>;
  readonly stagingDir?: pulumi.Input<string>;
  readonly process: pulumi.Input<t.ProcessInput>;
}

export interface ClusterVersionArgs {
  /** The CockroachDB release every node should run, e.g. "v23.1.12". */
  readonly version: pulumi.Input<string>;
  readonly nodes: pulumi.Input<pulumi.Input<NodeArgs>[]>;
  readonly sql?: pulumi.Input<Inputs<t.SqlInput>>;
  readonly release?: pulumi.Input<Inputs<t.ReleaseInput>>;
  readonly strategy?: pulumi.Input<t.StrategyInput>;
  readonly hooks?: pulumi.Input<Inputs<t.HooksInput>>;
}

/**
 * Owns the version of a self-hosted CockroachDB cluster. Changing `version`
 * rolls the cluster one node at a time (drain, stop, swap, start, health gate,
 * bake) and rolls touched nodes back on failure. Deleting the resource only
 * forgets it: no node is ever stopped by a delete.
 */
export class ClusterVersion extends pulumi.dynamic.Resource {
  declare public readonly version: pulumi.Output<string>;
  declare public readonly nodes: pulumi.Output<t.NodeInput[]>;
  declare public readonly sql: pulumi.Output<t.SqlInput | undefined>;
  declare public readonly release: pulumi.Output<t.ReleaseInput | undefined>;
  declare public readonly strategy: pulumi.Output<t.StrategyInput | undefined>;
  declare public readonly hooks: pulumi.Output<t.HooksInput | undefined>;
  /** What each node runs, as last observed. */
  declare public readonly nodeStatuses: pulumi.Output<t.NodeStatus[]>;
  /** `SHOW CLUSTER SETTING version`, e.g. "23.1" (or a transition string while finalizing). */
  declare public readonly clusterVersion: pulumi.Output<string | undefined>;
  /** False while a major upgrade is rolled but not finalized (rollback still possible). */
  declare public readonly finalized: pulumi.Output<boolean>;
  declare public readonly finalizeHint: pulumi.Output<string | undefined>;
  declare public readonly finalizationBlock: pulumi.Output<t.ClusterVersionOutputs["finalizationBlock"]>;
  /** Per node and per phase: start time, duration, gate samples. */
  declare public readonly lastRollout: pulumi.Output<t.RolloutRecord | undefined>;
  declare public readonly history: pulumi.Output<t.HistoryEntry[]>;
  declare public readonly providerVersion: pulumi.Output<string>;

  constructor(name: string, args: ClusterVersionArgs, opts?: pulumi.CustomResourceOptions) {
    const props = {
      // Credential fields are secret whatever the program passes (sdk/secret-inputs.ts).
      ...withSecretCredentials({ ...args }),
      providerVersion: PACKAGE_VERSION,
      nodeStatuses: undefined,
      clusterVersion: undefined,
      finalized: undefined,
      finalizeHint: undefined,
      finalizationBlock: undefined,
      lastRollout: undefined,
      history: undefined,
    };
    super(provider, name, props, opts, "crdb-upgrade", "ClusterVersion");
  }
}

const PACKAGE_VERSION: string = require("../../package.json").version;

export { getConfigObject, isSecretConfigKey } from "./config";
export type {
  NodeStatus,
  RolloutRecord,
  HistoryEntry,
  ProcessInput,
  StrategyInput,
  SqlInput,
  ReleaseInput,
  HooksInput,
  DurationInput,
  ConnectionInput,
  NodeInput,
  ClusterVersionInputs,
  ClusterVersionOutputs,
  FinalizeMode,
  NodeProcessState,
} from "../provider/core/types";
