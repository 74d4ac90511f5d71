/**
 * A logged-in web session for the node endpoints CockroachDB serves only to
 * authenticated users on a secure cluster (`/_status/ranges`, read by
 * catch-up.ts). `POST /login` with `{"username","password"}` as JSON
 * (`pkg/server/serverpb/authentication.proto`, `LogIn.UserLogin`) answers
 * with a `Set-Cookie: session=...` header; requests without a valid one get
 * 401 "a valid authentication cookie is required" (`authenticationMux`).
 * Insecure clusters need none. The password goes only into the request
 * body, never into a message; the cookie is never logged.
 */
import * as http from "http";
import * as https from "https";
import type { HttpOptions } from "../transport/http";

/** Logs in on the node at `baseUrl` ("https://host:port"); resolves with the `session=...` cookie pair. */
export function webLogin(baseUrl: string, user: string, password: string, opts: HttpOptions): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    const u = new URL("/login", baseUrl);
    const isHttps = u.protocol === "https:";
    const mod = isHttps ? https : http;
    const tls = isHttps ? { ca: opts.ca, rejectUnauthorized: opts.skipTlsVerify !== true } : {};
    const body = JSON.stringify({ username: user, password });
    const req = mod.request(
      u,
      {
        method: "POST",
        timeout: opts.timeoutMs,
        signal: opts.signal,
        agent: false,
        headers: { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(body) },
        ...tls,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (b: Buffer) => chunks.push(b));
        res.on("error", reject);
        res.on("end", () => {
          const cookie = sessionCookie(res.headers["set-cookie"]);
          if (res.statusCode === 200 && cookie !== undefined) return resolve(cookie);
          reject(new Error(`web login as ${user} answered HTTP ${res.statusCode ?? 0}${reason(Buffer.concat(chunks).toString("utf8"))}`));
        });
      },
    );
    req.on("timeout", () => req.destroy(new Error(`no answer within ${opts.timeoutMs}ms`)));
    req.on("error", reject);
    req.end(body);
  });
}

/** The `session=<value>` pair of a Set-Cookie list. */
function sessionCookie(setCookie: readonly string[] | undefined): string | undefined {
  for (const c of setCookie ?? []) {
    const pair = c.split(";")[0].trim();
    if (pair.startsWith("session=") && pair.length > "session=".length) return pair;
  }
  return undefined;
}

/** ": <message>" of a gRPC-gateway error body or a plain-text error, or "". */
function reason(body: string): string {
  try {
    const m = (JSON.parse(body) as { message?: unknown }).message;
    if (typeof m === "string" && m !== "") return `: ${m}`;
  } catch {
    // plain text (http.Error)
  }
  const t = body.trim();
  return t === "" ? "" : `: ${t.slice(0, 200)}`;
}
