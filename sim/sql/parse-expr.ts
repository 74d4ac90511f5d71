/**
 * Expression grammar, lowest to highest precedence (as PostgreSQL):
 *   OR, AND, NOT, IS, comparison, IN/BETWEEN/LIKE, other operators (|| -> ->>),
 *   + -, * / % //, unary + -, postfix :: casts, primary.
 */
import { SqlError, SqlType } from "../pgwire/types";
import { Expr, SelectStmt } from "./ast";
import { Cursor } from "./cursor";
import { arrayTypeOf } from "./arrays";

/** Injected by the statement parser so that subqueries can be parsed from expressions. */
export type SelectParser = (c: Cursor) => SelectStmt;

const COMPARISONS = new Set(["=", "<>", "!=", "<", ">", "<=", ">="]);

export class ExprParser {
  constructor(
    private readonly c: Cursor,
    private readonly parseSelect: SelectParser,
  ) {}

  expr(): Expr {
    let left = this.and();
    while (this.c.acceptWords("or")) left = { kind: "binary", op: "or", left, right: this.and() };
    return left;
  }

  private and(): Expr {
    let left = this.not();
    while (this.c.acceptWords("and")) left = { kind: "binary", op: "and", left, right: this.not() };
    return left;
  }

  private not(): Expr {
    if (this.c.acceptWords("not")) return { kind: "unary", op: "not", arg: this.not() };
    return this.is();
  }

  private is(): Expr {
    let e = this.comparison();
    while (this.c.isWord("is")) {
      this.c.next();
      const not = this.c.acceptWords("not");
      if (this.c.acceptWords("null")) e = { kind: "isnull", arg: e, not };
      else if (this.c.acceptWords("true")) e = { kind: "isbool", arg: e, value: true, not };
      else if (this.c.acceptWords("false")) e = { kind: "isbool", arg: e, value: false, not };
      else if (this.c.acceptWords("distinct", "from")) {
        const cmp: Expr = { kind: "binary", op: "is distinct from", left: e, right: this.comparison() };
        e = not ? { kind: "unary", op: "not", arg: cmp } : cmp;
      } else this.c.fail();
    }
    return e;
  }

  private comparison(): Expr {
    let left = this.predicate();
    for (;;) {
      const t = this.c.peek();
      if (t.kind !== "op" || !COMPARISONS.has(t.value)) return left;
      this.c.next();
      const op = t.value === "<>" ? "!=" : t.value;
      const quantifier = ["any", "some", "all"].find((w) => this.c.isWord(w) && this.c.isOp("(", 1));
      if (quantifier !== undefined) {
        this.c.next();
        left = { kind: "quantified", op, quantifier: quantifier === "all" ? "all" : "any", left, right: this.quantifiedOperand() };
        continue;
      }
      left = { kind: "binary", op, left, right: this.predicate() };
    }
  }

  /** The parenthesised array expression or subquery after ANY/SOME/ALL. */
  private quantifiedOperand(): Expr | SelectStmt {
    this.c.expectOp("(");
    const operand = this.c.isWord("select") ? this.parseSelect(this.c) : this.expr();
    this.c.expectOp(")");
    return operand;
  }

  private predicate(): Expr {
    let e = this.other();
    for (;;) {
      const negated = this.c.isWord("not") && ["in", "between", "like", "ilike"].some((w) => this.c.isWord(w, 1));
      if (negated) this.c.next();
      if (this.c.acceptWords("in")) e = { kind: "in", arg: e, list: this.inList(), not: negated };
      else if (this.c.acceptWords("between")) {
        this.c.acceptWords("symmetric");
        const low = this.other();
        this.c.expectWords("and");
        e = { kind: "between", arg: e, low, high: this.other(), not: negated };
      } else if (this.c.isWord("like") || this.c.isWord("ilike")) {
        const caseInsensitive = this.c.next().value === "ilike";
        e = { kind: "like", arg: e, pattern: this.other(), not: negated, caseInsensitive };
      } else if (this.c.isOp("~~") || this.c.isOp("!~")) {
        const op = this.c.next().value;
        e = { kind: "like", arg: e, pattern: this.other(), not: op === "!~", caseInsensitive: false };
      } else return e;
    }
  }

