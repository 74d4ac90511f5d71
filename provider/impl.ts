/** package.json maps `pulumi-crdb-upgrade/provider` here: the lifecycle implementation. */
export * from "./lifecycle";
