/**
 * Connection reuse for the provider's reads of the nodes' HTTP endpoints.
 *
 * The whole-cluster watch asks every node's `/health?ready=1` at every gate
 * interval, and the gates read `/_status/raft` several times a second: with a
 * new agent and a new connection (and over https a new TLS context, i.e. the
 * CA's PEM parsed again, and a full handshake) per request, the sockets, parsers and
 * agents were the largest share of what the dynamic provider allocated (at
 * 30 nodes, about half of it; TARGETS-METHOD.md, RSS). Here each kind of
 * connection has one keep-alive agent, so a node answers each read on the
 * connection of the previous one.
 *
 * A kept connection the server closed while idle (a restarted node, a server
 * idle timeout racing our next read) fails the request written on it with
 * ECONNRESET / "socket hang up" before any answer: the caller retries such a
 * request once on a fresh connection (`staleReuse`), which is exactly what it
 * used to do first, so what a read reports is unchanged.
 */
import * as http from "http";
import * as https from "https";
import * as tls from "tls";

/**
 * An idle kept connection is closed after this long: longer than the 5 s default gate interval (so the
 * watch reuses it), short enough that connections to a cluster no longer read do not linger.
 */
const IDLE_MS = 15_000;

const agents = new Map<string, http.Agent>();

/** The shared agent for plain http, or for https with this CA (undefined: none) and verification choice. */
export function agentFor(isHttps: boolean, ca: string | undefined, rejectUnauthorized: boolean): http.Agent {
  const key = isHttps ? `https ${rejectUnauthorized ? "verify" : "any"} ${ca ?? ""}` : "http";
  let agent = agents.get(key);
  if (agent === undefined) {
    const common = { keepAlive: true, timeout: IDLE_MS, scheduling: "lifo" as const };
    // One secure context per CA: https.Agent would otherwise build one (parsing the PEM) per connection.
    agent = isHttps
      ? new https.Agent({
          ...common,
          rejectUnauthorized,
          ...(ca !== undefined && { ca, secureContext: tls.createSecureContext({ ca }) }),
        })
      : new http.Agent(common);
    agents.set(key, agent);
  }
  return agent;
}

/** A request written on a kept connection the server had closed: to be sent again on a fresh one. */
export function staleReuse(req: http.ClientRequest, e: NodeJS.ErrnoException, signal?: AbortSignal): boolean {
  if (!req.reusedSocket || signal?.aborted) return false;
  return e.code === "ECONNRESET" || e.code === "EPIPE" || e.message === "socket hang up";
}
