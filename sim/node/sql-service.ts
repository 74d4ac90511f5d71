/**
 * Builds the node's SQL engine (sim/sql) over the node's cluster hooks and
 * the cluster's shared table store: one JSON file in the cluster dir that
 * every node process opens (the store serialises writers with a lock file),
 * so what one node acknowledged every node reads, across restarts.
 */
import * as path from "path";
import { JsonFileTableStore, SqlEngine } from "../sql";
import { NodeSqlHooks } from "./sql-hooks";

export const TABLES_FILE = "tables.json";

export function createSqlEngine(hooks: NodeSqlHooks, clusterDir: string): SqlEngine {
  return new SqlEngine(hooks, new JsonFileTableStore(path.join(clusterDir, TABLES_FILE)));
}
