/**
 * Running the user/role statements through ClusterHooks (the cluster keeps
 * users; a node only forwards). Command tags are CockroachDB's: CREATE
 * ROLE, ALTER ROLE, DROP ROLE (also for the USER spellings).
 */
import { QueryResult } from "../pgwire/types";
import { Expr, Statement } from "./ast";
import { compileExpr } from "./compile";
import { unsupported } from "./errors";
import { ClusterHooks } from "./hooks";
import { QueryContext, makeEnv } from "./select";
import { valueToText } from "./values";
import { SqlArray } from "./arrays";

type RoleStatement = Extract<Statement, { kind: "create-role" | "alter-role" | "drop-role" | "show-users" }>;

/** The PASSWORD option's value: undefined when absent, null for NULL, else its text. */
function passwordValue(e: Expr | null | undefined, qc: QueryContext): string | null | undefined {
  if (e === undefined || e === null) return e;
  const c = compileExpr(e, makeEnv([], qc, "PASSWORD"));
  const v = c.eval([]);
  return v === null ? null : valueToText(v, c.type);
}

const done = (command: string): QueryResult => ({ command, columns: [], rows: [] });

export async function runRoleStatement(stmt: RoleStatement, hooks: ClusterHooks, qc: QueryContext): Promise<QueryResult> {
  switch (stmt.kind) {
    case "create-role":
      if (!hooks.createUser) throw unsupported("CREATE USER");
      await hooks.createUser(stmt.name, stmt.ifNotExists, passwordValue(stmt.password, qc));
      return done("CREATE ROLE");
    case "alter-role":
      if (!hooks.alterUser) throw unsupported("ALTER USER");
      await hooks.alterUser(stmt.name, stmt.ifExists, passwordValue(stmt.password, qc));
      return done("ALTER ROLE");
    case "drop-role":
      if (!hooks.dropUsers) throw unsupported("DROP USER");
      await hooks.dropUsers(stmt.names, stmt.ifExists);
      return done("DROP ROLE");
    case "show-users": {
      if (!hooks.listUsers) throw unsupported("SHOW USERS");
      const users = await hooks.listUsers();
      return {
        command: "SHOW USERS",
        columns: [
          { name: "username", type: "text" },
          { name: "options", type: "text" },
          { name: "member_of", type: "text[]" },
        ],
        rows: users.map((u) => [u.username, "", new SqlArray(u.username === "root" ? ["admin"] : [], "text")]),
        rowCount: users.length,
      };
    }
  }
}
