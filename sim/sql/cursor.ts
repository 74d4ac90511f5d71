/** A cursor over the token list with the small vocabulary the parsers share. */
import { SqlError } from "../pgwire/types";
import { syntaxError } from "./errors";
import { Token, tokenize } from "./lexer";

/** Words that cannot be bare identifiers or implicit aliases (a subset of CockroachDB's reserved keywords). */
export const RESERVED = new Set(
  (
    "all and any array as asc between both case cast check collate column constraint create cross current_date current_timestamp " +
    "current_user default desc distinct do else end except exists false fetch for foreign from full group having ilike in inner " +
    "intersect into is join lateral leading left like limit localtimestamp natural not null offset on only or order outer primary " +
    "references returning right select session_user set some table then to true union unique using values when where window with"
  ).split(" "),
);

export class Cursor {
  private index = 0;
  readonly tokens: readonly Token[];

  constructor(readonly sql: string) {
    this.tokens = tokenize(sql);
  }

  peek(ahead = 0): Token {
    return this.tokens[Math.min(this.index + ahead, this.tokens.length - 1)];
  }

  next(): Token {
    const t = this.peek();
    if (this.index < this.tokens.length - 1) this.index++;
    return t;
  }

  get position(): number {
    return this.index;
  }

  /** Is the token `ahead` positions away the bare word `w`? */
  isWord(w: string, ahead = 0): boolean {
    const t = this.peek(ahead);
    return t.kind === "word" && t.value === w;
  }

  isOp(op: string, ahead = 0): boolean {
    const t = this.peek(ahead);
    return t.kind === "op" && t.value === op;
  }

  isEnd(): boolean {
    return this.peek().kind === "eof" || this.isOp(";");
  }

  /** Consumes the given words if they all come next, in order. */
  acceptWords(...words: string[]): boolean {
    if (!words.every((w, i) => this.isWord(w, i))) return false;
    for (let i = 0; i < words.length; i++) this.next();
    return true;
  }

  expectWords(...words: string[]): void {
    for (const w of words) if (!this.acceptWords(w)) this.fail();
  }

  acceptOp(op: string): boolean {
    if (!this.isOp(op)) return false;
    this.next();
    return true;
  }

  expectOp(op: string): void {
    if (!this.acceptOp(op)) this.fail();
  }

  /** An identifier: a quoted one, or a bare word that is not reserved (unless `allowReserved`). */
  ident(allowReserved = false): string {
    const t = this.peek();
    if (t.kind === "qword" || (t.kind === "word" && (allowReserved || !RESERVED.has(t.value)))) {
      this.next();
      return t.value;
    }
    return this.fail();
  }

  isIdent(ahead = 0): boolean {
    const t = this.peek(ahead);
    return t.kind === "qword" || (t.kind === "word" && !RESERVED.has(t.value));
  }

  /** A dotted name such as `db.public.t` or a cluster setting `server.shutdown.drain_wait`. */
  dottedName(allowReserved = false): string[] {
    const parts = [this.ident(allowReserved)];
    while (this.isOp(".") && (this.peek(1).kind === "word" || this.peek(1).kind === "qword")) {
      this.next();
      parts.push(this.ident(true));
    }
    return parts;
  }

  /** Skips a balanced parenthesised group starting at "(". */
  skipParens(): void {
    this.expectOp("(");
    let depth = 1;
    while (depth > 0) {
      const t = this.next();
      if (t.kind === "eof") this.fail();
      if (t.kind === "op" && t.value === "(") depth++;
      if (t.kind === "op" && t.value === ")") depth--;
    }
  }

  /** Skips tokens up to the end of the statement. */
  skipToEnd(): void {
    while (!this.isEnd()) this.next();
  }

  fail(extra?: string): never {
    const t = this.peek();
    // CockroachDB quotes the scanned token: identifiers and keywords lower-cased, strings without quotes.
    const shown = t.kind === "eof" ? "EOF" : t.kind === "word" || t.kind === "qword" || t.kind === "string" ? t.value : t.raw;
    throw syntaxError(this.sql, t.pos, shown, extra);
  }

  error(message: string, code = "42601"): SqlError {
    return new SqlError(code, message);
  }
}
