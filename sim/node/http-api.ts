/**
 * The node's HTTP port (8080): `/health`, `/health?ready=1` (also
 * `/_admin/v1/health`), `/_status/vars`, `/_status/nodes[/local]`,
 * `/_status/ranges/{node_id|local}` (ranges-status.ts) and `/_status/raft`
 * (raft-debug.ts: the cluster-wide fan-out; both on a secure node only
 * with the `session` cookie of `POST /login`),
 * `POST /_status/critical_nodes` (reference §3). The simulator asks no
 * login for the `/_status` endpoints, also on secure clusters. Readiness failures answer 503 with the gRPC-gateway body.
 */
import * as http from "http";

export interface HttpBackend {
  /** The first readiness check that fails (reference §3 order), or undefined when ready. */
  readinessProblem(): string | undefined;
  prometheus(): Promise<string>;
  statusNodes(): Promise<Record<string, unknown>>;
  statusNodeLocal(): Promise<Record<string, unknown>>;
  criticalNodes(): Promise<Record<string, unknown>>;
  /** `/_status/ranges/{node_id}`: "local" or a node ID. */
  statusRanges(nodeId: string): Promise<Record<string, unknown>>;
  /** `/_status/raft`: every node's replicas merged per range (RaftDebug), optionally only `rangeIds`. */
  raftDebug(rangeIds: readonly number[]): Promise<Record<string, unknown>>;
  /** Secure nodes authenticate the web endpoints that CockroachDB does not serve anonymously. */
  readonly secure: boolean;
  /** POST /login: a session cookie value, or undefined for bad credentials. */
  webLogin(user: string, password: string): Promise<string | undefined>;
  /** Whether the cookie value names a live web session. */
  webSessionValid(cookie: string): Promise<boolean>;
}

const GRPC_UNAVAILABLE = 14;
const GRPC_INVALID_ARGUMENT = 3;

export function createHttpApi(backend: HttpBackend): http.Server {
  const server = http.createServer((req, res) => {
    route(backend, req, res).catch((e: Error) => sendJson(res, 500, grpcError(e.message, 2)));
  });
  // No idle timeout, as CockroachDB's HTTP port: its http.Server (pkg/util/netutil/net.go MakeServer) sets no
  // IdleTimeout or ReadTimeout, so Go keeps an idle keep-alive connection until the client closes it, and
  // announces no `Keep-Alive: timeout` (Node's 1 s hint made every client drop the connection after each read).
  // The port's close() still ends every connection (http-port.ts).
  server.keepAliveTimeout = 0;
  return server;
}

async function route(backend: HttpBackend, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const url = new URL(req.url ?? "/", "http://node");
  const p = url.pathname.replace(/\/+$/, "") || "/";
  if (p === "/health" || p === "/_admin/v1/health") return health(backend, url, res);
  if (p === "/api/v2/health") return healthV2(backend, url, res);
  if (p === "/_status/vars") {
    const text = await backend.prometheus();
    res.writeHead(200, { "Content-Type": "text/plain; version=0.0.4; charset=utf-8" });
    res.end(text);
    return;
  }
  if (p === "/_status/nodes") return sendJson(res, 200, await backend.statusNodes());
  if (p === "/_status/nodes/local") return sendJson(res, 200, await backend.statusNodeLocal());
  if (p === "/login" && req.method === "POST") return login(backend, req, res);
  const ranges = /^\/_status\/ranges\/([^/]+)$/.exec(p);
  if (ranges) {
    if (backend.secure && !(await authenticated(backend, req))) return sendText(res, 401, "a valid authentication cookie is required\n");
    if (!/^(local|\d+)$/.test(ranges[1]))
      return sendJson(res, 400, grpcError(`node id ${JSON.stringify(ranges[1])} is not an integer or "local"`, GRPC_INVALID_ARGUMENT));
    return sendJson(res, 200, await backend.statusRanges(ranges[1]));
  }
  if (p === "/_status/raft") {
    if (backend.secure && !(await authenticated(backend, req))) return sendText(res, 401, "a valid authentication cookie is required\n");
    const ids = [...url.searchParams.getAll("range_ids"), ...url.searchParams.getAll("rangeIds")];
    if (ids.some((x) => !/^\d+$/.test(x)))
      return sendJson(res, 400, grpcError(`bad range_ids ${JSON.stringify(ids)}`, GRPC_INVALID_ARGUMENT));
    return sendJson(res, 200, await backend.raftDebug(ids.map(Number)));
  }
  if (p === "/_status/critical_nodes") {
    if (req.method !== "POST") return sendJson(res, 405, grpcError("Method Not Allowed", 12));
    return sendJson(res, 200, await backend.criticalNodes());
  }
  sendJson(res, 404, grpcError("Not Found", 5));
}

