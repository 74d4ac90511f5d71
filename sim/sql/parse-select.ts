/** SELECT grammar: select lists, FROM with joins and subqueries, clauses, UNION. */
import { Expr, FromItem, OrderItem, SelectCore, SelectItem, SelectStmt } from "./ast";
import { Cursor } from "./cursor";
import { unsupported } from "./errors";
import { ExprParser } from "./parse-expr";

export function parseSelect(c: Cursor): SelectStmt {
  const core = parseCore(c);
  const unions: { all: boolean; core: SelectCore }[] = [];
  while (c.acceptWords("union")) {
    const all = c.acceptWords("all");
    if (!all) c.acceptWords("distinct");
    unions.push({ all, core: parseCore(c) });
  }
  const x = exprs(c);
  const orderBy: OrderItem[] = [];
  if (c.acceptWords("order", "by")) {
    do orderBy.push(parseOrderItem(c, x));
    while (c.acceptOp(","));
  }
  let limit: Expr | undefined;
  let offset: Expr | undefined;
  for (;;) {
    if (c.acceptWords("limit")) limit = c.acceptWords("all") ? undefined : x.expr();
    else if (c.acceptWords("offset")) {
      offset = x.expr();
      if (!c.acceptWords("rows")) c.acceptWords("row");
    } else break;
  }
  return { kind: "select", core, unions, orderBy, limit, offset };
}

export function exprs(c: Cursor): ExprParser {
  return new ExprParser(c, parseSelect);
}

function parseOrderItem(c: Cursor, x: ExprParser): OrderItem {
  const expr = x.expr();
  const desc = c.acceptWords("desc");
  if (!desc) c.acceptWords("asc");
  let nullsFirst: boolean | undefined;
  if (c.acceptWords("nulls")) {
    if (c.acceptWords("first")) nullsFirst = true;
    else if (c.acceptWords("last")) nullsFirst = false;
    else c.fail();
  }
  return { expr, desc, nullsFirst };
}

function parseCore(c: Cursor): SelectCore {
  const x = exprs(c);
  c.expectWords("select");
  const distinct = c.acceptWords("distinct");
  if (!distinct) c.acceptWords("all");
  const items: SelectItem[] = [];
  do items.push(parseSelectItem(c, x));
  while (c.acceptOp(","));
  let from: FromItem | undefined;
  if (c.acceptWords("from")) {
    from = parseFromItem(c, x);
    while (c.acceptOp(",")) from = { kind: "join", type: "cross", left: from, right: parseFromItem(c, x) };
  }
  skipAsOfSystemTime(c, x);
  const where = c.acceptWords("where") ? x.expr() : undefined;
  const groupBy: Expr[] = [];
  if (c.acceptWords("group", "by")) {
    do groupBy.push(x.expr());
    while (c.acceptOp(","));
  }
  const having = c.acceptWords("having") ? x.expr() : undefined;
  return { kind: "select", distinct, items, from, where, groupBy, having };
}

/** `AS OF SYSTEM TIME <expr>`: historical reads are not simulated; the clause is accepted and ignored. */
function skipAsOfSystemTime(c: Cursor, x: ExprParser): void {
  if (c.acceptWords("as", "of", "system", "time")) x.expr();
}

export function parseSelectItem(c: Cursor, x: ExprParser): SelectItem {
  if (c.acceptOp("*")) return { expr: { kind: "star" } };
  const expr = x.expr();
  if (c.acceptWords("as")) return { expr, alias: c.ident(true) };
  if (c.isIdent() && !c.isWord("as")) return { expr, alias: c.ident() };
  return { expr };
}

function parseFromItem(c: Cursor, x: ExprParser): FromItem {
  let left = parseTableRef(c, x);
  for (;;) {
    const type = joinType(c);
    if (type === undefined) return left;
    const right = parseTableRef(c, x);
    if (type === "cross") {
      left = { kind: "join", type, left, right };
    } else if (c.acceptWords("using")) {
      c.expectOp("(");
      const using = [c.ident()];
      while (c.acceptOp(",")) using.push(c.ident());
      c.expectOp(")");
      left = { kind: "join", type, left, right, using };
    } else {
      c.expectWords("on");
      left = { kind: "join", type, left, right, on: x.expr() };
    }
  }
}

function joinType(c: Cursor): "inner" | "left" | "right" | "full" | "cross" | undefined {
  if (c.acceptWords("join") || c.acceptWords("inner", "join")) return "inner";
  if (c.acceptWords("cross", "join")) return "cross";
  for (const side of ["left", "right", "full"] as const) {
    if (c.acceptWords(side, "join") || c.acceptWords(side, "outer", "join")) return side;
  }
  return undefined;
}

function parseTableRef(c: Cursor, x: ExprParser): FromItem {
  if (c.acceptOp("(")) {
    // Either a subquery or a parenthesised join, as `cockroach node status` nests them.
    if (c.isWord("select")) {
      const select = parseSelect(c);
      c.expectOp(")");
      return { kind: "subquery", select, alias: parseAlias(c) };
    }
    const inner = parseFromItem(c, x);
    c.expectOp(")");
    const alias = parseAlias(c);
    return alias !== undefined && inner.kind === "subquery" ? { ...inner, alias } : inner;
  }
  const name = c.dottedName();
  return { kind: "table", name, alias: parseAlias(c) };
}

function parseAlias(c: Cursor): string | undefined {
  if (c.isWord("as") && !c.isWord("of", 1)) {
    c.next();
    const alias = c.ident(true);
    if (c.isOp("(")) throw unsupported("column aliases in FROM");
    return alias;
  }
  if (c.isIdent()) return c.ident();
  return undefined;
}
