/**
 * Plain HTTP(S) GETs for the provider's own reads: node health, Prometheus
 * vars, and (air-gapped mode) release downloads. Node's http module only, so
 * nothing here needs a dependency.
 *
 * A secure CockroachDB serves its HTTP endpoint over TLS with the node's
 * certificate. When the user gave a CA we verify against it; without one we
 * still connect (the endpoints we read are unauthenticated and we send no
 * credentials), but never to download a release, where integrity matters —
 * releases are checked by sha256 anyway.
 */
import * as http from "http";
import * as https from "https";
import * as fs from "fs";
import { InvalidValue, ReadFailed } from "../core/errors";
import { agentFor, staleReuse } from "./http-agents";

export interface HttpOptions {
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
  /** PEM CA for https. */
  readonly ca?: string;
  /** Accept any https certificate: only for the unauthenticated node endpoints without a CA (see header). */
  readonly skipTlsVerify?: boolean;
  /** Stop reading after this many bytes (a defence against huge bodies). */
  readonly maxBytes?: number;
  /** Extra request headers (a web session's Cookie, see web-session.ts). */
  readonly headers?: Readonly<Record<string, string>>;
}

export interface HttpResponse {
  readonly status: number;
  readonly contentType: string;
  readonly body: string;
}

/** Follows at most this many redirects (release CDNs redirect). */
const MAX_REDIRECTS = 5;

/** GET on a kept connection to the host (http-agents.ts): the node reads, many per gate interval. */
export function httpGet(url: string, opts: HttpOptions): Promise<HttpResponse> {
  return request(url, opts, MAX_REDIRECTS, true, (res, resolve, reject) => {
    // Kept as buffers (off the V8 heap) until the body is whole: decoding each chunk as it came put a read's
    // bytes on the heap while it was in flight, and a scavenge meanwhile promoted them (at 30 nodes old space
    // grew twice as fast, +10 MB at the peak: bench/TARGETS-METHOD.md, RSS, fifth session).
    const chunks: Buffer[] = [];
    let size = 0;
    const max = opts.maxBytes ?? 16 * 1024 * 1024;
    res.on("data", (b: Buffer) => {
      size += b.length;
      if (size <= max) chunks.push(b);
    });
    res.on("end", () =>
      resolve({
        status: res.statusCode ?? 0,
        contentType: String(res.headers["content-type"] ?? ""),
        body: Buffer.concat(chunks).toString("utf8"),
      }),
    );
    res.on("error", reject);
  });
}

/** Streams a URL to a file; resolves with status and content type (the file is written only on 200). */
export function httpDownload(url: string, dest: string, opts: HttpOptions): Promise<Omit<HttpResponse, "body">> {
  return request(url, opts, MAX_REDIRECTS, false, (res, resolve, reject) => {
    const status = res.statusCode ?? 0;
    const contentType = String(res.headers["content-type"] ?? "");
    if (status !== 200) {
      res.resume();
      res.on("end", () => resolve({ status, contentType }));
      return;
    }
    const out = fs.createWriteStream(dest);
    res.pipe(out);
    out.on("finish", () => resolve({ status, contentType }));
    out.on("error", reject);
    res.on("error", reject);
  });
}

type Handler<T> = (res: http.IncomingMessage, resolve: (v: T) => void, reject: (e: Error) => void) => void;

/** `pooled`: on the shared keep-alive agent (retried once on a fresh connection if a kept one was stale); else a connection of its own. */
function request<T>(url: string, opts: HttpOptions, redirectsLeft: number, pooled: boolean, handle: Handler<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const u = new URL(url);
    const isHttps = u.protocol === "https:";
    if (!isHttps && u.protocol !== "http:") return reject(new InvalidValue(`unsupported URL scheme ${u.protocol}`));
    const mod = isHttps ? https : http;
    const rejectUnauthorized = opts.skipTlsVerify !== true;
    const conn = pooled
      ? { agent: agentFor(isHttps, opts.ca, rejectUnauthorized) }
      : { agent: false as const, ...(isHttps && { ca: opts.ca, rejectUnauthorized }) };
    const headers = opts.headers ? { headers: { ...opts.headers } } : {};
    const req = mod.get(u, { timeout: opts.timeoutMs, signal: opts.signal, ...conn, ...headers }, (res) => {
      const loc = res.headers.location;
      if (res.statusCode && res.statusCode >= 300 && res.statusCode < 400 && loc && redirectsLeft > 0) {
        res.resume();
        request(new URL(loc, u).toString(), opts, redirectsLeft - 1, pooled, handle).then(resolve, reject);
        return;
      }
      handle(res, resolve, reject);
    });
    req.on("timeout", () => req.destroy(new ReadFailed(`no answer within ${opts.timeoutMs}ms`)));
    req.on("error", (e: NodeJS.ErrnoException) => {
      if (pooled && staleReuse(req, e, opts.signal)) request(url, opts, redirectsLeft, false, handle).then(resolve, reject);
      else reject(e);
    });
  });
}
