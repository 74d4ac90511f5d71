/**
 * Waiting, with cancellation. Every wait in the provider goes through here so
 * that an abort (overall deadline, or the caller's signal) ends it at once.
 */
import { setMaxListeners } from "events";

export class Aborted extends Error {
  readonly isAborted = true;
  constructor(readonly why: string) {
    super(why);
    this.name = "Aborted";
  }
}

export function isAborted(e: unknown): e is Aborted {
  return typeof e === "object" && e !== null && (e as { isAborted?: unknown }).isAborted === true;
}

/** Resolves after `ms`, or rejects with Aborted when the signal fires first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new Aborted(reasonOf(signal)));
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(new Aborted(reasonOf(signal)));
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

export function throwIfAborted(signal?: AbortSignal): void {
  if (signal?.aborted) throw new Aborted(reasonOf(signal));
}

function reasonOf(signal?: AbortSignal): string {
  const r = signal?.reason as unknown;
  if (r instanceof Error) return r.message;
  return typeof r === "string" ? r : "aborted";
}

/**
 * A signal that fires when the parent fires or after `ms` (the overall
 * deadline). `dispose` clears the timer so a finished run leaves nothing behind.
 */
export function deadlineSignal(ms: number, parent?: AbortSignal): { readonly signal: AbortSignal; dispose(): void } {
  const ctl = new AbortController();
  // Every wait and command of a run listens on this one signal; many at once is expected.
  setMaxListeners(0, ctl.signal);
  const timer = setTimeout(() => ctl.abort(`overall deadline of ${Math.round(ms / 1000)}s passed`), ms);
  const onParent = (): void => ctl.abort(parent?.reason ?? "aborted");
  if (parent?.aborted) onParent();
  else parent?.addEventListener("abort", onParent, { once: true });
  return {
    signal: ctl.signal,
    dispose: () => {
      clearTimeout(timer);
      parent?.removeEventListener("abort", onParent);
    },
  };
}

/**
 * How often the node-ready wait polls the restarted node: as often as the
 * gate samples, at most once a second. The bake counts from the rejoin that
 * poll sees, so a slower poll only delays the next node (by up to one poll),
 * never shortens its bake; faster than 1 s only adds requests to a node that
 * is busy catching up.
 */
export function readyPollMs(gateIntervalMs: number): number {
  return Math.min(gateIntervalMs, 1_000);
}
