/**
 * The world of a plugin e2e test: one sim cluster, release mirrors, a YAML
 * program declaring `crdb-upgrade:index:ClusterVersion` through the provider
 * plugin, and a Pulumi workspace on it; plus the readings every such test
 * makes of the stack (the resource's outputs in the state). Shared by
 * plugin-yaml, plugin-cancel and plugin-import, which used to repeat it.
 */
import { PulumiWorkspace } from "./pulumi";
import { serveReleaseMirror, type ReleaseMirror } from "./release-mirror";
import { startSimCluster, type SimCluster } from "./sim-cluster";
import { fastStrategy } from "./provider-harness";
import { RESOURCE_TOKEN, yamlProgram, type YamlProgram } from "./plugin-package";
import type { StrategyInput } from "../../provider/core/types";
import type { NodeStatus } from "../../provider/core/types";

export interface PluginWorldOptions {
  /** The Pulumi project's name (one per test file). */
  readonly project: string;
  readonly stack: string;
  /** The first node's loopback address (each test file its own band). */
  readonly baseIp: string;
  /** The version the cluster runs at the start. */
  readonly version: string;
  /** Releases the good mirror serves (the start version among them). */
  readonly releases: readonly string[];
  /** Releases a second mirror serves as builds whose start fails. */
  readonly faultyReleases?: readonly string[];
  /** The strategy every declared resource gets (fastStrategy with these on top). */
  readonly strategy?: Partial<StrategyInput>;
  /** Extra environment for every pulumi command. */
  readonly env?: Readonly<Record<string, string>>;
  /** Declare the resource at `version` from the start (false: an empty project, as before an import). */
  readonly declare: boolean;
}

/** The resource as the state holds it. */
export interface ResourceState {
  readonly type: string;
  readonly inputs: Record<string, unknown> & { nodes: Array<Record<string, unknown>> };
  readonly outputs: { nodeStatuses: NodeStatus[]; version: string };
  readonly provider?: string;
}

export interface PluginWorld {
  readonly sim: SimCluster;
  readonly program: YamlProgram;
  readonly ws: PulumiWorkspace;
  /** The mirror of the good releases. */
  readonly mirror: ReleaseMirror;
  /** The mirror of the faulty releases (when asked for). */
  readonly faulty?: ReleaseMirror;
  /** Every node on `version`, by name. */
  uniform(version: string): Record<string, string>;
  /** Declares the resource at `version`, its release fetched from `mirror` (the good one by default). */
  setVersion(version: string, mirror?: ReleaseMirror): void;
  /** The resource in the state, undefined when there is none. */
  resourceState(): Promise<ResourceState | undefined>;
  /** The versions the state's nodeStatuses record, by name (empty without the resource). */
  stateVersions(): Promise<Record<string, string | undefined>>;
  dispose(): Promise<void>;
}

export const versionsOf = (nodes: readonly NodeStatus[]): Record<string, string | undefined> =>
  Object.fromEntries(nodes.map((n) => [n.name, n.version]));

export async function startPluginWorld(o: PluginWorldOptions): Promise<PluginWorld> {
  const sim = await startSimCluster({ nodes: 3, version: o.version, baseIp: o.baseIp, timeScale: 0.1 });
  const started: { mirror?: ReleaseMirror; faulty?: ReleaseMirror; program?: YamlProgram; ws?: PulumiWorkspace } = {};
  const dispose = async (): Promise<void> => {
    await started.ws?.dispose();
    started.program?.dispose();
    await started.mirror?.close();
    await started.faulty?.close();
    await sim.stop();
  };
  try {
    const mirror = (started.mirror = await serveReleaseMirror(sim, [...o.releases]));
    const faulty = o.faultyReleases ? (started.faulty = await serveReleaseMirror(sim, [...o.faultyReleases], "start-fails")) : undefined;
    const program = (started.program = yamlProgram(o.project));
    const setVersion = (version: string, from: ReleaseMirror = mirror): void =>
      program.setResource({
        version,
        nodes: sim.providerNodes,
        sql: { insecure: true },
        release: { urlTemplate: `${from.url}/cockroach-{version}.linux-amd64.tgz` },
        strategy: fastStrategy(o.strategy),
      });
    if (o.declare) setVersion(o.version);
    else program.setResource(undefined);
    const ws = (started.ws = new PulumiWorkspace({ programDir: program.dir, stack: o.stack, ...(o.env && { env: o.env }) }));
    await ws.init();
    const resourceState = async (): Promise<ResourceState | undefined> =>
      (await ws.exportStack()).json.deployment.resources?.find((r) => r.type === RESOURCE_TOKEN) as ResourceState | undefined;
    return {
      sim,
      program,
      ws,
      mirror,
      ...(faulty && { faulty }),
      uniform: (version) => Object.fromEntries(sim.providerNodes.map((n) => [n.name, version])),
      setVersion,
      resourceState,
      stateVersions: async () => versionsOf((await resourceState())?.outputs?.nodeStatuses ?? []),
      dispose,
    };
  } catch (e) {
    await dispose();
    throw e;
  }
}
