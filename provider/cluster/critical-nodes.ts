/**
 * May these nodes go down now without a range losing quorum?
 *
 * - One node, every running node on v23.1 or later: CockroachDB's own answer,
 *   `POST /_status/critical_nodes` (DOCS `monitoring-and-alerting.md`
 *   "Critical nodes endpoint", v23.1+; ../shared/reference/
 *   cockroach-interfaces.md §3; sim/README.md "Critical nodes"). A node it lists is critical (some range is down to a
 *   bare quorum that includes it); any range it reports unavailable means no
 *   node may go down.
 * - Otherwise (older versions, a batch of several nodes, or the endpoint not
 *   answering — it needs an admin session on a secure cluster): the
 *   replica-placement proof (placement.ts proveDown).
 *
 * Never throws: what cannot be read is "unknown", which the guard treats as
 * "not safe" (it waits, then refuses).
 */
import * as http from "http";
import * as https from "https";
import type { ClusterReader } from "./reader";
import type { ClusterNow } from "./now";
import { messageOf } from "../core/errors";
import { proveDown } from "./placement";
import type { NodeSpec, Spec } from "../core/types";
import { compareSeries, seriesOf } from "../versions/versions";

const ENDPOINT = "/_status/critical_nodes";
const FIRST_SERIES = "23.1";
const TIMEOUT_MS = 5_000;

/** Whether the nodes still up may go down (the guard decides with it; rollout/guard.ts). */
export type CriticalVerdict =
  | { readonly verdict: "safe"; readonly reason: string }
  | { readonly verdict: "critical"; readonly reason: string }
  | { readonly verdict: "unknown"; readonly reason: string };

export interface CriticalContext {
  readonly reader: ClusterReader;
  readonly nodes: readonly NodeSpec[];
  readonly sql: Spec["sql"];
}

export async function criticalVerdict(ctx: CriticalContext, names: readonly string[], now: ClusterNow): Promise<CriticalVerdict> {
  if (names.length === 1 && hasEndpoint(now)) {
    const asked = await askEndpoint(ctx, names[0], now);
    if (asked !== undefined) return asked;
  }
  const v = await proveDown(ctx.reader, ctx.nodes, names);
  if (v.safe) return { verdict: "safe", reason: `replica placement: ${v.reason}` };
  return /could not be read/.test(v.reason) ? { verdict: "unknown", reason: v.reason } : { verdict: "critical", reason: v.reason };
}

/** Every running node reports a build of v23.1 or later. */
function hasEndpoint(now: ClusterNow): boolean {
  const builds = now.nodes.map((n) => n.build).filter((b): b is string => b !== undefined);
  if (builds.length === 0) return false;
  return builds.every((b) => {
    try {
      return compareSeries(seriesOf(b), FIRST_SERIES) >= 0;
    } catch {
      return false;
    }
  });
}

interface CriticalBody {
  readonly criticalNodes?: readonly { readonly nodeId?: number | string }[];
  readonly report?: { readonly unavailable?: readonly unknown[] };
}

/** undefined when the endpoint did not give a usable answer (then placement decides). */
async function askEndpoint(ctx: CriticalContext, name: string, now: ClusterNow): Promise<CriticalVerdict | undefined> {
  const target = now.nodes.find((n) => n.name === name);
  if (target?.nodeId === undefined) return undefined;
  // Ask a node that is up and not the one we are about to take down.
  const gateways = now.nodes.filter((n) => n.name !== name && n.ready && n.reachable);
  for (const g of gateways) {
    const spec = ctx.nodes.find((s) => s.name === g.name);
    if (!spec) continue;
    try {
      const body = JSON.parse(await post(ctx.sql, spec, ENDPOINT)) as CriticalBody;
      if (!Array.isArray(body.criticalNodes)) return undefined;
      const unavailable = body.report?.unavailable?.length ?? 0;
      if (unavailable > 0) {
        return { verdict: "critical", reason: `${ENDPOINT} (asked of ${g.name}) reports ${unavailable} unavailable ranges` };
      }
      const ids = body.criticalNodes.map((c) => Number(c.nodeId));
      if (ids.includes(target.nodeId)) {
        return {
          verdict: "critical",
          reason: `${name} is critical per ${ENDPOINT} (asked of ${g.name}): a range is down to a bare quorum that includes it (a peer may still be catching up)`,
        };
      }
      const others = body.criticalNodes.length === 0 ? "no node is critical" : `critical: node ids ${ids.join(", ")}, not ${name}`;
      return { verdict: "safe", reason: `${ENDPOINT} (asked of ${g.name}): ${others}` };
    } catch {
      // The next gateway, then placement.
    }
  }
  return undefined;
}

function post(sql: Spec["sql"], node: NodeSpec, path: string): Promise<string> {
  const secure = !sql.insecure;
  const host = node.httpAddr.host.includes(":") ? `[${node.httpAddr.host}]` : node.httpAddr.host;
  const url = `${secure ? "https" : "http"}://${host}:${node.httpAddr.port}${path}`;
  const mod = secure ? https : http;
  const tls = secure ? { ca: sql.tls?.ca, rejectUnauthorized: sql.tls?.ca !== undefined } : {};
  return new Promise((resolve, reject) => {
    const req = mod.request(
      url,
      { method: "POST", timeout: TIMEOUT_MS, agent: false, headers: { "content-type": "application/json", "content-length": 2 }, ...tls },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => (body += c));
        res.on("end", () => (res.statusCode === 200 ? resolve(body) : reject(new Error(`HTTP ${res.statusCode}`))));
        res.on("error", reject);
      },
    );
    req.on("timeout", () => req.destroy(new Error(`no answer within ${TIMEOUT_MS}ms`)));
    req.on("error", (e) => reject(new Error(messageOf(e))));
    req.end("{}");
  });
}
