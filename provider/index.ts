/**
 * The ResourceProvider the engine runs. It is serialized by closure into the
 * resource's state, so it holds only plain data (its own directory and the
 * package version) and requires the implementation inside each method:
 * module-level imports would be captured badly or not at all.
 *
 * Every method delegates to lifecycle.ts, where the flow is:
 *   parse (spec.ts) -> plan (plan.ts) -> execute (rollout.ts) -> map result (outputs.ts).
 */
import type * as dynamic from "@pulumi/pulumi/dynamic";

type Lifecycle = typeof import("./lifecycle");

class CrdbUpgradeProvider implements dynamic.ResourceProvider {
  constructor(
    /** Absolute path of the compiled provider; the serialized copy finds lifecycle.js here. */
    readonly providerDir: string,
    readonly packageVersion: string,
  ) {}

  impl(): Lifecycle {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      return require(require("path").join(this.providerDir, "lifecycle")) as Lifecycle;
    } catch {
      // The package moved (node_modules reinstalled elsewhere): resolve it by name from the project.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      return require("pulumi-crdb-upgrade/provider") as Lifecycle;
    }
  }

  check(olds: any, news: any): Promise<dynamic.CheckResult> {
    return this.impl().check(olds, news);
  }

  diff(id: string, olds: any, news: any): Promise<dynamic.DiffResult> {
    return this.impl().diff(id, olds, news);
  }

  create(inputs: any): Promise<dynamic.CreateResult> {
    return this.impl().create(inputs);
  }

  read(id: string, props: any): Promise<dynamic.ReadResult> {
    return this.impl().read(id, props);
  }

  update(id: string, olds: any, news: any): Promise<dynamic.UpdateResult> {
    return this.impl().update(id, olds, news);
  }

  delete(id: string, props: any): Promise<void> {
    return this.impl().delete(id, props);
  }
}

// eslint-disable-next-line @typescript-eslint/no-require-imports
const PACKAGE_VERSION: string = require("../../package.json").version;

/** The one provider instance every ClusterVersion resource uses (serialized once, cached by the SDK). */
export const provider = new CrdbUpgradeProvider(__dirname, PACKAGE_VERSION);
