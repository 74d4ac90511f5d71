/**
 * The lease's pure rules: who holds it, what an acquiring run does with the
 * row it found, when to renew (unit-tested with a fake clock).
 */
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
