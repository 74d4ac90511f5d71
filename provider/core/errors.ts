/**
 * Every error kind the provider raises, one class each, with a brand field
 * and an `isX()` guard. Guards test the brand, not the class, so they work
 * when two copies of this module are loaded (the engine's serialized copy and
 * the package's own).
 *
 * Messages follow one form: "<phase> node <name> (<host>): <what>: <cause>".
 * No message may contain a secret: callers pass only names, hosts, phases and
 * command output that was produced without secrets.
 */
import type { CheckFailure, Phase } from "./types";

/** Inputs that cannot be used. Raised before anything on the cluster is touched. */
export class SpecError extends Error {
  readonly isSpecError = true;
  constructor(readonly failures: readonly CheckFailure[]) {
    super(failures.map((f) => `${f.property}: ${f.reason}`).join("; "));
    this.name = "SpecError";
  }
}

/** A version move CockroachDB does not allow. */
export class UpgradeNotAllowed extends Error {
  readonly isUpgradeNotAllowed = true;
  constructor(
    readonly from: string,
    readonly to: string,
    readonly reason: string,
    /** Versions (series or tags) that are allowed next from `from`. */
    readonly allowedNext: readonly string[] = [],
    /** A multi-step path to `to`, when one exists. */
    readonly path: readonly string[] = [],
  ) {
    super(UpgradeNotAllowed.render(from, to, reason, allowedNext, path));
    this.name = "UpgradeNotAllowed";
  }

  private static render(from: string, to: string, reason: string, allowed: readonly string[], path: readonly string[]): string {
    let msg = `cannot move from ${from} to ${to}: ${reason}`;
    if (allowed.length > 0) msg += `; allowed next: ${allowed.join(", ")}`;
    if (path.length > 0) msg += `; upgrade one step at a time: ${path.join(" -> ")}`;
    return msg;
  }
}

/** A health gate did not hold (pre-flight, per node, or cluster-wide). */
export class GateFailed extends Error {
  readonly isGateFailed = true;
  constructor(
    readonly phase: Phase,
    readonly what: string,
    readonly node?: { readonly name: string; readonly host: string },
  ) {
    super(node ? `${phase} node ${node.name} (${node.host}): ${what}` : `${phase}: ${what}`);
    this.name = "GateFailed";
  }
}

/** An operation on one node failed (drain, stop, swap, start...). */
export class NodeOpFailed extends Error {
  readonly isNodeOpFailed = true;
  constructor(
    readonly phase: Phase,
    readonly node: { readonly name: string; readonly host: string },
    readonly what: string,
    readonly causeText?: string,
  ) {
    super(`${phase} node ${node.name} (${node.host}): ${what}${causeText ? `: ${causeText}` : ""}`);
    this.name = "NodeOpFailed";
  }
}

/** We could not ask the host at all: connect, auth, host key, dropped connection, timeout. */
export class TransportError extends Error {
  readonly isTransportError = true;
  constructor(
    readonly transport: string,
    readonly what: string,
    readonly causeText?: string,
  ) {
    super(`${transport}: ${what}${causeText ? `: ${causeText}` : ""}`);
    this.name = "TransportError";
  }
}

/**
 * Another rollout holds the cluster's upgrade lease (crdb_upgrade.lease).
 * Raised before anything is touched; says how to see and remove the lease.
 */
export class LeaseHeld extends Error {
  readonly isLeaseHeld = true;
  constructor(
    readonly holder: string,
    readonly expiresAt: string,
  ) {
    super(
      `preflight: refused, no node was touched: another rollout holds this cluster's upgrade lease (holder ${holder}; expires ${expiresAt} UTC unless renewed). ` +
        "Wait for that run to finish (an expired lease is taken over automatically), or, if it is certainly dead, " +
        "remove the lease with DELETE FROM crdb_upgrade.lease (see it with SELECT * FROM crdb_upgrade.lease)",
    );
    this.name = "LeaseHeld";
  }
}

/** This run lost the cluster's lease (taken over, removed, or not renewable): it stops before the next node. */
export class LeaseLost extends Error {
  readonly isLeaseLost = true;
  constructor(
    readonly phase: Phase,
    readonly node: { readonly name: string; readonly host: string } | undefined,
    readonly what: string,
  ) {
    super(node ? `${phase} node ${node.name} (${node.host}): not started: ${what}` : `${phase}: not started: ${what}`);
    this.name = "LeaseLost";
  }
}

function hasBrand(e: unknown, brand: string): boolean {
  return typeof e === "object" && e !== null && (e as Record<string, unknown>)[brand] === true;
}

export const isSpecError = (e: unknown): e is SpecError => hasBrand(e, "isSpecError");
export const isUpgradeNotAllowed = (e: unknown): e is UpgradeNotAllowed => hasBrand(e, "isUpgradeNotAllowed");
export const isGateFailed = (e: unknown): e is GateFailed => hasBrand(e, "isGateFailed");
export const isNodeOpFailed = (e: unknown): e is NodeOpFailed => hasBrand(e, "isNodeOpFailed");
export const isTransportError = (e: unknown): e is TransportError => hasBrand(e, "isTransportError");
export const isLeaseHeld = (e: unknown): e is LeaseHeld => hasBrand(e, "isLeaseHeld");
export const isLeaseLost = (e: unknown): e is LeaseLost => hasBrand(e, "isLeaseLost");

/** The message of anything thrown, for records and reasons. */
export function messageOf(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}

/**
 * The same error (its kind, phase and node kept) with a new message: a failed
 * run's final error says what the rollback did, yet callers can still ask
 * what kind of failure it was.
 */
export function restate(e: Error, message: string): Error {
  const out = Object.create(Object.getPrototypeOf(e) as object) as Error;
  Object.assign(out, e);
  Object.defineProperty(out, "message", { value: message, enumerable: false, writable: true, configurable: true });
  Object.defineProperty(out, "cause", { value: e, enumerable: false, writable: true, configurable: true });
  out.stack = `${e.name}: ${message}`;
  return out;
}
