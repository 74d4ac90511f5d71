/**
 * The node's RPC address: where `cockroach node drain` and `cockroach debug
 * zip` must point `--host`. Both speak gRPC to that address (CockroachDB
 * `pkg/cli/flags.go`: `--host` is the server's RPC address for these
 * commands; `pkg/cli/rpc_node_shutdown.go`, `doDrain`, calls the Admin
 * service's Drain and Settings RPCs). With `--sql-addr` a node serves SQL on
 * its own port, and the SQL address does not answer gRPC at all.
 *
 * Pure: no I/O.
 */
import type { HostPort } from "../core/types";

/** Addresses that only mean "every interface": not somewhere a client can dial. */
const WILDCARD_HOSTS = new Set(["", "0.0.0.0", "::", "[::]"]);

/**
 * The default RPC address when `rpcAddr` is not given: the one in the start
 * flags, else the SQL address (SQL and RPC share one port unless
 * `--sql-addr` splits them).
 *
 * `--advertise-addr` comes first: it is the address CockroachDB tells other
 * nodes and clients to dial (`--listen-addr` may be a wildcard or a private
 * interface). A flag without a host (":26357") or with a wildcard host takes
 * the SQL address's host; a flag without a port takes the listen port, then 26257
 * (CockroachDB's defaults for these flags, `pkg/cli/flags.go`, `pkg/base/config.go`).
 */
export function defaultRpcAddr(startFlags: readonly string[] | undefined, sqlAddr: HostPort): HostPort {
  const listen = flagValue(startFlags, "listen-addr");
  const advertise = flagValue(startFlags, "advertise-addr");
  if (advertise === undefined && listen === undefined) return sqlAddr;
  const listenHp = listen === undefined ? undefined : splitHostPort(listen);
  const chosen = splitHostPort(advertise ?? (listen as string));
  const port = chosen.port ?? listenHp?.port ?? 26257;
  const host = chosen.host !== undefined && !WILDCARD_HOSTS.has(chosen.host) ? chosen.host : sqlAddr.host;
  return { host, port };
}

/** `--host=<rpc address>`: the one spelling every RPC command of the provider uses (IPv6 in brackets). */
export function rpcHostFlag(rpcAddr: HostPort): string {
  return `--host=${formatHostPort(rpcAddr)}`;
}

export function formatHostPort(hp: HostPort): string {
  return `${hp.host.includes(":") ? `[${hp.host}]` : hp.host}:${hp.port}`;
}

/** The last value of `--name=value` or `--name value` in the flags (cobra: the last one wins). */
function flagValue(flags: readonly string[] | undefined, name: string): string | undefined {
  let value: string | undefined;
  const list = flags ?? [];
  for (let i = 0; i < list.length; i++) {
    const f = list[i];
    if (f === `--${name}` && i + 1 < list.length) value = list[++i];
    else if (f.startsWith(`--${name}=`)) value = f.slice(name.length + 3);
  }
  return value;
}

/** "h:p", "[v6]:p", "h", ":p"; parts that are absent are undefined. */
function splitHostPort(text: string): { readonly host?: string; readonly port?: number } {
  const m = /^(?:\[([^\]]*)\]|([^:]*?))(?::(\d+))?$/.exec(text.trim()) ?? /^()(.*)$/.exec(text.trim());
  const host = m?.[1] || m?.[2];
  const port = m?.[3] === undefined ? undefined : Number(m[3]);
  return { ...(host !== undefined && host !== "" && { host }), ...(port !== undefined && { port }) };
}
