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
/** What the engine passes: plain objects (secrets already unwrapped). */
type Props = Record<string, unknown>;

class CrdbUpgradeProvider implements dynamic.ResourceProvider {
  constructor(
    /** Absolute path of the compiled provider; the serialized copy finds lifecycle.js here. */
    readonly providerDir: string,
    readonly packageVersion: string,
  ) {}

  impl(): Lifecycle {
    const file = require("path").join(this.providerDir, "lifecycle.js") as string;
    // The package moved since the state was written (node_modules reinstalled elsewhere): resolve it by name.
    if (!require("fs").existsSync(file)) return require("pulumi-crdb-upgrade/provider") as Lifecycle;
    return require(file) as Lifecycle;
  }

  check(olds: Props, news: Props): Promise<dynamic.CheckResult> {
    return this.impl().check(olds, news);
  }

  diff(id: string, olds: Props, news: Props): Promise<dynamic.DiffResult> {
    return this.impl().diff(id, olds, news);
  }

  create(inputs: Props): Promise<dynamic.CreateResult> {
    return this.impl().create(inputs);
  }

  read(id: string, props: Props): Promise<dynamic.ReadResult> {
    return this.impl().read(id, props);
  }

  update(id: string, olds: Props, news: Props): Promise<dynamic.UpdateResult> {
    return this.impl().update(id, olds, news);
  }

  delete(id: string, props: Props): Promise<void> {
    return this.impl().delete(id, props);
  }
}

const PACKAGE_VERSION: string = require("../../package.json").version;

/** The one provider instance every ClusterVersion resource uses (serialized once, cached by the SDK). */
export const provider = new CrdbUpgradeProvider(__dirname, PACKAGE_VERSION);
