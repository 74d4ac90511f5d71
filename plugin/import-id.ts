/**
 * The import ID: how to reach a running cluster, in one URL that holds no
 * secret (resource IDs are stored and printed in clear text).
 *
 *   crdb://<sqlUser>@<host:port>[,<host:port>...]?<params>
 *
 * The addresses are SQL (pgwire) addresses of any nodes; the first that
 * answers is asked for the rest (crdb_internal). Params:
 *   sslmode=disable          an insecure cluster (sql.insecure); otherwise
 *   certsDir=<dir>           secure: the certs directory on the nodes (sql.certsDir),
 *                            also read here for ca.crt, client.<user>.crt/.key
 *   connection=local|ssh     how commands reach the hosts (default local)
 *   sshUser, sshPort, sshAgent   for ssh: user (root), port (22), agent socket
 *                            (keys never go into an ID; the program may give them later)
 *   manager=cockroach|systemd    how the process runs (default cockroach: the start
 *                            flags and pid file are read from the node's command line)
 *   unit=<name>, sudo=true   for systemd
 *   binaryPath=<path>        the cockroach binary on every node; `{dir}` is the
 *                            directory of the node's --pid-file, `{name}` the node
 *                            name. Default: the node's argv[0] when absolute.
 *
 * Nodes are named n<node ID>.
 */

export interface ImportId {
  readonly user: string;
  readonly addrs: readonly string[];
  readonly insecure: boolean;
  readonly certsDir?: string;
  readonly connection:
    { readonly kind: "local" } | { readonly kind: "ssh"; readonly user: string; readonly port: number; readonly agent?: string };
  readonly process: { readonly manager: "cockroach" } | { readonly manager: "systemd"; readonly unit: string; readonly sudo: boolean };
  readonly binaryPath?: string;
}

const SCHEME = "crdb://";
const PARAMS = ["sslmode", "certsDir", "connection", "sshUser", "sshPort", "sshAgent", "manager", "unit", "sudo", "binaryPath"];

/** Whether an ID is an import ID (the IDs `create` gives are `crdb-<hash>`). */
export function isImportId(id: string): boolean {
  return id.startsWith(SCHEME);
}

/** Parses an import ID; throws naming the part that is wrong and what is allowed. */
export function parseImportId(id: string): ImportId {
  const fail = (why: string): never => {
    throw new Error(
      `import ID ${JSON.stringify(id)}: ${why} (form: crdb://<user>@<host:port>[,<host:port>...]?sslmode=disable&binaryPath=<path>; see the README, "Import ID")`,
    );
  };
  if (!isImportId(id)) fail(`must start with ${SCHEME}`);
  const rest = id.slice(SCHEME.length);
  const q = rest.indexOf("?");
  const authority = (q < 0 ? rest : rest.slice(0, q)).replace(/\/$/, "");
  const params = new URLSearchParams(q < 0 ? "" : rest.slice(q + 1));
  for (const k of params.keys()) if (!PARAMS.includes(k)) fail(`unknown parameter "${k}" (allowed: ${PARAMS.join(", ")})`);
  const at = authority.lastIndexOf("@");
  if (at < 0) fail("names no SQL user (<user>@)");
  const user = decodeURIComponent(authority.slice(0, at));
  if (user === "" || user.includes(":")) fail("the user must be a plain name: passwords never go into an ID");
  const addrs = authority
    .slice(at + 1)
    .split(",")
    .filter((a) => a !== "");
  if (addrs.length === 0) fail("names no SQL address");
  for (const a of addrs) if (!/^[^\s:/]+:\d{1,5}$/.test(a)) fail(`address "${a}" must be host:port`);
  const sslmode = params.get("sslmode");
  if (sslmode !== null && !["disable", "require", "verify-full"].includes(sslmode)) fail(`sslmode must be disable, require or verify-full`);
  const insecure = sslmode === "disable";
  const certsDir = params.get("certsDir") ?? undefined;
  if (!insecure && certsDir === undefined) fail("a secure cluster needs certsDir=<dir> (or sslmode=disable for an insecure one)");
  return {
    user,
    addrs,
    insecure,
    certsDir,
    connection: connectionOf(params, fail),
    process: processOf(params, fail),
    binaryPath: params.get("binaryPath") ?? undefined,
  };
}

function connectionOf(params: URLSearchParams, fail: (why: string) => never): ImportId["connection"] {
  const kind = params.get("connection") ?? "local";
  if (kind === "local") return { kind };
  if (kind !== "ssh") return fail(`connection must be local or ssh (got "${kind}")`);
  const port = Number(params.get("sshPort") ?? "22");
  if (!Number.isInteger(port) || port < 1 || port > 65535) fail("sshPort must be a port number");
  return { kind, user: params.get("sshUser") ?? "root", port, agent: params.get("sshAgent") ?? undefined };
}

function processOf(params: URLSearchParams, fail: (why: string) => never): ImportId["process"] {
  const manager = params.get("manager") ?? "cockroach";
  if (manager === "cockroach") return { manager };
  if (manager !== "systemd") return fail(`manager must be cockroach or systemd (got "${manager}")`);
  const unit = params.get("unit");
  if (!unit) return fail("manager=systemd needs unit=<name>");
  return { manager, unit, sudo: params.get("sudo") === "true" };
}

/** The canonical text of an import ID (parse(format(x)) equals x). */
export function formatImportId(x: ImportId): string {
  const p = new URLSearchParams();
  if (x.insecure) p.set("sslmode", "disable");
  if (x.certsDir !== undefined) p.set("certsDir", x.certsDir);
  p.set("connection", x.connection.kind);
  if (x.connection.kind === "ssh") {
    p.set("sshUser", x.connection.user);
    p.set("sshPort", String(x.connection.port));
    if (x.connection.agent !== undefined) p.set("sshAgent", x.connection.agent);
  }
  p.set("manager", x.process.manager);
  if (x.process.manager === "systemd") {
    p.set("unit", x.process.unit);
    if (x.process.sudo) p.set("sudo", "true");
  }
  if (x.binaryPath !== undefined) p.set("binaryPath", x.binaryPath);
  // Braces and slashes read better unescaped, and URLSearchParams parses them back unchanged.
  const query = p.toString().replace(/%7B/g, "{").replace(/%7D/g, "}").replace(/%2F/g, "/");
  return `${SCHEME}${encodeURIComponent(x.user)}@${x.addrs.join(",")}?${query}`;
}
