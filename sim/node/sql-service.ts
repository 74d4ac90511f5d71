/**
 * Builds the node's SQL engine (sim/sql) over the node's cluster hooks and
 * the cluster's shared table store.
 */
import { PgSession, QueryResult, SqlError } from "../pgwire/types";
import { NodeSqlHooks } from "./sql-hooks";

export interface SqlBackend {
  execute(sql: string, params: readonly unknown[], session: PgSession): Promise<QueryResult[]>;
}

interface EngineModule {
  SqlEngine: new (hooks: unknown, store: unknown) => SqlBackend;
  InMemoryTableStore?: new () => unknown;
}

export function createSqlBackend(hooks: NodeSqlHooks, tableStore: unknown): SqlBackend {
  const mod = loadEngine();
  if (!mod) {
    return {
      execute: () => Promise.reject(new SqlError("XX000", "the SQL engine is not available in this build")),
    };
  }
  return new mod.SqlEngine(hooks, tableStore ?? (mod.InMemoryTableStore ? new mod.InMemoryTableStore() : undefined));
}

function loadEngine(): EngineModule | undefined {
  for (const candidate of ["../sql/engine", "../sql/index", "../sql"]) {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const mod = require(candidate) as Partial<EngineModule>;
      if (typeof mod.SqlEngine === "function") return mod as EngineModule;
    } catch {
      // Try the next layout.
    }
  }
  return undefined;
}
