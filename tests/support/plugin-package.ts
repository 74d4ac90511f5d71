/**
 * Where the tests find the native provider plugin (issue 12) and the tools
 * around it: the launcher, the package schema the engine reads from it, the
 * Python SDK venv that scripts/test-setup installs, and a Pulumi.yaml that
 * points a YAML program at the launcher. A missing piece fails loudly with
 * what to run; nothing here stands in for the plugin.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { stringify } from "yaml";
import { REPO_ROOT } from "./pulumi";

export const PLUGIN_NAME = "crdb-upgrade";
export const RESOURCE_TOKEN = "crdb-upgrade:index:ClusterVersion";

/** The launcher the npm package ships (bin/pulumi-resource-crdb-upgrade). */
export function launcherPath(): string {
  const p = path.join(REPO_ROOT, "bin", `pulumi-resource-${PLUGIN_NAME}`);
  if (!fs.existsSync(p)) throw new Error(`${p} is missing: the provider plugin's launcher (issue 12) is not in this checkout`);
  return p;
}

/**
 * What `pulumi package gen-sdk` is given: the committed schema.json when the
 * repo has one, else the launcher (the engine asks the plugin for its schema).
 */
export function schemaSource(): string {
  const committed = path.join(REPO_ROOT, "schema.json");
  return fs.existsSync(committed) ? committed : launcherPath();
}

/** The venv's python with the `pulumi` SDK at the @pulumi/pulumi release (scripts/test-setup puts it there). */
export function venvPython(): string {
  const release = (
    JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "package.json"), "utf8")) as {
      devDependencies: Record<string, string>;
    }
  ).devDependencies["@pulumi/pulumi"].replace(/^[^0-9]*/, "");
  const cache = process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), ".cache");
  const py = path.join(cache, "pulumi-crdb-upgrade", "python", `pulumi-${release}`, "bin", "python");
  if (!fs.existsSync(py)) throw new Error(`${py} is missing: run scripts/test-setup (it installs the pulumi ${release} Python SDK)`);
  return py;
}

export interface YamlProgram {
  readonly dir: string;
  /** Rewrites the program's single ClusterVersion resource with these properties (and options); undefined: no resource. */
  setResource(properties: Readonly<Record<string, unknown>> | undefined, options?: Readonly<Record<string, unknown>>): void;
  dispose(): void;
}

/**
 * A YAML program (runtime: yaml) declaring one `crdb-upgrade:index:ClusterVersion`
 * named "cluster", with the plugin found through `plugins.providers` (a path
 * entry, as the README shows operators), and its outputs exported.
 */
export function yamlProgram(name: string): YamlProgram {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "crdb-yaml-program-"));
  const launcherDir = path.dirname(launcherPath());
  const write = (properties: Readonly<Record<string, unknown>> | undefined, options?: Readonly<Record<string, unknown>>) => {
    const declared = properties
      ? {
          resources: { cluster: { type: RESOURCE_TOKEN, properties, ...(options ? { options } : {}) } },
          outputs: { nodeStatuses: "${cluster.nodeStatuses}", finalized: "${cluster.finalized}", version: "${cluster.version}" },
        }
      : {};
    const doc = { name, runtime: "yaml", plugins: { providers: [{ name: PLUGIN_NAME, path: launcherDir }] }, ...declared };
    fs.writeFileSync(path.join(dir, "Pulumi.yaml"), stringify(doc));
  };
  return {
    dir,
    setResource: write,
    dispose: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}
