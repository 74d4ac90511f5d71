/**
 * Statement grammar: splits a query string into statements and parses each
 * (SELECT, INSERT/UPSERT, UPDATE, DELETE, CREATE/DROP, SHOW, SET, RESET,
 * USE, BACKUP, transaction control).
 */
import { Assignment, ColumnDef, Expr, OnConflict, SelectItem, Statement } from "./ast";
import { Cursor } from "./cursor";
import { unsupported } from "./errors";
import { parseType } from "./parse-expr";
import { exprs, parseSelect, parseSelectItem } from "./parse-select";
import { parseAlterRole, parseCreateRole, parseDropRole } from "./parse-roles";

export interface ParsedStatement {
  readonly stmt: Statement;
  /** Source text of this statement alone. */
  readonly text: string;
}

/** Parses every statement in `sql`; empty statements (";;") are skipped. */
export function parseStatements(sql: string): ParsedStatement[] {
  const c = new Cursor(sql);
  const out: ParsedStatement[] = [];
  for (;;) {
    while (c.acceptOp(";"));
    if (c.peek().kind === "eof") return out;
    const start = c.peek().pos;
    const stmt = parseStatement(c);
    const end = c.peek().pos;
    if (!c.isEnd()) c.fail();
    out.push({ stmt, text: sql.slice(start, end).trim() });
  }
}

function parseStatement(c: Cursor): Statement {
  const w = c.peek().kind === "word" ? c.peek().value : "";
  switch (w) {
    case "select":
      return parseSelect(c);
    case "insert":
    case "upsert":
      return parseInsert(c);
    case "update":
      return parseUpdate(c);
    case "delete":
      return parseDelete(c);
    case "create":
      return parseCreate(c);
    case "drop":
      return parseDrop(c);
    case "alter":
      return parseAlterRole(c);
    case "show":
      return parseShow(c);
    case "set":
      return parseSet(c);
    case "reset":
      return parseReset(c);
    case "use":
      c.next();
      return { kind: "use", database: c.ident() };
    case "backup": {
      const start = c.peek().pos;
      c.skipToEnd();
      return { kind: "backup", text: c.sql.slice(start, c.peek().pos).trim() };
    }
    default:
      return parseTransaction(c, w);
  }
}

function parseTransaction(c: Cursor, w: string): Statement {
  const commands: Record<string, "BEGIN" | "COMMIT" | "ROLLBACK" | "SAVEPOINT" | "RELEASE"> = {
    begin: "BEGIN",
    start: "BEGIN",
    commit: "COMMIT",
    end: "COMMIT",
    rollback: "ROLLBACK",
    abort: "ROLLBACK",
    savepoint: "SAVEPOINT",
    release: "RELEASE",
  };
  const command = commands[w];
  if (command === undefined) return c.fail();
  c.next();
  if (w === "start") c.expectWords("transaction");
  c.skipToEnd(); // isolation levels, priorities, savepoint names: accepted, not simulated
  return { kind: "transaction", command };
}

function parseReturning(c: Cursor): SelectItem[] | undefined {
  if (!c.acceptWords("returning")) return undefined;
  if (c.acceptWords("nothing")) return [];
  const x = exprs(c);
  const items = [parseSelectItem(c, x)];
  while (c.acceptOp(",")) items.push(parseSelectItem(c, x));
  return items;
}

function parseIdentList(c: Cursor): string[] {
  c.expectOp("(");
  const names = [c.ident()];
  while (c.acceptOp(",")) names.push(c.ident());
  c.expectOp(")");
  return names;
}

function parseInsert(c: Cursor): Statement {
  const upsert = c.next().value === "upsert";
  c.expectWords("into");
  const table = c.dottedName();
  if (c.acceptWords("as")) c.ident();
  const columns = c.isOp("(") && !c.isWord("select", 1) ? parseIdentList(c) : undefined;
  const x = exprs(c);
  let rows: (Expr | "default")[][] | undefined;
  let select;
  if (c.acceptWords("values")) {
    rows = [];
    do {
      c.expectOp("(");
      const row: (Expr | "default")[] = [];
      do row.push(c.acceptWords("default") ? "default" : x.expr());
      while (c.acceptOp(","));
      c.expectOp(")");
      rows.push(row);
    } while (c.acceptOp(","));
  } else if (c.acceptWords("default", "values")) {
    rows = [[]];
  } else if (c.isWord("select")) {
    select = parseSelect(c);
  } else if (c.acceptOp("(")) {
    select = parseSelect(c);
    c.expectOp(")");
  } else c.fail();
  const onConflict = upsert ? undefined : parseOnConflict(c);
  return { kind: "insert", table, columns, rows, select, onConflict, upsert, returning: parseReturning(c) };
}

