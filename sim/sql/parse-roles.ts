/**
 * Users and roles: CREATE USER|ROLE [IF NOT EXISTS] name [[WITH] options],
 * ALTER USER|ROLE [IF EXISTS] name [[WITH] options], DROP USER|ROLE
 * [IF EXISTS] name [, ...], SHOW USERS|ROLES. Of the role options only
 * PASSWORD 'x' / PASSWORD NULL has an effect; LOGIN, NOLOGIN, VALID UNTIL
 * '...' and the privilege options are accepted and ignored.
 */
import { Expr, Statement } from "./ast";
import { Cursor } from "./cursor";
import { exprs } from "./parse-select";

/** A role name: an identifier (bare ones lower-cased) or a string literal. */
function roleName(c: Cursor): string {
  if (c.peek().kind === "string") return c.next().value;
  return c.ident(true);
}

/** The PASSWORD option's value, if the options set one (null for PASSWORD NULL). */
function roleOptions(c: Cursor): Expr | null | undefined {
  c.acceptWords("with");
  let password: Expr | null | undefined;
  while (!c.isEnd()) {
    if (c.acceptWords("password")) {
      password = c.acceptWords("null") ? null : exprs(c).expr();
    } else if (c.acceptWords("valid", "until")) {
      exprs(c).expr();
    } else if (c.peek().kind === "word") {
      c.next();
    } else {
      c.fail();
    }
  }
  return password;
}

/** After CREATE; null when the next word is not USER/ROLE. */
export function parseCreateRole(c: Cursor): Statement | null {
  if (!c.acceptWords("user") && !c.acceptWords("role")) return null;
  const ifNotExists = c.acceptWords("if", "not", "exists");
  const name = roleName(c);
  return { kind: "create-role", name, ifNotExists, password: roleOptions(c) };
}

export function parseAlterRole(c: Cursor): Statement {
  c.expectWords("alter");
  if (!c.acceptWords("user")) c.expectWords("role");
  const ifExists = c.acceptWords("if", "exists");
  const name = roleName(c);
  return { kind: "alter-role", name, ifExists, password: roleOptions(c) };
}

/** After DROP; null when the next word is not USER/ROLE. */
export function parseDropRole(c: Cursor): Statement | null {
  if (!c.acceptWords("user") && !c.acceptWords("role")) return null;
  const ifExists = c.acceptWords("if", "exists");
  const names = [roleName(c)];
  while (c.acceptOp(",")) names.push(roleName(c));
  return { kind: "drop-role", names, ifExists };
}
