/**
 * Tokenizer for the SQL dialect the simulator understands: identifiers
 * (bare ones lower-cased, "quoted" ones kept), numbers, 'strings' with ''
 * escapes and e'...' backslash escapes, $n placeholders, operators, and
 * -- / block comments.
 */
import { lexicalError } from "./errors";

export type TokenKind = "word" | "qword" | "number" | "string" | "param" | "op" | "eof";

export interface Token {
  readonly kind: TokenKind;
  /** Lower-cased for bare words; the decoded text for strings and quoted identifiers. */
  readonly value: string;
  /** The source text, as error messages quote it. */
  readonly raw: string;
  readonly pos: number;
}

const OPERATORS = [
  "->>",
  "::",
  "->",
  "<=",
  ">=",
  "<>",
  "!=",
  "||",
  "//",
  "~~",
  "!~",
  "=",
  "<",
  ">",
  "+",
  "-",
  "*",
  "/",
  "%",
  "(",
  ")",
  ",",
  ";",
  ".",
  "[",
  "]",
  "~",
  "@",
  "?",
  "&",
  "|",
  "^",
  "#",
  ":",
];

export function tokenize(sql: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < sql.length) {
    const c = sql[i];
    if (/\s/.test(c)) {
      i++;
    } else if (sql.startsWith("--", i)) {
      const end = sql.indexOf("\n", i);
      i = end < 0 ? sql.length : end + 1;
    } else if (sql.startsWith("/*", i)) {
      const end = sql.indexOf("*/", i + 2);
      if (end < 0) throw lexicalError("unterminated comment");
      i = end + 2;
    } else if ((c === "e" || c === "E") && sql[i + 1] === "'") {
      const [value, next] = readString(sql, i + 1, true);
      tokens.push({ kind: "string", value, raw: sql.slice(i, next), pos: i });
      i = next;
    } else if (c === "'") {
      const [value, next] = readString(sql, i, false);
      tokens.push({ kind: "string", value, raw: sql.slice(i, next), pos: i });
      i = next;
    } else if (c === '"') {
      const [value, next] = readQuotedIdent(sql, i);
      tokens.push({ kind: "qword", value, raw: sql.slice(i, next), pos: i });
      i = next;
    } else if (/[0-9]/.test(c) || (c === "." && /[0-9]/.test(sql[i + 1] ?? ""))) {
      const m = /^(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/.exec(sql.slice(i))!;
      tokens.push({ kind: "number", value: m[0], raw: m[0], pos: i });
      i += m[0].length;
    } else if (c === "$" && /[0-9]/.test(sql[i + 1] ?? "")) {
      const m = /^\$(\d+)/.exec(sql.slice(i))!;
      tokens.push({ kind: "param", value: m[1], raw: m[0], pos: i });
      i += m[0].length;
    } else if (/[A-Za-z_\u0080-\uffff]/.test(c)) {
      const m = /^[A-Za-z_\u0080-\uffff][A-Za-z0-9_$\u0080-\uffff]*/.exec(sql.slice(i))!;
      tokens.push({ kind: "word", value: m[0].toLowerCase(), raw: m[0], pos: i });
      i += m[0].length;
    } else {
      const op = OPERATORS.find((o) => sql.startsWith(o, i));
      if (op === undefined) throw lexicalError(`invalid character "${c}"`);
      tokens.push({ kind: "op", value: op, raw: op, pos: i });
      i += op.length;
    }
  }
  tokens.push({ kind: "eof", value: "", raw: "", pos: sql.length });
  return tokens;
}

function readString(sql: string, start: number, escapes: boolean): [string, number] {
  let out = "";
  let i = start + 1;
  for (;;) {
    if (i >= sql.length) throw lexicalError("unterminated string");
    const c = sql[i];
    if (c === "'") {
      if (sql[i + 1] === "'") {
        out += "'";
        i += 2;
        continue;
      }
      return [out, i + 1];
    }
    if (escapes && c === "\\" && i + 1 < sql.length) {
      const e = sql[i + 1];
      out += e === "n" ? "\n" : e === "t" ? "\t" : e === "r" ? "\r" : e;
      i += 2;
      continue;
    }
    out += c;
    i++;
  }
}

function readQuotedIdent(sql: string, start: number): [string, number] {
  let out = "";
  let i = start + 1;
  for (;;) {
    if (i >= sql.length) throw lexicalError("unterminated identifier");
    if (sql[i] === '"') {
      if (sql[i + 1] === '"') {
        out += '"';
        i += 2;
        continue;
      }
      return [out, i + 1];
    }
    out += sql[i++];
  }
}
