/**
 * SQL users and their passwords, cluster-wide (CockroachDB keeps them in
 * system.users): CREATE USER / ALTER USER ... WITH PASSWORD / DROP USER with
 * CockroachDB's validation messages, and the password check a secure node
 * runs at login. Only salted scrypt hashes are kept, never the password.
 */
import { randomBytes, scryptSync, timingSafeEqual } from "crypto";
import { SqlErrorLike } from "./sql-errors";

interface StoredUser {
  /** undefined: no password (certificate login only). */
  readonly hash?: Buffer;
  readonly salt?: Buffer;
}

/** PASSWORD 'x' sets, PASSWORD NULL removes, no PASSWORD clause leaves it as is (undefined). */
export type PasswordChange = string | null | undefined;

/** Cheap scrypt parameters: this is a simulator, logins must stay fast. */
const SCRYPT = { N: 1024, r: 8, p: 1 } as const;

const USERNAME_RE = /^[\p{Ll}\p{Lo}\p{N}_][\p{Ll}\p{Lo}\p{N}_.\-$]*$/u;

function checkName(name: string): void {
  if (!USERNAME_RE.test(name) || name.length > 63) {
    throw new SqlErrorLike(
      "42602",
      `username "${name}" invalid; usernames are case insensitive, must start with a letter, digit or underscore, ` +
        "may contain letters, digits, dashes, periods, or underscores, and must not exceed 63 characters",
    );
  }
  if (name === "public" || name === "none") throw new SqlErrorLike("42939", `role name "${name}" is reserved`);
}

function hashed(password: PasswordChange, previous: StoredUser): StoredUser {
  if (password === undefined) return previous;
  if (password === null) return {};
  if (password === "") throw new SqlErrorLike("28P01", "empty passwords are not permitted");
  const salt = randomBytes(16);
  return { salt, hash: scryptSync(password, salt, 32, SCRYPT) };
}

export class Users {
  /** root and admin always exist, without a password until one is set. */
  private readonly users = new Map<string, StoredUser>([
    ["root", {}],
    ["admin", {}],
  ]);

  create(name: string, ifNotExists: boolean, password: PasswordChange): void {
    checkName(name);
    if (this.users.has(name)) {
      if (ifNotExists) return;
      throw new SqlErrorLike("42710", `a role/user named ${name} already exists`);
    }
    this.users.set(name, hashed(password, {}));
  }

  alter(name: string, ifExists: boolean, password: PasswordChange): void {
    const user = this.users.get(name);
    if (user === undefined) {
      if (ifExists) return;
      throw new SqlErrorLike("42704", `role/user ${name} does not exist`);
    }
    this.users.set(name, hashed(password, user));
  }

  drop(names: readonly string[], ifExists: boolean): void {
    for (const name of names) {
      if (name === "root" || name === "admin" || name === "public") throw new SqlErrorLike("22023", `cannot drop special role ${name}`);
      if (!this.users.has(name) && !ifExists) throw new SqlErrorLike("42704", `role/user ${name} does not exist`);
    }
    for (const name of names) this.users.delete(name);
  }

  /** True when the user exists and has this password; false for a wrong password, an unknown user or no password. */
  check(name: string, password: string): boolean {
    const user = this.users.get(name);
    if (user?.hash === undefined || user.salt === undefined) return false;
    const candidate = scryptSync(password, user.salt, 32, SCRYPT);
    return timingSafeEqual(candidate, user.hash);
  }

  /** SHOW USERS: name and whether a password is set. */
  list(): { readonly username: string; readonly hasPassword: boolean }[] {
    return [...this.users.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([username, u]) => ({ username, hasPassword: u.hash !== undefined }));
  }
}
