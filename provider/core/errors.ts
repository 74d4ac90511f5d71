/**
 * Every error kind the provider raises, one class each, with a brand field
 * and an `isX()` guard. Guards test the brand, not the class, so they work
 * when two copies of this module are loaded (the engine's serialized copy and
 * the package's own).
 *
 * Messages follow one form, built by one function, `failureMessage`:
 * "<phase> node <name> (<host>): <what>: <cause>" — or "<phase>: <what>:
 * <cause>" when no single node is concerned; ": <cause>" only when there is
 * one. "(<host>)" is always the node's SQL host (`sqlAddr.host`, see
 * `subjectOf`): the address the cluster itself reports for the node (`cockroach
 * node status`), defined for every node, local or SSH. Where the failure was
 * reaching the host, the cause is a TransportError whose text starts with the
 * transport ("ssh user@host:port"), so the SSH endpoint is named there.
 *
 * No message may contain a secret: callers pass only names, hosts, phases and
 * command output that was produced without secrets.
 */
import type { CheckFailure, Phase } from "./types";

/** Whom a message is about: the node's name and its SQL host. */
export interface NodeSubject {
  readonly name: string;
  readonly host: string;
}

/** The subject of a node: its name and SQL host (never the SSH host: see the header). */
export function subjectOf(node: { readonly name: string; readonly sqlAddr: { readonly host: string } }): NodeSubject {
  return { name: node.name, host: node.sqlAddr.host };
}

/** The one message form: "<phase> node <name> (<host>): <what>: <cause>" (node and cause optional). */
export function failureMessage(phase: Phase, node: NodeSubject | undefined, what: string, cause?: string): string {
  const head = node ? `${phase} node ${node.name} (${node.host})` : phase;
  return `${head}: ${what}${cause ? `: ${cause}` : ""}`;
}

/**
 * The same error with its message changed (what the run did next appended,
 * or a redaction): same class, brand and fields, so `isX()` still holds and
 * the final error of a failed run keeps its type. The original is its `cause`.
 */
export function rewordError<E extends Error>(e: E, edit: (message: string) => string): E {
  const copy = Object.create(Object.getPrototypeOf(e) as object) as E;
  Object.assign(copy, e);
  const message = edit(e.message);
  Object.defineProperty(copy, "message", { value: message, writable: true, configurable: true, enumerable: false });
  const stack = e.stack ?? `${e.name}: ${e.message}`;
  Object.defineProperty(copy, "stack", {
    value: stack.startsWith(`${e.name}: ${e.message}`)
      ? `${e.name}: ${message}${stack.slice(e.name.length + 2 + e.message.length)}`
      : stack,
    writable: true,
    configurable: true,
    enumerable: false,
  });
  if (!("cause" in copy)) Object.defineProperty(copy, "cause", { value: e, writable: true, configurable: true, enumerable: false });
  return copy;
}

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
    readonly node?: NodeSubject,
  ) {
    super(failureMessage(phase, node, what));
    this.name = "GateFailed";
  }
}

/** An operation on one node failed (drain, stop, swap, start...). */
export class NodeOpFailed extends Error {
  readonly isNodeOpFailed = true;
  constructor(
    readonly phase: Phase,
    readonly node: NodeSubject,
    readonly what: string,
    readonly causeText?: string,
  ) {
    super(failureMessage(phase, node, what, causeText));
    this.name = "NodeOpFailed";
  }
}

/**
 * A phase failed with no more specific kind: a hook, staging across nodes, a
 * release that cannot be used, the lease table. `node` when one node is concerned.
 */
export class PhaseFailed extends Error {
  readonly isPhaseFailed = true;
  constructor(
    readonly phase: Phase,
    readonly node: NodeSubject | undefined,
    readonly what: string,
    readonly causeText?: string,
  ) {
    super(failureMessage(phase, node, what, causeText));
    this.name = "PhaseFailed";
  }
}

/**
 * What the cluster or a host answered cannot be read (an HTTP status, a body
 * that is not the expected JSON, a SQL error). Callers mostly fold it into a
 * gate sample or an observation's errors; the message is the reason alone,
 * and the caller adds phase and node.
 */
export class ReadFailed extends Error {
  readonly isReadFailed = true;
  constructor(
    readonly what: string,
    readonly causeText?: string,
  ) {
    super(`${what}${causeText ? `: ${causeText}` : ""}`);
    this.name = "ReadFailed";
  }
}

/**
 * A value that cannot be used: a version string, a host key, a setting or
 * variable name. Pure parsers throw it; spec validation turns it into a
 * check failure naming the field.
 */
export class InvalidValue extends Error {
  readonly isInvalidValue = true;
  constructor(readonly reason: string) {
    super(reason);
    this.name = "InvalidValue";
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
      failureMessage(
        "preflight",
        undefined,
        `refused, no node was touched: another rollout holds this cluster's upgrade lease (holder ${holder}; expires ${expiresAt} UTC unless renewed). ` +
          "Wait for that run to finish (an expired lease is taken over automatically), or, if it is certainly dead, " +
          "remove the lease with DELETE FROM crdb_upgrade.lease (see it with SELECT * FROM crdb_upgrade.lease)",
      ),
    );
    this.name = "LeaseHeld";
  }
}

/** This run lost the cluster's lease (taken over, removed, or not renewable): it stops before the next node. */
export class LeaseLost extends Error {
  readonly isLeaseLost = true;
  constructor(
    readonly phase: Phase,
    readonly node: NodeSubject | undefined,
    readonly what: string,
  ) {
    super(failureMessage(phase, node, "not started", what));
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
export const isPhaseFailed = (e: unknown): e is PhaseFailed => hasBrand(e, "isPhaseFailed");
export const isReadFailed = (e: unknown): e is ReadFailed => hasBrand(e, "isReadFailed");
export const isInvalidValue = (e: unknown): e is InvalidValue => hasBrand(e, "isInvalidValue");

/** The message of anything thrown, for records and reasons. */
export function messageOf(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}
