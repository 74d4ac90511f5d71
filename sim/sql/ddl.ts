/** CREATE/DROP TABLE and DATABASE, SHOW DATABASES, SHOW TABLES. */
import { QueryResult, SqlError } from "../pgwire/types";
import { Statement } from "./ast";
import { compileExpr } from "./compile";
import { undefinedDatabase, undefinedTable } from "./errors";
import { QueryContext, makeEnv } from "./select";
import { StoreTx, StoredColumn, TableSchema } from "./store";

type CreateTable = Extract<Statement, { kind: "create-table" }>;

const done = (command: string): QueryResult => ({ command, columns: [], rows: [] });

/** Splits a table name into database and table, as user tables resolve. */
export function userTableName(parts: readonly string[], database: string): { database: string; name: string } {
  const name = parts[parts.length - 1];
  if (parts.length === 1 || (parts.length === 2 && parts[0] === "public")) return { database, name };
  if (parts.length === 2 || (parts.length === 3 && parts[1] === "public")) return { database: parts[0], name };
  throw undefinedTable(parts.join("."));
}

export function createTable(stmt: CreateTable, tx: StoreTx, database: string, qc: QueryContext): QueryResult {
  const target = userTableName(stmt.name, database);
  if (!tx.listDatabases().includes(target.database)) throw undefinedDatabase(target.database);
  if (tx.getTable(target.database, target.name)) {
    if (stmt.ifNotExists) return done("CREATE TABLE");
    throw new SqlError("42P07", `relation "${target.name}" already exists`);
  }
  const seen = new Set<string>();
  for (const c of stmt.columns) {
    if (seen.has(c.name)) throw new SqlError("42701", `column "${c.name}" specified more than once`);
    seen.add(c.name);
    if (c.default) compileExpr(c.default, makeEnv([], qc, "DEFAULT expressions")); // reject bad defaults now, not at insert
  }
  for (const k of stmt.primaryKey) {
    if (!seen.has(k)) throw new SqlError("42703", `column "${k}" does not exist`);
  }
  const columns: StoredColumn[] = stmt.columns.map((c) => ({
    name: c.name,
    type: c.type,
    notNull: c.notNull || stmt.primaryKey.includes(c.name),
    defaultSql: c.defaultSql,
  }));
  let primaryKey = [...stmt.primaryKey];
  if (primaryKey.length === 0) {
    // CockroachDB adds a hidden rowid key to tables declared without a primary key.
    columns.push({ name: "rowid", type: "int8", notNull: true, defaultSql: "unique_rowid()", hidden: true });
    primaryKey = ["rowid"];
  }
  const schema: TableSchema = { database: target.database, name: target.name, columns, primaryKey };
  tx.createTable(schema);
  return done("CREATE TABLE");
}

export function createDatabase(name: string, ifNotExists: boolean, tx: StoreTx): QueryResult {
  if (tx.listDatabases().includes(name) || name === "system") {
    if (ifNotExists) return done("CREATE DATABASE");
    throw new SqlError("42P04", `database "${name}" already exists`);
  }
  tx.createDatabase(name);
  return done("CREATE DATABASE");
}

export function dropTables(names: readonly (readonly string[])[], ifExists: boolean, tx: StoreTx, database: string): QueryResult {
  for (const parts of names) {
    const t = userTableName(parts, database);
    if (!tx.getTable(t.database, t.name)) {
      if (ifExists) continue;
      throw undefinedTable(parts.join("."));
    }
    tx.dropTable(t.database, t.name);
  }
  return done("DROP TABLE");
}

export function dropDatabase(name: string, ifExists: boolean, tx: StoreTx): QueryResult {
  if (name === "system") throw new SqlError("42501", `cannot drop database "system"`);
  if (!tx.listDatabases().includes(name)) {
    if (ifExists) return done("DROP DATABASE");
    throw undefinedDatabase(name);
  }
  tx.dropDatabase(name);
  return done("DROP DATABASE");
}

export function showDatabases(tx: StoreTx): QueryResult {
  const names = [...new Set([...tx.listDatabases(), "system"])].sort();
  return {
    command: "SHOW DATABASES",
    columns: [
      { name: "database_name", type: "text" },
      { name: "owner", type: "text" },
      { name: "primary_region", type: "text" },
      { name: "secondary_region", type: "text" },
      { name: "regions", type: "text" },
      { name: "survival_goal", type: "text" },
    ],
    rows: names.map((n) => [n, n === "system" ? "node" : "root", null, null, "{}", null]),
    rowCount: names.length,
  };
}

export function showTables(tx: StoreTx, database: string): QueryResult {
  if (!tx.listDatabases().includes(database)) throw undefinedDatabase(database);
  const tables = tx.listTables(database).sort((a, b) => (a.name < b.name ? -1 : 1));
  return {
    command: "SHOW TABLES",
    columns: [
      { name: "schema_name", type: "text" },
      { name: "table_name", type: "text" },
      { name: "type", type: "text" },
      { name: "owner", type: "text" },
      { name: "estimated_row_count", type: "int8" },
      { name: "locality", type: "text" },
    ],
    rows: tables.map((t) => ["public", t.name, "table", "root", BigInt(tx.scan(t.database, t.name).length), null]),
    rowCount: tables.length,
  };
}
