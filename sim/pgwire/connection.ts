/**
 * One client connection: startup and authentication, then the simple and
 * extended query protocols. Messages are handled strictly in arrival order
 * (one async queue per connection), as a real backend does.
 *
 * With `tls` (a secure node): an SSLRequest is answered 'S' and the
 * connection continues inside TLS; a startup packet in clear text is
 * refused with CockroachDB's 08P01 `node is running secure mode, SSL
 * connection required`. A client certificate signed by the CA whose CN is
 * the session user authenticates it; otherwise the password is asked for
 * (cleartext, inside TLS) and checked with `authenticate`.
 */
import * as net from "net";
import * as tls from "tls";
import {
  BodyReader,
  InboundMessage,
  MessageFramer,
  STARTUP_CODES,
  authRequest,
  backendKeyData,
  errorResponse,
  parameterStatus,
  readyForQuery,
} from "./messages";
import { PgSession, SqlError } from "./types";
import { ExtendedProtocol } from "./extended";
import { SimpleQueryProtocol, TxTracker } from "./simple";
import type { PgServerOptions } from "./server";
import { certificateUser } from "./tls-identity";

type Phase = "startup" | "password" | "ready" | "closed";

export class PgConnection {
  private readonly framer = new MessageFramer();
  private phase: Phase = "startup";
  private queue: Promise<void> = Promise.resolve();
  private session: PgSession | undefined;
  private readonly tx = new TxTracker();
  private extended: ExtendedProtocol | undefined;
  private simple: SimpleQueryProtocol | undefined;
  private socket: net.Socket;

  constructor(
    socket: net.Socket,
    private readonly opts: PgServerOptions,
    private readonly key: { readonly pid: number; readonly secret: number },
  ) {
    this.socket = socket;
    socket.setNoDelay(true);
    this.listen(socket);
  }

  private listen(socket: net.Socket): void {
    socket.on("data", (chunk: Buffer) => this.onData(chunk));
    socket.on("error", () => this.close());
    socket.on("close", () => (this.phase = "closed"));
  }

  /**
   * Answers an SSLRequest with 'S' and continues the connection inside TLS.
   * The handshake goes through a tls.Server (not a bare TLSSocket) so that the
   * client certificate is verified and `authorized` set. Messages wait in the
   * queue until the handshake is done.
   */
  private startTls(options: tls.TlsOptions): Promise<void> {
    const raw = this.socket;
    raw.removeAllListeners("data");
    raw.removeAllListeners("error");
    raw.removeAllListeners("close");
    raw.on("error", () => this.close());
    raw.on("close", () => (this.phase = "closed"));
    return new Promise((resolve) => {
      const server = tlsServerFor(options);
      const onSecure = (secure: tls.TLSSocket): void => {
        if (secure.remotePort !== raw.remotePort || secure.remoteAddress !== raw.remoteAddress) return;
        server.off("secureConnection", onSecure);
        this.socket = secure;
        this.listen(secure);
        resolve();
      };
      server.on("secureConnection", onSecure);
      raw.once("close", () => {
        server.off("secureConnection", onSecure);
        resolve();
      });
      raw.write(Buffer.from("S"));
      server.emit("connection", raw);
    });
  }

  private onData(chunk: Buffer): void {
    this.framer.push(chunk);
    // Chaining keeps messages ordered even though handlers are async.
    this.queue = this.queue.then(() => this.drainFramer()).catch(() => this.close());
  }

  private async drainFramer(): Promise<void> {
    for (;;) {
      if (this.phase === "closed") return;
      const msg = this.framer.next();
      if (msg === undefined) return;
      await this.handle(msg);
    }
  }

  private async handle(msg: InboundMessage): Promise<void> {
    if (this.phase === "startup") return this.handleStartup(msg.body);
    if (this.phase === "password") return this.handlePassword(msg);
    if (msg.type === "X") return this.close();
    if (msg.type === "Q") return this.simple!.run(new BodyReader(msg.body).cstring());
    return this.extended!.handle(msg);
  }

