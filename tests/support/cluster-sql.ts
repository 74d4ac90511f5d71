/** An operator's view of a simulated cluster over SQL (as `cockroach sql -e` would), and process helpers, for the recovery tests. */
import * as fs from "fs";
import { Client } from "pg";
import { httpGet, waitFor, type SimCluster } from "./sim-cluster";

/** One statement on the first node that answers. */
export async function sql(sim: SimCluster, text: string): Promise<Record<string, unknown>[]> {
  let last: Error | undefined;
  for (const n of sim.providerNodes) {
    const [host, port] = String(n.sqlAddr).split(":");
    const client = new Client({ host, port: Number(port), user: "root", database: "defaultdb", ssl: false, connectionTimeoutMillis: 2000 });
    client.on("error", () => undefined);
    try {
      await client.connect();
      return (await client.query(text)).rows as Record<string, unknown>[];
    } catch (e) {
      last = e as Error;
      if ((e as { code?: string }).code !== undefined && !String((e as { code?: string }).code).startsWith("57P")) throw e;
    } finally {
      await client.end().catch(() => undefined);
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

export function cmdline(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ");
  } catch {
    return "";
  }
}

/** Alive and not a zombie. */
export function alive(pid: number): boolean {
  try {
    return fs.readFileSync(`/proc/${pid}/stat`, "utf8").replace(/.*\) /, "")[0] !== "Z";
  } catch {
    return false;
  }
}

export function killPids(pids: readonly number[]): void {
  for (const pid of pids) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
}