function parseOnConflict(c: Cursor): OnConflict | undefined {
  if (!c.acceptWords("on", "conflict")) return undefined;
  const columns = c.isOp("(") ? parseIdentList(c) : [];
  c.expectWords("do");
  if (c.acceptWords("nothing")) return { columns, updates: [] };
  c.expectWords("update", "set");
  const updates = parseAssignments(c);
  const where = c.acceptWords("where") ? exprs(c).expr() : undefined;
  return { columns, updates, where };
}

function parseAssignments(c: Cursor): Assignment[] {
  const x = exprs(c);
  const out: Assignment[] = [];
  do {
    const column = c.dottedName().pop()!;
    c.expectOp("=");
    out.push({ column, expr: c.acceptWords("default") ? { kind: "literal", value: null, type: "text" } : x.expr() });
  } while (c.acceptOp(","));
  return out;
}

function parseUpdate(c: Cursor): Statement {
  c.expectWords("update");
  const table = c.dottedName();
  const alias = c.acceptWords("as") || c.isIdent() ? c.ident() : undefined;
  c.expectWords("set");
  const sets = parseAssignments(c);
  const where = c.acceptWords("where") ? exprs(c).expr() : undefined;
  return { kind: "update", table, alias, sets, where, returning: parseReturning(c) };
}

function parseDelete(c: Cursor): Statement {
  c.expectWords("delete", "from");
  const table = c.dottedName();
  const alias = c.acceptWords("as") || c.isIdent() ? c.ident() : undefined;
  const where = c.acceptWords("where") ? exprs(c).expr() : undefined;
  return { kind: "delete", table, alias, where, returning: parseReturning(c) };
}

function parseCreate(c: Cursor): Statement {
  c.expectWords("create");
  const role = parseCreateRole(c);
  if (role) return role;
  if (c.acceptWords("database")) {
    const ifNotExists = c.acceptWords("if", "not", "exists");
    const name = c.ident();
    c.skipToEnd();
    return { kind: "create-database", name, ifNotExists };
  }
  if (!c.acceptWords("table")) throw unsupported(`CREATE ${c.peek().raw.toUpperCase()}`);
  const ifNotExists = c.acceptWords("if", "not", "exists");
  const name = c.dottedName();
  c.expectOp("(");
  const columns: ColumnDef[] = [];
  let primaryKey: string[] = [];
  do {
    if (c.acceptWords("constraint")) c.ident();
    if (c.acceptWords("primary", "key")) primaryKey = parseIdentList(c);
    else if (c.acceptWords("unique") || c.acceptWords("index") || c.acceptWords("family") || c.acceptWords("check")) {
      if (c.isIdent()) c.ident();
      c.skipParens();
    } else columns.push(parseColumnDef(c));
  } while (c.acceptOp(","));
  c.expectOp(")");
  const inline = columns.filter((col) => col.primaryKey).map((col) => col.name);
  if (inline.length > 0) primaryKey = inline;
  return { kind: "create-table", name, ifNotExists, columns, primaryKey };
}

function parseColumnDef(c: Cursor): ColumnDef {
  const name = c.ident();
  const type = parseType(c);
  let notNull = false;
  let primaryKey = false;
  let defaultExpr: Expr | undefined;
  let defaultSql: string | undefined;
  for (;;) {
    if (c.acceptWords("primary", "key")) primaryKey = notNull = true;
    else if (c.acceptWords("not", "null")) notNull = true;
    else if (c.acceptWords("null") || c.acceptWords("unique")) continue;
    else if (c.acceptWords("default")) {
      const start = c.peek().pos;
      defaultExpr = exprs(c).expr();
      defaultSql = c.sql.slice(start, c.peek().pos).trim();
    } else if (c.acceptWords("constraint")) c.ident();
    else if (c.acceptWords("references")) {
      c.dottedName();
      if (c.isOp("(")) c.skipParens();
    } else if (c.acceptWords("check")) c.skipParens();
    else return { name, type, notNull, primaryKey, default: defaultExpr, defaultSql };
  }
}