  private async handleStartup(body: Buffer): Promise<void> {
    const r = new BodyReader(body);
    const code = r.int32();
    if (code === STARTUP_CODES.sslRequest && this.opts.tls !== undefined && !(this.socket instanceof tls.TLSSocket)) {
      return this.startTls(this.opts.tls);
    }
    if (code === STARTUP_CODES.sslRequest || code === STARTUP_CODES.gssEncRequest) {
      this.write(Buffer.from("N")); // insecure node: the client continues in clear text
      return;
    }
    if (code === STARTUP_CODES.cancelRequest) return this.close();
    if (code !== STARTUP_CODES.protocolV3) {
      return this.fatal(new SqlError("08P01", `unsupported frontend protocol ${code >> 16}.${code & 0xffff}`));
    }
    if (this.opts.tls !== undefined && !(this.socket instanceof tls.TLSSocket)) {
      return this.fatal(new SqlError("08P01", "node is running secure mode, SSL connection required"));
    }
    const params = readStartupParams(r);
    this.framer.expectStartup = false;
    this.session = {
      user: params.get("user") ?? "",
      database: params.get("database") ?? "defaultdb",
      applicationName: params.get("application_name"),
      ...(params.has("options") && { options: params.get("options") }),
      remoteAddress: `${this.socket.remoteAddress ?? "?"}:${this.socket.remotePort ?? 0}`,
    };
    const refusal = await this.opts.admit(this.session);
    if (refusal !== null) return this.fatal(refusal, "FATAL");
    const certUser = this.socket instanceof tls.TLSSocket ? certificateUser(this.socket) : undefined;
    if (this.opts.authenticate !== undefined && certUser !== this.session.user) {
      this.phase = "password";
      this.write(authRequest(3)); // AuthenticationCleartextPassword
      return;
    }
    this.completeStartup();
  }

  private async handlePassword(msg: InboundMessage): Promise<void> {
    const user = this.session!.user;
    if (msg.type !== "p") return this.fatal(new SqlError("08P01", `expected password message, got '${msg.type}'`));
    const password = new BodyReader(msg.body).cstring();
    const ok = await this.opts.authenticate!(user, password).catch(() => false);
    if (!ok) return this.fatal(new SqlError("28P01", `password authentication failed for user ${user}`), "FATAL");
    this.completeStartup();
  }

  private completeStartup(): void {
    const session = this.session!;
    this.phase = "ready";
    const io = { write: (b: Buffer) => this.write(b), execute: this.opts.execute, session, tx: this.tx };
    this.simple = new SimpleQueryProtocol(io);
    this.extended = new ExtendedProtocol(io);
    this.write(authRequest(0)); // AuthenticationOk
    const status: Record<string, string> = {
      server_version: "13.0.0",
      client_encoding: "UTF8",
      DateStyle: "ISO, MDY",
      IntervalStyle: "postgres",
      integer_datetimes: "on",
      standard_conforming_strings: "on",
      TimeZone: "UTC",
      application_name: session.applicationName ?? "",
      is_superuser: session.user === "root" ? "on" : "off",
      session_authorization: session.user,
      crdb_version: `CockroachDB CCL ${this.opts.buildTag ?? "v23.1.11"} (x86_64-pc-linux-gnu, built 2023/09/27 00:00:00, go1.19.10)`,
    };
    for (const [k, v] of Object.entries(status)) this.write(parameterStatus(k, v));
    this.write(backendKeyData(this.key.pid, this.key.secret));
    this.write(readyForQuery("I"));
  }

  /** Sends an error that ends the connection (startup refusals, bad auth, protocol violations). */
  private fatal(err: SqlError, severity = "FATAL"): void {
    this.write(errorResponse({ severity, code: err.code, message: err.message, detail: err.detail, hint: err.hint }));
    this.close();
  }

  private write(b: Buffer): void {
    if (this.phase !== "closed" && !this.socket.destroyed) this.socket.write(b);
  }

  close(): void {
    this.phase = "closed";
    this.socket.end();
  }

  destroy(): void {
    this.phase = "closed";
    this.socket.destroy();
  }
}

const tlsServers = new WeakMap<tls.TlsOptions, tls.Server>();

/** One tls.Server per options object; it never listens, it only runs handshakes for upgraded sockets. */
function tlsServerFor(options: tls.TlsOptions): tls.Server {
  let server = tlsServers.get(options);
  if (server === undefined) {
    server = tls.createServer(options);
    server.on("tlsClientError", () => undefined);
    server.setMaxListeners(0);
    tlsServers.set(options, server);
  }
  return server;
}

function readStartupParams(r: BodyReader): Map<string, string> {
  const params = new Map<string, string>();
  while (r.remaining > 1) {
    const k = r.cstring();
    if (k === "") break;
    params.set(k, r.cstring());
  }
  return params;
}
