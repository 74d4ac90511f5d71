/**
 * The whole-cluster watch, from the first disruption to the end of the run:
 * every gate interval, every listed node's process, liveness and readiness
 * (cluster-now.ts), not only the node in hand.
 *
 * The run tells the watch which nodes it holds down on purpose (from the
 * drain until the node is ready again). Any other node seen down or unready
 * on `threshold` consecutive samples is a failure: an upgraded node that
 * crashed, a peer that died. The watch then aborts its signal, which the run
 * waits under, so no further node is touched, within a few gate intervals —
 * not at some phase's deadline. The failure names the node, since when it
 * has been down, what the run was doing, and what every node runs now.
 *
 * The judgement of one sample is pure (`judgeSample`); the loop runs on an
 * injected clock.
 */
import { setMaxListeners } from "events";
import { conditionOf, describeCluster, type ClusterNow } from "../cluster/now";
import { GateFailed } from "../core/errors";
import { realClock, type Clock } from "./guard";
import type { Phase } from "../core/types";

/** Consecutive bad samples before a node counts as failed: one slow answer is not a crash. */
export const WATCH_THRESHOLD = 3;

export interface WatchState {
  /** Per node not held: consecutive bad samples, and when the first of them was taken. */
  readonly bad: ReadonlyMap<string, { readonly count: number; readonly since: number }>;
}

/** Pure: the next state after one sample, and the nodes that crossed the threshold. */
export function judgeSample(
  prev: WatchState,
  now: ClusterNow,
  held: ReadonlySet<string>,
  threshold: number,
  /** Nodes already bad when the watch began and not seen up since: the guard's to count, not a new failure. */
  exempt: ReadonlySet<string> = new Set(),
): { state: WatchState; failed: readonly string[] } {
  const bad = new Map<string, { count: number; since: number }>();
  const failed: string[] = [];
  for (const n of now.nodes) {
    if (held.has(n.name) || exempt.has(n.name)) continue;
    const c = conditionOf(n);
    // Draining by someone else is not a crash: the guard counts it, the watch does not fail on it.
    if (c === "up" || c === "draining") continue;
    const before = prev.bad.get(n.name);
    const next = { count: (before?.count ?? 0) + 1, since: before?.since ?? now.at };
    bad.set(n.name, next);
    if (next.count >= threshold) failed.push(n.name);
  }
  return { state: { bad }, failed };
}

export interface WatchOptions {
  /** One look at every node; `held`: the nodes held down now, which the look need not ask about (cluster/now.ts). */
  readonly read: (signal?: AbortSignal, held?: ReadonlySet<string>) => Promise<ClusterNow>;
  readonly intervalMs: number;
  readonly threshold?: number;
  readonly clock?: Clock;
  /** Host of each node, for the error's subject. */
  readonly hostOf: (name: string) => string;
}

export class ClusterWatch {
  private readonly ctl = new AbortController();
  private readonly stopCtl = new AbortController();
  private readonly held = new Set<string>();
  private state: WatchState = { bad: new Map() };
  private loop?: Promise<void>;
  private activity: { phase: Phase; node?: string } = { phase: "drain" };
  /** Bad at the first sample (before this run disturbed anything): exempt until seen up. */
  private exempt?: Set<string>;
  /** The latest sample, for reports. */
  latest?: ClusterNow;
  /** Set once a node not held has failed; the signal is aborted with it. */
  failure?: GateFailed;

  constructor(private readonly opts: WatchOptions) {
    // Each sample reads every node at once (process state, /health, /_status/vars): two or three abort
    // listeners per node on this signal while the sample runs, each removed when its read ends
    // (transport/http.ts, transport/local.ts). Node's default cap of 10 warned from 4 nodes on.
    setMaxListeners(0, this.stopCtl.signal);
  }

  /** Fires when the watch found a failure. */
  get signal(): AbortSignal {
    return this.ctl.signal;
  }

  start(): void {
    if (this.loop) return;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.stopCtl.abort();
    await this.loop;
  }

  /** These nodes are down on purpose (this run drains/restarts them) until released. */
  hold(names: readonly string[]): void {
    for (const n of names) this.held.add(n);
  }