  private inList(): readonly Expr[] | SelectStmt {
    this.c.expectOp("(");
    if (this.c.isWord("select")) {
      const select = this.parseSelect(this.c);
      this.c.expectOp(")");
      return select;
    }
    const list = [this.expr()];
    while (this.c.acceptOp(",")) list.push(this.expr());
    this.c.expectOp(")");
    return list;
  }

  private other(): Expr {
    let left = this.additive();
    while (this.c.isOp("||") || this.c.isOp("->") || this.c.isOp("->>")) {
      left = { kind: "binary", op: this.c.next().value, left, right: this.additive() };
    }
    return left;
  }

  private additive(): Expr {
    let left = this.multiplicative();
    while (this.c.isOp("+") || this.c.isOp("-")) {
      left = { kind: "binary", op: this.c.next().value, left, right: this.multiplicative() };
    }
    return left;
  }

  private multiplicative(): Expr {
    let left = this.unary();
    while (["*", "/", "%", "//"].some((op) => this.c.isOp(op))) {
      left = { kind: "binary", op: this.c.next().value, left, right: this.unary() };
    }
    return left;
  }

  private unary(): Expr {
    if (this.c.isOp("-") || this.c.isOp("+")) {
      const op = this.c.next().value as "-" | "+";
      return { kind: "unary", op, arg: this.unary() };
    }
    return this.postfix();
  }

  private postfix(): Expr {
    let e = this.primary();
    for (;;) {
      if (this.c.acceptOp("::")) e = { kind: "cast", arg: e, type: parseType(this.c) };
      else if (this.c.acceptOp("[")) {
        const index = this.expr();
        this.c.expectOp("]");
        e = { kind: "subscript", arg: e, index };
      } else return e;
    }
  }

  private primary(): Expr {
    const t = this.c.peek();
    switch (t.kind) {
      case "number":
        this.c.next();
        return numberLiteral(t.value);
      case "string":
        this.c.next();
        return { kind: "literal", value: t.value, type: "text" };
      case "param":
        this.c.next();
        return { kind: "param", index: Number(t.value) };
      case "op":
        if (t.value === "(") return this.parenthesized();
        return this.c.fail();
      case "word":
        return this.keywordOrName();
      case "qword":
        return this.nameOrCall();
      default:
        return this.c.fail();
    }
  }

  private parenthesized(): Expr {
    this.c.expectOp("(");
    if (this.c.isWord("select")) {
      const select = this.parseSelect(this.c);
      this.c.expectOp(")");
      return { kind: "subquery", select };
    }
    const e = this.expr();
    this.c.expectOp(")");
    return e;
  }

  private keywordOrName(): Expr {
    const c = this.c;
    const w = c.peek().value;
    if (c.acceptWords("true")) return { kind: "literal", value: true, type: "bool" };
    if (c.acceptWords("false")) return { kind: "literal", value: false, type: "bool" };
    if (c.acceptWords("null")) return { kind: "literal", value: null, type: "text" };
    if (w === "case") return this.caseExpr();
    if (c.acceptWords("cast")) {
      c.expectOp("(");
      const arg = this.expr();
      c.expectWords("as");
      const type = parseType(c);
      c.expectOp(")");
      return { kind: "cast", arg, type };
    }
    if (w === "array" && c.isOp("[", 1)) {
      c.next();
      c.next();
      const elements: Expr[] = [];
      if (!c.isOp("]")) {
        elements.push(this.expr());
        while (c.acceptOp(",")) elements.push(this.expr());
      }
      c.expectOp("]");
      return { kind: "array", elements };
    }
    if (c.acceptWords("exists")) {
      c.expectOp("(");
      const select = this.parseSelect(c);
      c.expectOp(")");
      return { kind: "exists", select, not: false };
    }
    if (["current_timestamp", "localtimestamp", "current_user", "session_user", "current_date"].includes(w) && !c.isOp("(", 1)) {
      c.next();
      return {
        kind: "func",
        name: w === "current_timestamp" || w === "current_date" ? "now" : w === "localtimestamp" ? "localtimestamp" : "current_user",
        args: [],
        star: false,
        distinct: false,
      };
    }
    if (TYPED_LITERAL_WORDS.has(w) && c.peek(1).kind === "string") {
      const type = parseType(c);
      const text = c.next().value;
      return { kind: "cast", arg: { kind: "literal", value: text, type: "text" }, type };
    }
    return this.nameOrCall();
  }