function parseDrop(c: Cursor): Statement {
  c.expectWords("drop");
  const role = parseDropRole(c);
  if (role) return role;
  if (c.acceptWords("database")) {
    const ifExists = c.acceptWords("if", "exists");
    const name = c.ident();
    c.skipToEnd();
    return { kind: "drop-database", name, ifExists };
  }
  if (!c.acceptWords("table")) throw unsupported(`DROP ${c.peek().raw.toUpperCase()}`);
  const ifExists = c.acceptWords("if", "exists");
  const names = [c.dottedName()];
  while (c.acceptOp(",")) names.push(c.dottedName());
  if (!c.acceptWords("cascade")) c.acceptWords("restrict");
  return { kind: "drop-table", names, ifExists };
}

/** Setting names are dotted paths whose parts may be any word (`server.shutdown.drain_wait`). */
function settingName(c: Cursor): string {
  return c.dottedName(true).join(".");
}

function parseShow(c: Cursor): Statement {
  c.expectWords("show");
  if (c.acceptWords("cluster", "setting")) return { kind: "show-cluster-setting", name: settingName(c) };
  if (
    c.acceptWords("cluster", "settings") ||
    c.acceptWords("all", "cluster", "settings") ||
    c.acceptWords("public", "cluster", "settings")
  ) {
    return { kind: "show-cluster-settings" };
  }
  if (c.acceptWords("databases")) return { kind: "show-databases" };
  if (c.acceptWords("users") || c.acceptWords("roles")) return { kind: "show-users" };
  if (c.acceptWords("tables")) return { kind: "show-tables", database: c.acceptWords("from") ? c.dottedName()[0] : undefined };
  if (c.acceptWords("transaction", "isolation", "level")) return { kind: "show-var", name: "transaction_isolation" };
  if (c.acceptWords("time", "zone")) return { kind: "show-var", name: "timezone" };
  c.acceptWords("session");
  return { kind: "show-var", name: settingName(c) };
}

function parseSet(c: Cursor): Statement {
  c.expectWords("set");
  if (c.acceptWords("cluster", "setting")) {
    const name = settingName(c);
    if (!c.acceptOp("=")) c.expectWords("to");
    if (c.acceptWords("default")) return { kind: "set-cluster-setting", name, value: null };
    return { kind: "set-cluster-setting", name, value: exprs(c).expr() };
  }
  if (c.acceptWords("transaction")) {
    c.skipToEnd();
    return { kind: "set-var", name: "transaction", values: [] };
  }
  if (!c.acceptWords("session")) c.acceptWords("local");
  if (c.acceptWords("time", "zone")) return { kind: "set-var", name: "timezone", values: parseSetValues(c) };
  const name = settingName(c);
  if (!c.acceptOp("=")) c.expectWords("to");
  return { kind: "set-var", name, values: parseSetValues(c) };
}

/** SET values may be bare words (`SET datestyle = ISO, MDY`), taken as strings. */
function parseSetValues(c: Cursor): Expr[] {
  const x = exprs(c);
  const values: Expr[] = [];
  do {
    const t = c.peek();
    const bare = t.kind === "word" && !c.isOp("(", 1) && !c.isOp(".", 1) && !["true", "false", "null"].includes(t.value);
    if (bare) c.next();
    values.push(bare ? { kind: "literal", value: t.raw, type: "text" } : x.expr());
  } while (c.acceptOp(","));
  return values;
}

function parseReset(c: Cursor): Statement {
  c.expectWords("reset");
  if (c.acceptWords("cluster", "setting")) return { kind: "set-cluster-setting", name: settingName(c), value: null };
  c.acceptWords("session");
  return { kind: "reset-var", name: settingName(c) };
}
