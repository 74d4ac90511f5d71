/**
 * One rollout at a time per cluster: a lease row in the cluster itself,
 * `crdb_upgrade.lease` (one row, id = 1), so every run that can reach the
 * cluster sees it, whichever stack or machine it comes from.
 *
 * - Fenced: each acquisition gets a new token (the cluster clock in µs, or
 *   the previous token + 1 if larger), and every renew and release is
 *   conditional on it (`WHERE id = 1 AND token = $1`). Zero rows means
 *   another run took the lease: this run stops at the next node boundary.
 * - Expiring: `expires_at` is pushed `ttl` ahead by a heartbeat every ttl/4
 *   while the run lasts. An expired row is taken over (compare-and-swap on
 *   the token it had). A row whose holder is a process on this host that is
 *   gone (a killed `pulumi up`) is taken over at once: waiting out the TTL
 *   would only delay the recovery.
 * - Removable: `SELECT * FROM crdb_upgrade.lease` shows it; when its run is
 *   certainly dead, `DELETE FROM crdb_upgrade.lease` removes it.
 *
 * Expiry is judged by the cluster's clock (`expires_at < now()`), never by
 * ours, so clock skew between operators' machines does not matter.
 * Every statement is valid CockroachDB SQL and runs on the simulator.
 */
import * as fs from "fs";
import * as os from "os";
import { ClusterReader } from "../cluster/reader";
import { LeaseHeld, LeaseLost, messageOf } from "../core/errors";
import type { Emit } from "../core/events";
import type { NodeSpec, Phase, Spec } from "../core/types";

const SCHEMA = [
  "CREATE DATABASE IF NOT EXISTS crdb_upgrade",
  `CREATE TABLE IF NOT EXISTS crdb_upgrade.lease (id INT8 PRIMARY KEY DEFAULT 1, holder STRING NOT NULL, token INT8 NOT NULL,
  acquired_at TIMESTAMPTZ NOT NULL, expires_at TIMESTAMPTZ NOT NULL, target STRING)`,
];
/** The cluster clock in µs: above any token a row removed by hand had, so a stale holder can never match. */
const NEW_TOKEN = "(now()::DECIMAL * 1000000)::INT8";
const READ = `SELECT holder, token::STRING AS token, expires_at::STRING AS expires_at, expires_at < now() AS expired
FROM crdb_upgrade.lease WHERE id = 1`;
const INSERT = `INSERT INTO crdb_upgrade.lease (id, holder, token, acquired_at, expires_at, target)
VALUES (1, $1, ${NEW_TOKEN}, now(), now() + $2::INTERVAL, $3) ON CONFLICT (id) DO NOTHING RETURNING token::STRING AS token`;
const TAKE_OVER = `UPDATE crdb_upgrade.lease SET holder = $2, token = greatest(token + 1, ${NEW_TOKEN}), acquired_at = now(),
  expires_at = now() + $3::INTERVAL, target = $4 WHERE id = 1 AND token = $1::INT8`;
const RETURNING_TOKEN = " RETURNING token::STRING AS token";
const RENEW =
  "UPDATE crdb_upgrade.lease SET expires_at = now() + $2::INTERVAL WHERE id = 1 AND token = $1::INT8 RETURNING token::STRING AS token";
const RELEASE = "DELETE FROM crdb_upgrade.lease WHERE id = 1 AND token = $1::INT8 RETURNING token::STRING AS token";

/** Attempts of read-decide-write before giving up on a lease that keeps changing under us. */
const ACQUIRE_ATTEMPTS = 3;

// ---------------------------------------------------------------------------
// Pure rules (unit-tested with a fake clock).
// ---------------------------------------------------------------------------

/** Who runs a rollout: no secrets, enough for an operator to find the run. */
export interface Holder {
  readonly host: string;
  readonly pid: number;
  /** First 8 characters of the kernel's boot id: a pid means something only within one boot. */
  readonly boot: string;
  /** The rollout's own id (one per update call). */
  readonly run: string;
  readonly resource: string;
  readonly target: string;
}

/** The lease row as read, with expiry judged by the cluster clock. */
export interface LeaseRow {
  readonly holder: string;
  readonly token: string;
  readonly expiresAt: string;
  readonly expired: boolean;
}

export type AcquireStep =
  | { readonly kind: "insert" }
  | { readonly kind: "mine"; readonly token: string }
  | { readonly kind: "take-over"; readonly token: string; readonly requireExpired: boolean; readonly why: string }
  | { readonly kind: "refuse" };

/** `host=web-1 pid=4242 boot=1a2b3c4d run=... resource=crdb-... target=v23.1.12` */
export function formatHolder(h: Holder): string {
  const clean = (s: string | number) => String(s).replace(/[\s=]+/g, "_") || "_";
  return `host=${clean(h.host)} pid=${h.pid} boot=${clean(h.boot)} run=${clean(h.run)} resource=${clean(h.resource)} target=${clean(h.target)}`;
}