  release(names: readonly string[]): void {
    for (const n of names) this.held.delete(n);
  }

  isHeld(name: string): boolean {
    return this.held.has(name);
  }

  /** What the run does now, for the failure message. */
  doing(phase: Phase, node?: string): void {
    this.activity = { phase, node };
  }

  /** Since when the node has been seen bad (epoch ms), if it is now. */
  downSince(name: string): number | undefined {
    return this.state.bad.get(name)?.since;
  }

  /** Takes one sample now (the guard's read shares it). */
  async sample(signal?: AbortSignal): Promise<ClusterNow> {
    // A node released while this look is in flight is judged with its process unknown: never up unless its
    // /health?ready=1 answered 200, as if asked (only a systemd "deactivating" would have read as draining).
    const now = await this.opts.read(signal, new Set(this.held));
    this.latest = now;
    if (this.exempt === undefined) {
      this.exempt = new Set(now.nodes.filter((n) => !this.held.has(n.name) && conditionOf(n) !== "up").map((n) => n.name));
    }
    for (const n of now.nodes) if (conditionOf(n) === "up") this.exempt.delete(n.name);
    const { state, failed } = judgeSample(this.state, now, this.held, this.opts.threshold ?? WATCH_THRESHOLD, this.exempt);
    this.state = state;
    if (failed.length > 0 && !this.failure) this.fail(failed[0], now);
    return now;
  }

  private async run(): Promise<void> {
    const clock = this.opts.clock ?? realClock;
    while (!this.stopCtl.signal.aborted) {
      try {
        await this.sample(this.stopCtl.signal);
        await clock.sleep(this.opts.intervalMs, this.stopCtl.signal);
      } catch {
        if (this.stopCtl.signal.aborted) return;
      }
    }
  }

  /**
   * After a step failed: a fresh sample, and the first node outside `inHand`
   * (and not held) that is down or unready now, as the failure to report.
   */
  async blameOther(inHand: readonly string[]): Promise<GateFailed | undefined> {
    const now = await this.sample();
    if (this.failure) return this.failure;
    const name = [...this.state.bad.keys()].find((n) => !inHand.includes(n));
    return name === undefined ? undefined : this.failureFor(name, now);
  }

  private fail(name: string, now: ClusterNow): void {
    this.failure = this.failureFor(name, now);
    this.ctl.abort(this.failure);
  }

  private failureFor(name: string, now: ClusterNow): GateFailed {
    const since = this.state.bad.get(name)?.since ?? now.at;
    const node = now.nodes.find((n) => n.name === name);
    const what = node ? conditionOf(node) : "down";
    const doing = this.activity.node ? ` while ${this.activity.node} was in ${this.activity.phase}` : ` during ${this.activity.phase}`;
    const count = this.state.bad.get(name)?.count ?? 1;
    // The node in hand failing is reported in its own phase; any other node under the watch's.
    const phase = this.activity.node === name ? this.activity.phase : "watch";
    return new GateFailed(
      phase,
      `${name} ${what} since ${new Date(since).toISOString()} (${count} sample(s), ${Math.round((now.at - since) / 1000)}s)${doing}; no further node is touched; cluster now: ${describeCluster(now)}`,
      { name, host: this.opts.hostOf(name) },
    );
  }
}

/** Fires when either fires (the run's own signal, or the watch's); the first to fire unhooks the other. */
export function eitherSignal(a: AbortSignal | undefined, b: AbortSignal): AbortSignal {
  if (!a) return b;
  const ctl = new AbortController();
  setMaxListeners(0, ctl.signal);
  if (a.aborted || b.aborted) {
    ctl.abort((a.aborted ? a : b).reason);
    return ctl.signal;
  }
  const onA = (): void => fire(a);
  const onB = (): void => fire(b);
  const fire = (s: AbortSignal): void => {
    a.removeEventListener("abort", onA);
    b.removeEventListener("abort", onB);
    if (!ctl.signal.aborted) ctl.abort(s.reason);
  };
  a.addEventListener("abort", onA, { once: true });
  b.addEventListener("abort", onB, { once: true });
  return ctl.signal;
}
