/**
 * The class of a process of a simulated-cluster roll, from its argv (pure):
 * what cpu-classes.ts sums the CPU of.
 */
export type ProcClass =
  | "provider"
  | "engine"
  | "bench"
  | "fabric"
  | "sim-node"
  | "sim-boot"
  | "start-parent"
  | "drain-cli"
  | "sim-cli"
  | "shell"
  | "tool"
  | "other";

/** The engine's dynamic-provider process: argv[1] is the script (a wrapper's `node -e "require.resolve('.../dynamic-provider')"` is not it). */
export function isDynamicProviderArgv(argv: readonly string[]): boolean {
  return /node$/.test(argv[0] ?? "") && (argv[1] ?? "").includes("dynamic-provider");
}

/** The provider's spawn helper (provider/transport/spawn-helper.ts): the local transport's commands run as its children. */
export function isSpawnHelperArgv(argv: readonly string[]): boolean {
  return /node$/.test(argv[0] ?? "") && (argv[1] ?? "").endsWith("spawn-helper-child.js");
}

/** backgroundChild: CRDB_SIM_BACKGROUND_CHILD=1 in its environment (the server child of `start --background`). */
export function classOf(argv: readonly string[], backgroundChild: boolean): ProcClass {
  const a0 = argv[0] ?? "";
  const script = argv[1] ?? "";
  const rest = argv.slice(2);
  // The provider's spawn helper runs its commands: provider-side work.
  if (isDynamicProviderArgv(argv) || isSpawnHelperArgv(argv)) return "provider";
  if (/pulumi(-language-nodejs|-resource-pulumi-nodejs)?$/.test(a0) || script.includes("@pulumi/pulumi/cmd/run")) return "engine";
  if (script.includes("pulumi-resource-pulumi-nodejs")) return "engine";
  if (script.endsWith("sim/main.js") && rest[0] === "fabric") return "fabric";
  if (script.endsWith("sim/cli/main.js")) {
    // The server child of `start --background` keeps the parent's argv (start-cmd.ts re-runs itself).
    if (rest[0] === "start") return backgroundChild ? "sim-node" : "start-parent";
    if (rest[0] === "node" && rest[1] === "drain") return "drain-cli";
    return "sim-cli";
  }
  if (/\/(sh|bash|dash)$/.test(a0) || a0 === "sh") return "shell";
  if (script.includes("bench/")) return "bench";
  if (/node$/.test(a0)) return "other";
  return "tool";
}