function health(backend: HttpBackend, url: URL, res: http.ServerResponse): void {
  const raw = url.searchParams.get("ready");
  if (raw === null || raw === "") return sendJson(res, 200, {});
  const ready = parseGoBool(raw);
  if (ready === undefined) return sendJson(res, 400, grpcError("invalid ready value", GRPC_INVALID_ARGUMENT));
  if (!ready) return sendJson(res, 200, {});
  const problem = backend.readinessProblem();
  if (problem) return sendJson(res, 503, grpcError(problem, GRPC_UNAVAILABLE));
  sendJson(res, 200, {});
}

/** The v2 API answers 500 (not 503) when a `ready=true` check fails. */
function healthV2(backend: HttpBackend, url: URL, res: http.ServerResponse): void {
  const ready = url.searchParams.get("ready");
  const problem = ready !== null && parseGoBool(ready) === true ? backend.readinessProblem() : undefined;
  if (problem) {
    const text = problem + "\n";
    res.writeHead(500, { "Content-Type": "text/plain; charset=utf-8", "Content-Length": Buffer.byteLength(text) });
    res.end(text);
    return;
  }
  sendJson(res, 200, {});
}

/**
 * `POST /login` with `{"username","password"}` (CR `authentication.proto` LogIn.UserLogin): 200 with a
 * `session` cookie, or gRPC Unauthenticated (16) "the provided credentials did not match any account on
 * the server" (`errWebAuthenticationFailure`). The cookie value is opaque to clients.
 */
async function login(backend: HttpBackend, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  let creds: { username?: unknown; password?: unknown } = {};
  try {
    creds = JSON.parse(Buffer.concat(chunks).toString("utf8")) as typeof creds;
  } catch {
    return sendJson(res, 400, grpcError("invalid character in the request body", GRPC_INVALID_ARGUMENT));
  }
  const cookie =
    typeof creds.username === "string" && typeof creds.password === "string"
      ? await backend.webLogin(creds.username, creds.password)
      : undefined;
  if (cookie === undefined) return sendJson(res, 401, grpcError("the provided credentials did not match any account on the server", 16));
  res.setHeader("Set-Cookie", `session=${cookie}; Path=/; HttpOnly${backend.secure ? "; Secure" : ""}`);
  sendJson(res, 200, {});
}

/** The request carries the `session` cookie of a live web session (CR `authenticationMux`). */
async function authenticated(backend: HttpBackend, req: http.IncomingMessage): Promise<boolean> {
  for (const part of (req.headers.cookie ?? "").split(";")) {
    const [name, ...rest] = part.trim().split("=");
    if (name === "session" && (await backend.webSessionValid(rest.join("=")))) return true;
  }
  return false;
}

/** Go's http.Error: text/plain. */
function sendText(res: http.ServerResponse, status: number, text: string): void {
  res.writeHead(status, {
    "Content-Type": "text/plain; charset=utf-8",
    "X-Content-Type-Options": "nosniff",
    "Content-Length": Buffer.byteLength(text),
  });
  res.end(text);
}

function grpcError(message: string, code: number): Record<string, unknown> {
  return { error: message, code, message, details: [] };
}

/** Go's strconv.ParseBool. */
function parseGoBool(s: string): boolean | undefined {
  if (["1", "t", "T", "TRUE", "true", "True"].includes(s)) return true;
  if (["0", "f", "F", "FALSE", "false", "False"].includes(s)) return false;
  return undefined;
}

function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body, null, 2);
  res.writeHead(status, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(text) });
  res.end(text);
}

export function listenHttp(server: http.Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
}
