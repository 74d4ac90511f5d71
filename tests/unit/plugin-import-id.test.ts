/** The import ID (plugin/import-id.ts) and the inputs it yields from a cluster's own node list (plugin/import-nodes.ts). */
import * as assert from "assert";
import { formatImportId, isImportId, parseImportId } from "../../plugin/import-id";
import { commandLine, inputsFromCluster, type DiscoveredNode } from "../../plugin/import-nodes";

const SIM = "crdb://root@127.0.200.11:26257,127.0.200.12:26257?sslmode=disable&connection=local&binaryPath={dir}/bin/cockroach";

function simNode(id: number, build = "v23.1.11"): DiscoveredNode {
  const dir = `/tmp/c/n${id}`;
  return {
    nodeId: id,
    sqlAddress: `127.0.200.1${id}:26257`,
    build,
    locality: id === 1 ? "region=a" : "",
    membership: "active",
    args: [
      "cockroach",
      "start",
      "--pid-file",
      `${dir}/cockroach.pid`,
      "--insecure",
      `--listen-addr=127.0.200.1${id}:26257`,
      `--http-addr=127.0.200.1${id}:8080`,
      `--store=${dir}/store`,
    ],
  };
}

describe("plugin/import-id", () => {
  it("parses the SQL user, the addresses and every parameter", () => {
    const id = parseImportId(SIM);
    assert.deepStrictEqual(id, {
      user: "root",
      addrs: ["127.0.200.11:26257", "127.0.200.12:26257"],
      insecure: true,
      certsDir: undefined,
      connection: { kind: "local" },
      process: { manager: "cockroach" },
      binaryPath: "{dir}/bin/cockroach",
    });
    const ssh = parseImportId(
      "crdb://admin@10.0.0.1:26257?certsDir=/etc/cockroach/certs&connection=ssh&sshUser=ubuntu&sshPort=2222&manager=systemd&unit=cockroach.service&sudo=true",
    );
    assert.deepStrictEqual(ssh.connection, { kind: "ssh", user: "ubuntu", port: 2222, agent: undefined });
    assert.deepStrictEqual(ssh.process, { manager: "systemd", unit: "cockroach.service", sudo: true });
    assert.strictEqual(ssh.insecure, false);
  });

  it("formats back to an ID that parses to the same thing", () => {
    for (const text of [SIM, "crdb://u@h:1?certsDir=/c&connection=ssh&sshUser=x&sshPort=22&sshAgent=/run/a.sock&manager=systemd&unit=c"]) {
      const once = formatImportId(parseImportId(text));
      assert.deepStrictEqual(parseImportId(once), parseImportId(text));
      assert.strictEqual(formatImportId(parseImportId(once)), once);
    }
    assert.match(formatImportId(parseImportId(SIM)), /binaryPath=\{dir\}\/bin\/cockroach$/);
  });

  it("refuses, naming the part: a password, a missing user, a bad address, an unknown parameter, a secure cluster without certs", () => {
    const cases: [string, RegExp][] = [
      ["crdb://root:pw@h:26257?sslmode=disable", /passwords never go into an ID/],
      ["crdb://h:26257?sslmode=disable", /names no SQL user/],
      ["crdb://root@h?sslmode=disable", /address "h" must be host:port/],
      ["crdb://root@h:1?sslmode=disable&password=x", /unknown parameter "password"/],
      ["crdb://root@h:1", /a secure cluster needs certsDir/],
      ["crdb://root@h:1?sslmode=disable&manager=systemd", /needs unit=/],
      ["postgres://root@h:1", /must start with crdb:\/\//],
    ];
    for (const [text, why] of cases) assert.throws(() => parseImportId(text), why, text);
    assert.strictEqual(isImportId("crdb-0123abcd"), false);
  });
});

describe("plugin/import-nodes", () => {
  it("names nodes n<id> and takes addresses, pid file and start flags from each node's command line", () => {
    const inputs = inputsFromCluster(parseImportId(SIM), [simNode(1), simNode(2)], { user: "root", insecure: true });
    assert.strictEqual(inputs.version, "v23.1.11");
    assert.deepStrictEqual(inputs.nodes[0], {
      name: "n1",
      connection: "local",
      sqlAddr: "127.0.200.11:26257",
      httpAddr: "127.0.200.11:8080",
      locality: "region=a",
      binaryPath: "/tmp/c/n1/bin/cockroach",
      process: {
        manager: "cockroach",
        pidFile: "/tmp/c/n1/cockroach.pid",
        startFlags: ["--insecure", "--listen-addr=127.0.200.11:26257", "--http-addr=127.0.200.11:8080", "--store=/tmp/c/n1/store"],
      },
    });
    assert.strictEqual(inputs.nodes[1].locality, undefined);
  });

  it("refuses a cluster mid-upgrade, and a node it cannot describe, saying what to do", () => {
    assert.throws(
      () => inputsFromCluster(parseImportId(SIM), [simNode(1), simNode(2, "v23.1.12")], {}),
      /n1 v23\.1\.11, n2 v23\.1\.12.*an upgrade is in progress/,
    );
    const noPath = parseImportId("crdb://root@h:1?sslmode=disable");
    assert.throws(() => inputsFromCluster(noPath, [simNode(1)], {}), /started as "cockroach".*give binaryPath=/);
    const noArgs = { ...simNode(1), args: [] };
    assert.throws(() => inputsFromCluster(parseImportId(SIM), [noArgs], {}), /did not report its command line/);
  });

  it("reads `--flag value` and `--flag=value` alike, keeping boolean flags", () => {
    const c = commandLine(["/usr/bin/cockroach", "start", "--insecure", "--http-addr", ":8080", "--pid-file=/p/pid", "--join=a,b"]);
    assert.strictEqual(c.flags.get("--http-addr"), ":8080");
    assert.strictEqual(c.flags.get("--pid-file"), "/p/pid");
    assert.deepStrictEqual(c.startFlags, ["--insecure", "--http-addr", ":8080", "--join=a,b"]);
  });
});
