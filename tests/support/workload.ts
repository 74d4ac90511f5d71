/**
 * A client workload, as an application behind a load balancer runs it: a
 * small node-postgres Pool writing unique keys and reading back earlier
 * acknowledged ones, recording every operation's latency and outcome.
 *
 * Retry policy (what a well-behaved client does, nothing more): an operation
 * is retried ONCE, and only when the error says the connection, not the
 * statement, failed — SQLSTATE 57P01 (admin_shutdown: the node is draining),
 * class 08 (connection exception), or a socket error (ECONNRESET,
 * ECONNREFUSED, EPIPE, "Connection terminated"). Anything else, or a second
 * failure, counts as a failed operation.
 *
 *   const w = Workload.start({ addr: lb.addr, maxMs: 60_000 });
 *   ... roll the cluster ...
 *   const r = await w.stop();              // or await w.done
 *   const v = await verifyAcked(w.acked, [lb.addr, ...nodeAddrs]);
 */
import { Client, Pool, type PoolConfig } from "pg";

export interface WorkloadOptions {
  /** host:port to connect to (the load balancer). */
  readonly addr: string;
  /** Concurrent workers, each with at most one connection from the pool. Defaults to 4. */
  readonly concurrency?: number;
  /** Stop after this many operations. Defaults to no limit (then maxMs must bound it). */
  readonly maxOps?: number;
  /** Stop after this long, ms. Defaults to 5 minutes. */
  readonly maxMs?: number;
  /** Fraction of reads once there are acked writes. Defaults to 0.5. */
  readonly readRatio?: number;
  /** First key; runs against the same table use different bases. Defaults to a time-based value. */
  readonly keyBase?: number;
  /** Per-statement timeout, ms. Defaults to 10s (a hang is a failure, not a wait). */
  readonly statementTimeoutMs?: number;
  /** Pause between a worker's operations, ms. Defaults to 5 (keeps 2 shared cores usable). */
  readonly pauseMs?: number;
  /**
   * Statements per pooled connection before it is closed and a new one made
   * through the load balancer. Defaults to 25: many clients reconnect often
   * (short-lived processes, pool lifetimes), and new connections are what a
   * draining node refuses.
   */
  readonly connectionMaxUses?: number;
  /**
   * Drop the kv table first. The simulator's table store rewrites one JSON
   * file per write, so its latency grows with the table: runs compared with
   * each other should each start from an empty table.
   */
  readonly freshTable?: boolean;
}

export interface OpRecord {
  /** Wall time the operation started (ms since epoch). */
  readonly t: number;
  readonly kind: "write" | "read";
  /** Total latency including a retry, ms. */
  readonly ms: number;
  readonly ok: boolean;
  readonly retried: boolean;
  /** The error(s), for failed or retried operations: "57P01 server is not accepting clients ...". */
  readonly errors?: readonly string[];
}

export interface WorkloadStats {
  readonly ops: number;
  /** Operations that failed after the retry (or without one, when not retryable). */
  readonly failures: number;
  /** Operations that needed the retry (whether or not it succeeded). */
  readonly retried: number;
  readonly ackedWrites: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Distinct error messages of failed operations, with counts. */
  readonly failureKinds: Readonly<Record<string, number>>;
  /** Distinct first-attempt errors of retried operations, with counts. */
  readonly retryKinds: Readonly<Record<string, number>>;
}

export class Workload {
  readonly records: OpRecord[] = [];
  /** Every acknowledged write: key -> value. */
  readonly acked = new Map<number, string>();
  readonly startedAt = Date.now();
  readonly done: Promise<WorkloadStats>;
  private stopping = false;
  private nextKey: number;
  private readonly pool: Pool;

  private constructor(private readonly opts: WorkloadOptions) {
    this.nextKey = opts.keyBase ?? (Date.now() % 1_000_000_000) * 100;
    this.pool = new Pool(poolConfig(opts));
    // An idle pooled connection that the server (or HAProxy) closes emits here; the pool drops it.
    this.pool.on("error", () => undefined);
    this.done = this.run();
  }

  /** Creates the kv table through `addr` and starts the workers. */
  static start(opts: WorkloadOptions): Workload {
    return new Workload(opts);
  }

  /** Ends the workers after their current operation; resolves with the stats. */
  async stop(): Promise<WorkloadStats> {
    this.stopping = true;
    return this.done;
  }

  /** Stats over the operations that started in [from, to). */
  stats(from = 0, to = Number.POSITIVE_INFINITY): WorkloadStats {
    return statsOf(
      this.records.filter((r) => r.t >= from && r.t < to),
      this.acked.size,
    );
  }

  private async run(): Promise<WorkloadStats> {
    try {
      if (this.opts.freshTable) await this.pool.query("DROP TABLE IF EXISTS kv");
      await this.pool.query("CREATE TABLE IF NOT EXISTS kv (k INT PRIMARY KEY, v STRING)");
      const deadline = this.startedAt + (this.opts.maxMs ?? 300_000);
      const workers = Array.from({ length: this.opts.concurrency ?? 4 }, () => this.worker(deadline));
      await Promise.all(workers);
    } finally {
      await this.pool.end().catch(() => undefined);
    }
    return this.stats();
  }

