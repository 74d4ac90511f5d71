/**
 * How hard the provider's gates hit the cluster: SQL + HTTP requests per
 * second while a gate phase (await-node, await-cluster, bake) runs.
 *
 * Method — nothing in the provider is wrapped or changed:
 *   - HTTP: the provider runs in its own process (rollout-child.ts), which
 *     subscribes to Node's built-in `http.client.request.start` diagnostics
 *     channel; every request has a timestamp and a path.
 *   - SQL: the simulator counts SELECT statements per node
 *     (`sql_select_count` in /_status/vars). With no other SQL client
 *     running, the increments are the provider's; they are sampled every
 *     SAMPLE_MS and a counter that drops (the node restarted) counts from 0.
 * Requests are attributed to the gate windows taken from the rollout record
 * (phase start + duration), and divided by the windows' total length.
 */
import type { Phase, RolloutRecord } from "../provider/core/types";
import type { HttpRequestSeen } from "./rollout-child";

const GATE_PHASES: readonly Phase[] = ["await-node", "await-cluster", "bake"];
const SAMPLE_MS = 250;

export interface Window {
  readonly from: number;
  readonly to: number;
}

export interface GateRate {
  readonly gateSeconds: number;
  readonly httpRequests: number;
  readonly sqlSelects: number;
  /** (http + sql) / gate seconds, as measured (wall clock of the scaled sim). */
  readonly perWallSecond: number;
}

/** Gate phase windows of a rollout record, merged where they touch. */
export function gateWindows(record: RolloutRecord): Window[] {
  const raw = record.nodes
    .flatMap((n) => n.phases)
    .filter((p) => GATE_PHASES.includes(p.phase))
    .map((p) => ({ from: Date.parse(p.startedAt), to: Date.parse(p.startedAt) + p.durationMs }))
    .sort((a, b) => a.from - b.from);
  const merged: Window[] = [];
  for (const w of raw) {
    const last = merged[merged.length - 1];
    if (last && w.from <= last.to) merged[merged.length - 1] = { from: last.from, to: Math.max(last.to, w.to) };
    else merged.push(w);
  }
  return merged;
}

function inside(windows: readonly Window[], t: number): boolean {
  return windows.some((w) => t >= w.from && t <= w.to);
}

/** Samples the sum of sql_select_count over nodes until stop(); increments are kept with their time. */
export class SelectCounter {
  readonly increments: { readonly t: number; readonly n: number }[] = [];
  private readonly last = new Map<string, number>();
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;

  constructor(private readonly httpAddrs: readonly string[]) {}

  start(): void {
    const tick = (): void => {
      this.running = this.sampleOnce().finally(() => {
        if (this.timer) this.timer = setTimeout(tick, SAMPLE_MS);
      });
    };
    this.timer = setTimeout(tick, 0);
  }

  async stop(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
    await this.sampleOnce();
  }

  countIn(windows: readonly Window[]): number {
    return this.increments.filter((i) => inside(windows, i.t)).reduce((a, i) => a + i.n, 0);
  }

  private async sampleOnce(): Promise<void> {
    const t = Date.now();
    await Promise.all(
      this.httpAddrs.map(async (addr) => {
        const value = await selectCount(addr);
        if (value === undefined) return;
        const prev = this.last.get(addr);
        this.last.set(addr, value);
        if (prev === undefined) return;
        const n = value >= prev ? value - prev : value;
        if (n > 0) this.increments.push({ t, n });
      }),
    );
  }
}

async function selectCount(httpAddr: string): Promise<number | undefined> {
  try {
    const res = await fetch(`http://${httpAddr}/_status/vars`, { signal: AbortSignal.timeout(2000) });
    const m = /^sql_select_count(?:\{[^}]*\})? (\d+(?:\.\d+)?)/m.exec(await res.text());
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** The gate rate of one run: the child's HTTP requests to node endpoints + the sim's SELECT increments, in gate windows. */
export function gateRate(
  record: RolloutRecord,
  http: readonly HttpRequestSeen[],
  nodeHosts: readonly string[],
  selects: SelectCounter,
): GateRate {
  const windows = gateWindows(record);
  const gateMs = windows.reduce((a, w) => a + (w.to - w.from), 0);
  const httpRequests = http.filter((r) => nodeHosts.includes(r.host) && inside(windows, r.t)).length;
  const sqlSelects = selects.countIn(windows);
  return {
    gateSeconds: gateMs / 1000,
    httpRequests,
    sqlSelects,
    perWallSecond: gateMs > 0 ? (httpRequests + sqlSelects) / (gateMs / 1000) : 0,
  };
}
