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
import { decideAcquire, formatHolder, leaseFresh, renewEveryMs, type Holder } from "./lease-rules";
import { RELEASE, RENEW, SCHEMA, interval, readRow, write } from "./lease-sql";

export {
  decideAcquire,
  formatHolder,
  leaseFresh,
  parseHolder,
  renewEveryMs,
  type AcquireStep,
  type Holder,
  type LeaseRow,
} from "./lease-rules";

/** Attempts of read-decide-write before giving up on a lease that keeps changing under us. */
const ACQUIRE_ATTEMPTS = 3;

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