/** The holder a row names; undefined for a row written by hand or by another tool. */
export function parseHolder(text: string): Holder | undefined {
  const kv = new Map(text.split(/\s+/).map((p) => p.split("=", 2) as [string, string | undefined]));
  const pid = Number(kv.get("pid"));
  const fields = ["host", "boot", "run", "resource", "target"].map((k) => kv.get(k));
  if (!Number.isInteger(pid) || pid <= 0 || fields.some((f) => f === undefined || f === "")) return undefined;
  const [host, boot, run, resource, target] = fields as string[];
  return { host, pid, boot, run, resource, target };
}

/**
 * What to do about the row found. `isGone` answers for a holder on this
 * host (same boot): true when its run is certainly over; undefined when it
 * cannot tell (another host), which then means "wait for the expiry".
 */
export function decideAcquire(row: LeaseRow | undefined, me: Holder, isGone: (h: Holder) => boolean | undefined): AcquireStep {
  if (row === undefined) return { kind: "insert" };
  const holder = parseHolder(row.holder);
  if (holder && holder.run === me.run && holder.host === me.host && holder.boot === me.boot) return { kind: "mine", token: row.token };
  if (row.expired) return { kind: "take-over", token: row.token, requireExpired: true, why: `it expired at ${row.expiresAt}` };
  if (holder && holder.host === me.host && holder.boot === me.boot && isGone(holder) === true) {
    const where = holder.pid === me.pid ? "an earlier run in this process" : `its process (pid ${holder.pid} on this host)`;
    return { kind: "take-over", token: row.token, requireExpired: false, why: `${where} is gone` };
  }
  return { kind: "refuse" };
}

/** Renew every quarter of the TTL: three renewals may fail before anyone else can take the lease. */
export function renewEveryMs(ttlMs: number): number {
  return Math.max(250, Math.floor(ttlMs / 4));
}

/**
 * Whether the lease can still be counted on without asking the cluster: the
 * last successful renewal is less than 3/4 of the TTL old. Past that, only a
 * successful renewal right now may let the run touch another node.
 */
export function leaseFresh(lastRenewedAt: number, now: number, ttlMs: number): boolean {
  return now - lastRenewedAt < (ttlMs * 3) / 4;
}

// ---------------------------------------------------------------------------
// The lease against a cluster.
// ---------------------------------------------------------------------------

/** Runs of this process that are in progress: a row naming one that is not is left by a dead run. */
const ACTIVE_RUNS = new Set<string>();

export interface LeaseOptions {
  readonly sql: Spec["sql"];
  readonly nodes: readonly NodeSpec[];
  readonly ttlMs: number;
  readonly run: string;
  readonly resource: string;
  readonly target: string;
  readonly emit: Emit;
  /** Defaults to Date.now; the heartbeat's bookkeeping only. */
  readonly now?: () => number;
}

export class ClusterLease {
  private lost?: string;
  private lastRenewedAt: number;
  private timer?: NodeJS.Timeout;
  private renewing?: Promise<void>;

  private constructor(
    private readonly reader: ClusterReader,
    private readonly opts: LeaseOptions,
    readonly holder: string,
    readonly token: string,
  ) {
    this.lastRenewedAt = this.now();
  }

  /** Takes the lease or throws LeaseHeld; starts the heartbeat. */
  static async acquire(opts: LeaseOptions): Promise<ClusterLease> {
    const me = thisHolder(opts);
    const holder = formatHolder(me);
    const reader = new ClusterReader(opts.sql, opts.nodes);
    ACTIVE_RUNS.add(opts.run);
    try {
      for (const stmt of SCHEMA) await reader.rows(stmt);
      for (let attempt = 1; attempt <= ACQUIRE_ATTEMPTS; attempt++) {
        const row = await readRow(reader);
        const step = decideAcquire(row, me, (h) => localRunGone(h, me));
        if (step.kind === "refuse" && row) throw new LeaseHeld(row.holder, row.expiresAt);
        const token = await write(reader, step, { holder, ttlMs: opts.ttlMs, target: opts.target });
        if (token === undefined) continue; // the row changed since we read it: look again
        const why =
          step.kind === "take-over"
            ? `took over the cluster's upgrade lease from ${row?.holder} (${step.why})`
            : "took the cluster's upgrade lease";
        opts.emit({ type: "note", message: `${why}: token ${token}, expires in ${Math.round(opts.ttlMs / 1000)}s unless renewed` });
        const lease = new ClusterLease(reader, opts, holder, token);
        lease.startHeartbeat();
        await reader.close();
        return lease;
      }
      throw new Error(`the lease row kept changing during ${ACQUIRE_ATTEMPTS} attempts`);
    } catch (e) {
      ACTIVE_RUNS.delete(opts.run);
      await reader.close();
      if ((e as LeaseHeld).isLeaseHeld) throw e;
      throw new Error(
        `preflight: refused, no node was touched: cannot take the cluster's upgrade lease (crdb_upgrade.lease): ${messageOf(e)}`,
      );
    }
  }

