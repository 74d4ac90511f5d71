/**
 * Session setup per gateway version (allow_unsafe_internals only where it
 * exists; the virtual cluster the session landed in) and the privilege
 * advice added to a 42501 that is a missing privilege, not the v26.1 guard.
 */
import * as assert from "assert";
import { inApplicationCluster, prepareSession, virtualClusterRefusal } from "../../provider/cluster/sql-session";
import { withPrivilegeAdvice } from "../../provider/cluster/sql-privileges";

type Answer = { rows: Record<string, unknown>[] } | { code: string; message: string };

/** A pg-like client answering by statement text; records what it was sent. */
function client(answers: Record<string, Answer>): { sent: string[]; query(text: string): Promise<{ rows: Record<string, unknown>[] }> } {
  const sent: string[] = [];
  return {
    sent,
    query: async (text: string) => {
      sent.push(text);
      const a = answers[text];
      if (a === undefined) throw new Error(`unexpected ${text}`);
      if ("code" in a) throw Object.assign(new Error(a.message), { code: a.code });
      return a;
    },
  };
}

const unknownVar = (name: string): Answer => ({ code: "42704", message: `unrecognized configuration parameter "${name}"` });

describe("provider/sql-session", () => {
  it("v25.3 (no variable, no virtual clusters before v23.2 either): tolerated", async () => {
    const c = client({
      "SET allow_unsafe_internals = true": unknownVar("allow_unsafe_internals"),
      "SHOW virtual_cluster_name": unknownVar("virtual_cluster_name"),
    });
    assert.deepStrictEqual(await prepareSession(c), { unsafeInternalsSet: false });
  });

  it("v26.1 in the system virtual cluster: the variable is set", async () => {
    const c = client({
      "SET allow_unsafe_internals = true": { rows: [] },
      "SHOW virtual_cluster_name": { rows: [{ virtual_cluster_name: "system" }] },
    });
    const facts = await prepareSession(c);
    assert.deepStrictEqual(facts, { unsafeInternalsSet: true, virtualCluster: "system" });
    assert.strictEqual(inApplicationCluster(facts), false);
  });

  it("a session in an application virtual cluster is recognised, and the refusal names the option", async () => {
    const c = client({
      "SET allow_unsafe_internals = true": { rows: [] },
      "SHOW virtual_cluster_name": { rows: [{ virtual_cluster_name: "main" }] },
    });
    assert.strictEqual(inApplicationCluster(await prepareSession(c)), true);
    assert.match(
      virtualClusterRefusal("n1", "main", "password authentication failed").message,
      /virtual cluster "main".*options=-ccluster=system/,
    );
  });

  it("other errors propagate", async () => {
    const c = client({ "SET allow_unsafe_internals = true": { code: "42501", message: "permission denied" } });
    await assert.rejects(prepareSession(c), /permission denied/);
  });

  it("adds what to grant to a missing privilege, not to the guard's refusal or other errors", () => {
    assert.match(
      withPrivilegeAdvice("user bob does not have VIEWCLUSTERMETADATA privilege", "42501", "bob"),
      /GRANT SYSTEM VIEWCLUSTERMETADATA.*TO bob/,
    );
    const guard = "Access to crdb_internal and system is restricted.";
    assert.strictEqual(withPrivilegeAdvice(guard, "42501", "bob"), guard);
    assert.strictEqual(withPrivilegeAdvice("relation does not exist", "42P01", "bob"), "relation does not exist");
  });
});
