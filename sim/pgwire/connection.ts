/**
 * One client connection: startup and authentication, then the simple and
 * extended query protocols. Messages are handled strictly in arrival order
 * (one async queue per connection), as a real backend does.
 */
import * as net from "net";
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

type Phase = "startup" | "password" | "ready" | "closed";

export class PgConnection {
  private readonly framer = new MessageFramer();
  private phase: Phase = "startup";
  private queue: Promise<void> = Promise.resolve();
  private session: PgSession | undefined;
  private readonly tx = new TxTracker();
  private extended: ExtendedProtocol | undefined;
  private simple: SimpleQueryProtocol | undefined;

  constructor(
    private readonly socket: net.Socket,
    private readonly opts: PgServerOptions,
    private readonly key: { readonly pid: number; readonly secret: number },
  ) {
    socket.setNoDelay(true);
    socket.on("data", (chunk) => this.onData(chunk));
    socket.on("error", () => this.close());
    socket.on("close", () => (this.phase = "closed"));
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
    if (code === STARTUP_CODES.sslRequest || code === STARTUP_CODES.gssEncRequest) {
      this.write(Buffer.from("N")); // no TLS (yet); the client retries in clear text
      return;
    }
    if (code === STARTUP_CODES.cancelRequest) return this.close();
    if (code !== STARTUP_CODES.protocolV3) {
      return this.fatal(new SqlError("08P01", `unsupported frontend protocol ${code >> 16}.${code & 0xffff}`));
    }
    const params = readStartupParams(r);
    this.framer.expectStartup = false;
    this.session = {
      user: params.get("user") ?? "",
      database: params.get("database") ?? "defaultdb",
      applicationName: params.get("application_name"),
      remoteAddress: `${this.socket.remoteAddress ?? "?"}:${this.socket.remotePort ?? 0}`,
    };
    const refusal = await this.opts.admit(this.session);
    if (refusal !== null) return this.fatal(refusal, "FATAL");
    if (this.opts.authenticate !== undefined) {
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

function readStartupParams(r: BodyReader): Map<string, string> {
  const params = new Map<string, string>();
  while (r.remaining > 1) {
    const k = r.cstring();
    if (k === "") break;
    params.set(k, r.cstring());
  }
  return params;
}