  /**
   * At a node boundary: renews now (fenced by the token). Throws LeaseLost
   * when another run holds the lease, or when it could not be renewed for
   * so long that another run may take it. `next` is the node not started.
   */
  async confirm(phase: Phase, next?: NodeSpec): Promise<void> {
    await this.renewing;
    if (this.lost === undefined) await this.renew();
    if (this.lost === undefined && !leaseFresh(this.lastRenewedAt, this.now(), this.opts.ttlMs)) {
      this.lost = `could not renew the cluster's upgrade lease for ${Math.round((this.now() - this.lastRenewedAt) / 1000)}s (TTL ${Math.round(this.opts.ttlMs / 1000)}s): another run may take it`;
    }
    if (this.lost !== undefined)
      throw new LeaseLost(
        phase,
        next && { name: next.name, host: next.sqlAddr.host },
        `${this.lost}; stopped at the node boundary, nodes left as they are`,
      );
  }

  /** Stops the heartbeat and deletes the row if it is still ours. Never throws: an unreleased lease expires. */
  async release(): Promise<void> {
    this.stopHeartbeat();
    await this.renewing;
    ACTIVE_RUNS.delete(this.opts.run);
    if (this.lost !== undefined) return this.reader.close();
    try {
      const rows = await this.reader.rows(RELEASE, [this.token]);
      if (rows.length === 0)
        this.opts.emit({ type: "note", message: `the cluster's upgrade lease (token ${this.token}) was no longer ours at release` });
    } catch (e) {
      this.opts.emit({ type: "note", message: `could not release the cluster's upgrade lease (it expires by itself): ${messageOf(e)}` });
    } finally {
      await this.reader.close();
    }
  }

  private startHeartbeat(): void {
    this.timer = setInterval(() => {
      if (this.renewing === undefined && this.lost === undefined) void this.renew();
    }, renewEveryMs(this.opts.ttlMs));
    this.timer.unref();
  }

  private stopHeartbeat(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One fenced renewal. A SQL error is not a loss (the next beat retries); zero rows is. */
  private renew(): Promise<void> {
    const attempt = (async () => {
      try {
        const rows = await this.reader.rows(RENEW, [this.token, interval(this.opts.ttlMs)]);
        if (rows.length > 0) {
          this.lastRenewedAt = this.now();
        } else {
          const row = await readRow(this.reader).catch(() => undefined);
          this.lost = `this run lost the cluster's upgrade lease (token ${this.token}) to ${row ? `${row.holder} (token ${row.token})` : "nobody: the row was removed"}`;
          this.opts.emit({ type: "note", message: `${this.lost}; stopping at the next node boundary` });
          this.stopHeartbeat();
        }
      } catch {
        // Transient (a gateway restarting): freshness decides at the next boundary.
      } finally {
        // No connection is held between beats: an idle session would hold up a node's drain.
        await this.reader.close();
        this.renewing = undefined;
      }
    })();
    this.renewing = attempt;
    return attempt;
  }

  private now(): number {
    return (this.opts.now ?? Date.now)();
  }
}

async function readRow(reader: ClusterReader): Promise<LeaseRow | undefined> {
  const r = (await reader.rows(READ))[0];
  if (r === undefined) return undefined;
  return {
    holder: String(r.holder),
    token: String(r.token),
    expiresAt: String(r.expires_at),
    expired: r.expired === true || r.expired === "t",
  };
}

/** Performs the step; the new token, or undefined when the row changed since it was read. */
async function write(
  reader: ClusterReader,
  step: AcquireStep,
  w: { holder: string; ttlMs: number; target: string },
): Promise<string | undefined> {
  const ttl = interval(w.ttlMs);
  const rows =
    step.kind === "insert"
      ? await reader.rows(INSERT, [w.holder, ttl, w.target])
      : step.kind === "take-over"
        ? await reader.rows(TAKE_OVER + (step.requireExpired ? " AND expires_at < now()" : "") + RETURNING_TOKEN, [
            step.token,
            w.holder,
            ttl,
            w.target,
          ])
        : step.kind === "mine"
          ? await reader.rows(RENEW, [step.token, ttl])
          : [];
  const token = rows[0]?.token;
  return token === undefined ? undefined : String(token);
}

function interval(ms: number): string {
  return `${Math.round(ms)} milliseconds`;
}

function thisHolder(opts: LeaseOptions): Holder {
  return { host: os.hostname(), pid: process.pid, boot: bootId(), run: opts.run, resource: opts.resource, target: opts.target };
}

function bootId(): string {
  try {
    return fs.readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim().slice(0, 8);
  } catch {
    return "unknown";
  }
}

/** For a holder on this host: is its run over? Its process is gone, or (same process) the run is no longer active. */
function localRunGone(h: Holder, me: Holder): boolean | undefined {
  if (h.host !== me.host || h.boot !== me.boot || h.boot === "unknown") return undefined;
  if (h.pid === me.pid) return !ACTIVE_RUNS.has(h.run);
  return !processAlive(h.pid);
}

/** Alive and not a zombie (a killed process its parent has not reaped yet is gone). */
function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EPERM") return false;
  }
  try {
    return fs.readFileSync(`/proc/${pid}/stat`, "utf8").replace(/.*\) /, "")[0] !== "Z";
  } catch {
    return true; // no /proc: assume alive, the lease then expires by its TTL
  }
}
