/**
 * Users and passwords as the simulated cluster keeps them (sim/fabric/users)
 * and the user statements the SQL parser accepts: CockroachDB's messages
 * and SQLSTATEs for duplicates, unknown users, special roles and empty
 * passwords; salted hashes only.
 */
import * as assert from "assert";
import { Users } from "../../sim/fabric/users";
import { parseStatements } from "../../sim/sql";

describe("sim/fabric/users", () => {
  it("knows root and admin from the start, without passwords", () => {
    const u = new Users();
    assert.deepStrictEqual(u.list(), [
      { username: "admin", hasPassword: false },
      { username: "root", hasPassword: false },
    ]);
    assert.strictEqual(u.check("root", ""), false);
  });

  it("checks passwords set by CREATE and ALTER, and forgets them with PASSWORD NULL", () => {
    const u = new Users();
    u.create("bob", false, "s3cret");
    assert.strictEqual(u.check("bob", "s3cret"), true);
    assert.strictEqual(u.check("bob", "S3cret"), false);
    u.alter("bob", false, "n3w");
    assert.strictEqual(u.check("bob", "s3cret"), false);
    assert.strictEqual(u.check("bob", "n3w"), true);
    u.alter("bob", false, undefined);
    assert.strictEqual(u.check("bob", "n3w"), true, "ALTER without PASSWORD keeps it");
    u.alter("bob", false, null);
    assert.strictEqual(u.check("bob", "n3w"), false);
    assert.strictEqual(u.check("nobody", "x"), false);
  });

  it("refuses duplicates, unknown users, special roles and empty passwords with CockroachDB's messages", () => {
    const u = new Users();
    u.create("bob", false, undefined);
    const refuses = (fn: () => void, code: string, message: string): void =>
      assert.throws(fn, (e: Error & { code?: string }) => e.code === code && e.message === message);
    refuses(() => u.create("bob", false, undefined), "42710", "a role/user named bob already exists");
    u.create("bob", true, undefined);
    refuses(() => u.alter("carol", false, "x"), "42704", "role/user carol does not exist");
    u.alter("carol", true, "x");
    refuses(() => u.drop(["root"], false), "22023", "cannot drop special role root");
    refuses(() => u.drop(["carol"], false), "42704", "role/user carol does not exist");
    refuses(() => u.create("dave", false, ""), "28P01", "empty passwords are not permitted");
    refuses(() => u.create("public", false, undefined), "42939", 'role name "public" is reserved');
    u.drop(["bob", "carol"], true);
    assert.deepStrictEqual(
      u.list().map((x) => x.username),
      ["admin", "root"],
    );
  });
});

describe("sim/sql: user statements", () => {
  it("parses CREATE/ALTER/DROP USER and ROLE with their options, and SHOW USERS", () => {
    const kinds = parseStatements(
      "CREATE USER IF NOT EXISTS bob WITH LOGIN PASSWORD 'x'; CREATE ROLE ops; ALTER USER bob WITH PASSWORD NULL; " +
        "ALTER ROLE IF EXISTS ops NOLOGIN; DROP USER IF EXISTS bob, ops; SHOW USERS",
    ).map((s) => s.stmt);
    assert.deepStrictEqual(kinds[0], {
      kind: "create-role",
      name: "bob",
      ifNotExists: true,
      password: { kind: "literal", value: "x", type: "text" },
    });
    assert.deepStrictEqual(kinds[1], { kind: "create-role", name: "ops", ifNotExists: false, password: undefined });
    assert.deepStrictEqual(kinds[2], { kind: "alter-role", name: "bob", ifExists: false, password: null });
    assert.deepStrictEqual(kinds[3], { kind: "alter-role", name: "ops", ifExists: true, password: undefined });
    assert.deepStrictEqual(kinds[4], { kind: "drop-role", names: ["bob", "ops"], ifExists: true });
    assert.deepStrictEqual(kinds[5], { kind: "show-users" });
  });
});