  private caseExpr(): Expr {
    const c = this.c;
    c.expectWords("case");
    const operand = c.isWord("when") ? undefined : this.expr();
    const whens: { when: Expr; then: Expr }[] = [];
    while (c.acceptWords("when")) {
      const when = this.expr();
      c.expectWords("then");
      whens.push({ when, then: this.expr() });
    }
    if (whens.length === 0) c.fail();
    const elseExpr = c.acceptWords("else") ? this.expr() : undefined;
    c.expectWords("end");
    return { kind: "case", operand, whens, else: elseExpr };
  }

  private nameOrCall(): Expr {
    const c = this.c;
    // Function names may be reserved words (left(), right()) when a "(" follows.
    const first = c.peek().kind === "word" && c.isOp("(", 1) ? (c.next().value as string) : c.ident();
    const parts = [first];
    while (c.isOp(".")) {
      if (c.isOp("*", 1)) {
        c.next();
        c.next();
        return { kind: "star", table: parts[parts.length - 1] };
      }
      c.next();
      parts.push(c.ident(true));
    }
    if (!c.acceptOp("(")) return { kind: "column", parts };
    return this.callArgs(parts.join("."));
  }

  private callArgs(name: string): Expr {
    const c = this.c;
    if (c.acceptOp("*")) {
      c.expectOp(")");
      return { kind: "func", name, args: [], star: true, distinct: false };
    }
    const distinct = c.acceptWords("distinct");
    c.acceptWords("all");
    const args: Expr[] = [];
    if (!c.isOp(")")) {
      args.push(this.expr());
      while (c.acceptOp(",")) args.push(this.expr());
    }
    c.expectOp(")");
    return { kind: "func", name, args, star: false, distinct };
  }
}

const TYPED_LITERAL_WORDS = new Set([
  "interval",
  "timestamp",
  "timestamptz",
  "date",
  "decimal",
  "jsonb",
  "json",
  "uuid",
  "bytes",
  "bool",
  "boolean",
  "int",
  "int8",
  "string",
  "text",
  "float",
]);

function numberLiteral(text: string): Expr {
  if (/^\d+$/.test(text)) {
    const v = BigInt(text);
    if (v <= 9223372036854775807n) return { kind: "literal", value: v, type: "int8", text };
  }
  return { kind: "literal", value: text, type: "numeric", text };
}

const TYPE_WORDS: Readonly<Record<string, SqlType>> = {
  int: "int8",
  int8: "int8",
  int4: "int8",
  int2: "int8",
  int64: "int8",
  integer: "int8",
  bigint: "int8",
  smallint: "int8",
  serial: "int8",
  oid: "int8",
  decimal: "numeric",
  numeric: "numeric",
  dec: "numeric",
  string: "text",
  text: "text",
  varchar: "text",
  char: "text",
  character: "text",
  name: "text",
  regclass: "text",
  float: "float8",
  float8: "float8",
  float4: "float8",
  real: "float8",
  double: "float8",
  bool: "bool",
  boolean: "bool",
  timestamp: "timestamp",
  timestamptz: "timestamptz",
  date: "timestamp",
  jsonb: "jsonb",
  json: "jsonb",
  bytes: "bytea",
  bytea: "bytea",
  blob: "bytea",
  interval: "interval",
  uuid: "uuid",
};

/** Parses a type name such as INT8, DECIMAL(10,2), VARCHAR(20), DOUBLE PRECISION, TIMESTAMP WITH TIME ZONE. */
export function parseType(c: Cursor): SqlType {
  const t = c.peek();
  if (t.kind !== "word" && t.kind !== "qword") return c.fail();
  c.next();
  let type = TYPE_WORDS[t.value];
  if (type === undefined) throw new SqlError("42704", `type "${t.value}" does not exist`);
  if (t.value === "double") c.acceptWords("precision");
  if (t.value === "character") c.acceptWords("varying");
  if (c.isOp("(")) c.skipParens();
  if (type === "timestamp") {
    if (c.acceptWords("with", "time", "zone")) type = "timestamptz";
    else c.acceptWords("without", "time", "zone");
  }
  if (c.isOp("[") && c.isOp("]", 1)) {
    c.next();
    c.next();
    return arrayTypeOf(type);
  }
  return type;
}