  private async worker(deadline: number): Promise<void> {
    const maxOps = this.opts.maxOps ?? Number.POSITIVE_INFINITY;
    while (!this.stopping && Date.now() < deadline && this.records.length < maxOps) {
      const keys = [...this.acked.keys()];
      const read = keys.length > 0 && Math.random() < (this.opts.readRatio ?? 0.5);
      this.records.push(read ? await this.readOne(keys[Math.floor(Math.random() * keys.length)]) : await this.writeOne());
      await new Promise((r) => setTimeout(r, this.opts.pauseMs ?? 5));
    }
  }

  private async writeOne(): Promise<OpRecord> {
    const k = this.nextKey++;
    const v = `v-${k}`;
    const rec = await this.timed("write", () => this.pool.query("INSERT INTO kv (k, v) VALUES ($1, $2)", [k, v]).then(() => undefined));
    if (rec.ok) this.acked.set(k, v);
    return rec;
  }

  private readOne(k: number): Promise<OpRecord> {
    const want = this.acked.get(k);
    return this.timed("read", async () => {
      const r = await this.pool.query("SELECT v FROM kv WHERE k = $1", [k]);
      const got = r.rows[0]?.v as string | undefined;
      // A wrong or missing value is a statement-level failure: never retried.
      if (got !== want)
        throw Object.assign(new Error(`read of acked key ${k} returned ${got === undefined ? "no row" : JSON.stringify(got)}`), {
          code: "LOST",
        });
    });
  }

  private async timed(kind: OpRecord["kind"], op: () => Promise<void>): Promise<OpRecord> {
    const t = Date.now();
    const errors: string[] = [];
    for (let attempt = 1; attempt <= 2; attempt++) {
      try {
        await op();
        return { t, kind, ms: Date.now() - t, ok: true, retried: attempt > 1, ...(errors.length ? { errors } : {}) };
      } catch (e) {
        errors.push(describeError(e));
        if (!isConnectionLevel(e)) break;
      }
    }
    return { t, kind, ms: Date.now() - t, ok: false, retried: errors.length > 1, errors };
  }
}

/** SQLSTATE 57P01, class 08, or a socket-level error: the connection failed, not the statement. */
export function isConnectionLevel(e: unknown): boolean {
  const err = e as { code?: unknown; message?: unknown };
  const code = typeof err.code === "string" ? err.code : "";
  if (code === "57P01" || /^08[0-9A-Z]{3}$/.test(code)) return true;
  if (["ECONNRESET", "ECONNREFUSED", "EPIPE"].includes(code)) return true;
  return /Connection terminated/i.test(String(err.message ?? ""));
}

function describeError(e: unknown): string {
  const err = e as { code?: unknown; message?: unknown };
  const code = typeof err.code === "string" ? `${err.code} ` : "";
  return `${code}${String(err.message ?? e)}`.slice(0, 160);
}

function poolConfig(opts: WorkloadOptions): PoolConfig {
  const [host, port] = splitHostPort(opts.addr);
  return {
    host,
    port,
    user: "root",
    database: "defaultdb",
    max: opts.concurrency ?? 4,
    maxUses: opts.connectionMaxUses ?? 25,
    connectionTimeoutMillis: 5000,
    query_timeout: opts.statementTimeoutMs ?? 10_000,
    application_name: "workload",
  };
}

function splitHostPort(addr: string): [string, number] {
  const i = addr.lastIndexOf(":");
  return [addr.slice(0, i), Number(addr.slice(i + 1))];
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

function statsOf(records: readonly OpRecord[], ackedWrites: number): WorkloadStats {
  const ms = records.map((r) => r.ms).sort((a, b) => a - b);
  const count = (list: readonly string[]): Record<string, number> => {
    const out: Record<string, number> = {};
    for (const m of list) out[m] = (out[m] ?? 0) + 1;
    return out;
  };
  const failed = records.filter((r) => !r.ok);
  const retried = records.filter((r) => r.retried || (r.ok && r.errors));
  return {
    ops: records.length,
    failures: failed.length,
    retried: retried.length,
    ackedWrites,
    p50Ms: percentile(ms, 50),
    p99Ms: percentile(ms, 99),
    failureKinds: count(failed.map((r) => (r.errors ?? []).join(" / then: "))),
    retryKinds: count(retried.map((r) => normalise(r.errors?.[0] ?? ""))),
  };
}

/** Error kinds without the per-operation details (keys, addresses). */
function normalise(msg: string): string {
  return msg.replace(/\d+/g, "N");
}

export interface Verification {
  readonly addr: string;
  readonly rows: number;
  /** Acked keys this address does not return, or returns with another value. */
  readonly missing: readonly number[];
  readonly error?: string;
}

/** Reads the whole kv table at each address and checks every acknowledged write is there. */
export async function verifyAcked(acked: ReadonlyMap<number, string>, addrs: readonly string[]): Promise<Verification[]> {
  return Promise.all(
    addrs.map(async (addr) => {
      const [host, port] = splitHostPort(addr);
      const c = new Client({ host, port, user: "root", database: "defaultdb", connectionTimeoutMillis: 5000, query_timeout: 30_000 });
      c.on("error", () => undefined);
      try {
        await c.connect();
        const r = await c.query("SELECT k, v FROM kv");
        const seen = new Map<number, string>(r.rows.map((row: { k: string | number; v: string }) => [Number(row.k), row.v]));
        const missing = [...acked].filter(([k, v]) => seen.get(k) !== v).map(([k]) => k);
        return { addr, rows: r.rows.length, missing };
      } catch (e) {
        return { addr, rows: 0, missing: [...acked.keys()], error: describeError(e) };
      } finally {
        await c.end().catch(() => undefined);
      }
    }),
  );
}
