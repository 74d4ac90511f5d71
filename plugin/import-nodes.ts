/**
 * Pure: a running cluster's own description of its nodes (crdb_internal:
 * gossip for addresses, builds and localities; kv_node_status.args for each
 * process's command line) + the import ID -> the resource's inputs.
 *
 * kv_node_status.args is the process's os.Args (CockroachDB
 * pkg/server/status/recorder.go, `Args: os.Args` in GenerateNodeStatus), so
 * the start flags, --pid-file and --http-addr a node runs with come from the
 * node itself rather than from guesses.
 */
import type { ClusterVersionInputs, ConnectionInput, NodeInput, ProcessInput, SqlInput } from "../provider/core/types";
import type { ImportId } from "./import-id";

export interface DiscoveredNode {
  readonly nodeId: number;
  readonly sqlAddress: string;
  readonly build: string;
  readonly locality: string;
  readonly membership: string;
  /** The process's command line; empty when the cluster did not say. */
  readonly args: readonly string[];
}

/** Flags the provider itself passes to `cockroach start` (never part of startFlags). */
const OWN_FLAGS = new Set(["--background", "--pid-file"]);

export function inputsFromCluster(id: ImportId, nodes: readonly DiscoveredNode[], sql: SqlInput): ClusterVersionInputs {
  const members = nodes.filter((n) => n.membership === "" || n.membership === "active");
  if (members.length === 0) throw new Error("the cluster listed no active node");
  const builds = [...new Set(members.map((n) => n.build))];
  if (builds.length !== 1)
    throw new Error(
      `the nodes run different builds (${members.map((n) => `n${n.nodeId} ${n.build}`).join(", ")}): an upgrade is in progress; finish it (or roll it back) first, or declare the resource in the program and let the first \`pulumi up\` adopt it`,
    );
  return { version: builds[0], nodes: members.map((n) => nodeInput(id, n)), sql };
}

function nodeInput(id: ImportId, n: DiscoveredNode): NodeInput {
  const name = `n${n.nodeId}`;
  const cmd = commandLine(n.args);
  const host = hostOf(n.sqlAddress);
  const process = processInput(id, cmd, name);
  const binaryPath = binaryPathOf(id, cmd, name);
  const httpFlag = cmd.flags.get("--http-addr");
  return {
    name,
    connection: connectionInput(id, host),
    sqlAddr: n.sqlAddress,
    httpAddr: httpFlag ? withHost(httpFlag, host) : `${host}:8080`,
    ...(n.locality !== "" ? { locality: n.locality } : {}),
    binaryPath,
    process,
  };
}

interface CommandLine {
  readonly argv0: string;
  readonly subcommand: string;
  /** The last value of each `--flag value` / `--flag=value`. */
  readonly flags: ReadonlyMap<string, string>;
  /** Every argument after the subcommand except the provider's own flags, as the node was started. */
  readonly startFlags: readonly string[];
}

export function commandLine(args: readonly string[]): CommandLine {
  const flags = new Map<string, string>();
  const startFlags: string[] = [];
  for (let i = 2; i < args.length; i++) {
    const a = args[i];
    const eq = a.indexOf("=");
    const name = a.startsWith("--") && eq > 0 ? a.slice(0, eq) : a;
    // A flag without "=" takes the next argument as its value unless that is another flag (booleans like --insecure).
    const separate = a.startsWith("--") && eq < 0 && i + 1 < args.length && !args[i + 1].startsWith("-") && a !== "--background";
    const value = eq > 0 && a.startsWith("--") ? a.slice(eq + 1) : separate ? args[i + 1] : "";
    if (a.startsWith("--")) flags.set(name, value);
    if (!OWN_FLAGS.has(name)) startFlags.push(...(separate ? [a, args[i + 1]] : [a]));
    if (separate) i++;
  }
  return { argv0: args[0] ?? "", subcommand: args[1] ?? "", flags, startFlags };
}

function processInput(id: ImportId, cmd: CommandLine, name: string): ProcessInput {
  if (id.process.manager === "systemd") return { manager: "systemd", unit: id.process.unit, ...(id.process.sudo ? { useSudo: true } : {}) };
  if (cmd.subcommand !== "start")
    throw new Error(
      `node ${name} runs \`cockroach ${cmd.subcommand || "(unknown)"}\`${cmd.subcommand ? "" : " (the cluster did not report its command line)"}: manager=cockroach needs a node started with \`cockroach start\`; use manager=systemd&unit=<unit>`,
    );
  const pidFile = cmd.flags.get("--pid-file");
  if (!pidFile)
    throw new Error(`node ${name} was started without --pid-file: manager=cockroach needs one; use manager=systemd&unit=<unit>`);
  return { manager: "cockroach", pidFile, startFlags: cmd.startFlags };
}

function binaryPathOf(id: ImportId, cmd: CommandLine, name: string): string {
  const dir = dirnameOf(cmd.flags.get("--pid-file") ?? "");
  if (id.binaryPath !== undefined) {
    if (id.binaryPath.includes("{dir}") && dir === "") throw new Error(`binaryPath uses {dir} but node ${name} has no --pid-file`);
    return id.binaryPath.replace(/\{dir\}/g, dir).replace(/\{name\}/g, name);
  }
  if (cmd.argv0.startsWith("/")) return cmd.argv0;
  throw new Error(`node ${name} was started as "${cmd.argv0}" (not an absolute path): give binaryPath=<path> in the import ID`);
}

function connectionInput(id: ImportId, host: string): ConnectionInput | "local" {
  const c = id.connection;
  if (c.kind === "local") return "local";
  return { host, port: c.port, user: c.user, ...(c.agent !== undefined ? { agentSocketPath: c.agent } : {}) };
}

function hostOf(addr: string): string {
  return addr.slice(0, addr.lastIndexOf(":"));
}

/** ":8080" (listen on every interface) is reached at the node's SQL host. */
function withHost(addr: string, host: string): string {
  return addr.startsWith(":") ? `${host}${addr}` : addr;
}

function dirnameOf(p: string): string {
  const i = p.lastIndexOf("/");
  return i <= 0 ? (i === 0 ? "/" : "") : p.slice(0, i);
}
