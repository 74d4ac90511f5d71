/**
 * One connection object serves @pulumi/command's remote resources and our
 * ClusterVersion nodes. The compile-time half of this file stops compiling
 * if the two shapes drift apart; the run-time half shows that the provider's
 * input check accepts the very object typed as @pulumi/command's
 * `types.input.remote.ConnectionArgs`, field for field.
 */
import * as assert from "assert";
import type * as command from "@pulumi/command";
import { checkInputs } from "../../provider/spec/parse";
import type { ClusterVersionArgs, ConnectionArgs, NodeArgs } from "../../sdk";

type TheirConnection = command.types.input.remote.ConnectionArgs;
type OurNodeConnection = NonNullable<NodeArgs["connection"]>;

// --- compile time -----------------------------------------------------------

/** Only callable with a type that both extends and is extended by the other. */
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function assertType<T extends true>(): T | undefined {
  return undefined;
}

// Every field of ours is one of theirs, and theirs all exist in ours except
// `proxy` (bastion hosts), which ClusterVersion refuses at check time.
assertType<Equal<Exclude<keyof ConnectionArgs, keyof TheirConnection>, never>>();
assertType<Equal<Exclude<keyof TheirConnection, keyof ConnectionArgs>, "proxy">>();

// The same object, typed as theirs, is accepted where ours is expected...
function usedByClusterVersion(connection: OurNodeConnection): ClusterVersionArgs {
  return {
    version: "v23.1.12",
    nodes: [
      {
        name: "n1",
        connection,
        sqlAddr: "10.0.0.1:26257",
        httpAddr: "10.0.0.1:8080",
        binaryPath: "/usr/local/bin/cockroach",
        process: { manager: "systemd", unit: "cockroach.service" },
      },
    ],
  };
}
// ...and ours where theirs is expected.
function usedByRemoteCommand(connection: TheirConnection): TheirConnection {
  return connection;
}
function sharedBothWays(theirs: TheirConnection, ours: ConnectionArgs): void {
  usedByClusterVersion(theirs);
  usedByRemoteCommand(ours);
}

// Field by field, the value types agree (ours may be wider, never narrower).
type FieldsAccept = { [K in keyof ConnectionArgs]-?: TheirConnection[K] extends ConnectionArgs[K] ? true : false };
assertType<Equal<FieldsAccept[keyof FieldsAccept], true>>();

// --- run time ---------------------------------------------------------------

describe("connection shared with @pulumi/command", () => {
  const hostKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIK8+9PvUCP+IWnbnM8onJfRE8q3575gOrjdQYGWqNrEy";
  const privateKey = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n";

  it("is accepted, every field, by ClusterVersion's input check and normalised with the same meaning", () => {
    const theirs: TheirConnection = {
      host: "10.0.0.1",
      port: 2222,
      user: "ubuntu",
      privateKey,
      privateKeyPassword: "pass phrase",
      password: "pw",
      agentSocketPath: "/run/user/1000/ssh-agent.sock",
      dialErrorLimit: 5,
      perDialTimeout: 20,
      hostKey,
    };
    const args = usedByClusterVersion(theirs);
    sharedBothWays(theirs, theirs as ConnectionArgs);
    const { failures } = checkInputs({}, args as never);
    assert.deepStrictEqual(failures, []);
  });

  it("refuses the one field ClusterVersion does not support (proxy), naming it, without echoing secrets", () => {
    const theirs: TheirConnection = { host: "10.0.0.1", privateKey, hostKey, proxy: { host: "bastion" } };
    const { failures } = checkInputs({}, usedByClusterVersion(theirs) as never);
    assert.strictEqual(failures.length, 1, JSON.stringify(failures));
    assert.match(failures[0].property, /nodes\[0\]\.connection/);
    assert.match(failures[0].reason, /proxy/);
    assert.ok(!JSON.stringify(failures).includes("b3BlbnNzaC1rZXktdjEAAAAA"));
  });
});
