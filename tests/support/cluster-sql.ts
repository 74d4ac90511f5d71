/** An operator's view of a simulated cluster over SQL (as `cockroach sql -e` would), and waiting helpers, for the tests. */
import { Client } from "pg";
import { httpGet, waitFor, type SimCluster } from "./sim-cluster";

/** One statement on one node (`host:port`), insecure, as root, on a fresh connection; `connectTimeoutMs` 0 waits as long as it takes. */
export async function sqlAt<T = Record<string, unknown>>(
  hostPort: string,
  text: string,
  params: readonly unknown[] = [],
  connectTimeoutMs = 0,
): Promise<T[]> {
  const [host, port] = hostPort.split(":");
  const client = new Client({
    host,
    port: Number(port),
    user: "root",
    database: "defaultdb",
    ssl: false,
    connectionTimeoutMillis: connectTimeoutMs,
  });
  client.on("error", () => undefined);
  try {
    await client.connect();
    return (await client.query(text, [...params])).rows as T[];
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * One statement on the first node that answers: the next node is tried after an error without a
 * code (a connect timeout) or a SQLSTATE of class 57P/08 (shutting down, connection); any other
 * error (a refused connection too) is thrown.
 */
export async function sql(sim: SimCluster, text: string, params: readonly unknown[] = []): Promise<Record<string, unknown>[]> {
  let last: Error | undefined;
  for (const n of sim.providerNodes) {
    try {
      return await sqlAt(String(n.sqlAddr), text, params, 2000);
    } catch (e) {
      last = e as Error;
      const code = (e as { code?: string }).code;
      if (code !== undefined && !/^(57P|08)/.test(String(code))) throw e;
    }
  }
  throw new Error(`no node answered SQL: ${last?.message}`);
}

/** The first column of the first row, as `cockroach sql -e` shows a single value; undefined when there is no row. */
export async function scalar(sim: SimCluster, text: string): Promise<string | undefined> {
  const rows = await sql(sim, text);
  return rows[0] === undefined ? undefined : String(Object.values(rows[0])[0]);
}

export async function setting(sim: SimCluster, name: string): Promise<string> {
  return String(await scalar(sim, `SHOW CLUSTER SETTING ${name}`));
}

/** Every node has published its range counts (the first metrics refresh after start), which pre-flight reads. */
export async function metricsPublished(sim: SimCluster): Promise<void> {
  for (const n of sim.providerNodes) {
    await waitFor(`${n.name} to publish ranges_unavailable`, async () =>
      /^ranges_unavailable/m.test((await httpGet(String(n.httpAddr), "/_status/vars")).body) ? true : undefined,
    );
  }
}

/** What the cluster remembers of the last rollout (crdb_upgrade.rollout); undefined when nothing (or no table). */
export async function rolloutMemory(sim: SimCluster): Promise<Record<string, unknown> | undefined> {
  try {
    return (await sql(sim, "SELECT setting, previous, value, target, phase FROM crdb_upgrade.rollout WHERE id = 1"))[0];
  } catch (e) {
    if (/does not exist/.test((e as Error).message)) return undefined;
    throw e;
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function waitUntil(what: string, probe: () => Promise<boolean>, timeoutMs: number, everyMs = 100): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}
