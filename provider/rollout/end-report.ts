/**
 * Every run reports the cluster's condition at its end. A run can succeed
 * while a node is down: one killed during finalization's migrations (no
 * gate runs then, and CockroachDB finishes them without it), or one that
 * went down and came back while the gate was being waited for. The run's
 * outcome stays what it was; the condition is a warning that names the node,
 * printed and kept in `lastRollout.warnings`.
 *
 * Pure: it reads the run's events (fed one by one) and the observation taken
 * after the run; lifecycle.ts does the I/O.
 */
import type { RolloutEvent } from "../core/events";
import type { ObservedNode } from "../core/types";

/** Phases in which this run itself takes a node down: its own node is not news. */
const TAKES_DOWN = new Set(["drain", "stop", "swap-binary", "start", "await-node", "rollback"]);

/** One node that was not live in a gate sample, and when it was first seen so. */
interface SeenDown {
  readonly at: string;
  readonly detail: string;
}

export class EndReporter {
  /** Nodes the run has in hand right now (taken down by itself, not yet baked). */
  private readonly inHand = new Set<string>();
  private readonly seenDown = new Map<string, SeenDown>();

  /** An Emit-compatible observer: pass every event of the run. */
  readonly observe = (e: RolloutEvent): void => {
    if (e.type === "phase-start" && e.at && TAKES_DOWN.has(e.phase)) this.inHand.add(e.at.node);
    else if (e.type === "node-done") this.inHand.delete(e.at.node);
    else if (e.type === "phase-end" && e.at && e.phase === "bake") this.inHand.delete(e.at.node);
    else if (e.type === "gate-sample" && !e.sample.ok) {
      for (const name of notLiveIn(e.sample.detail)) {
        if (this.inHand.has(name) || e.at?.node === name || this.seenDown.has(name)) continue;
        this.seenDown.set(name, { at: e.sample.at, detail: e.sample.detail });
      }
    }
  };

  /** The warnings for the end of the run: nodes not well now, then nodes that were down during it. */
  report(nodes: readonly ObservedNode[]): string[] {
    const now = nodes.flatMap((n) => {
      const what = conditionOf(n);
      return what === undefined ? [] : [{ name: n.name, text: `${n.name} is ${what} at the end of the run` }];
    });
    const bad = new Set(now.map((w) => w.name));
    const earlier = [...this.seenDown.entries()]
      .filter(([name]) => !bad.has(name))
      .map(([name, s]) => `${name} went down during the run (not live at ${s.at}: ${s.detail}); it is back now`);
    return [...now.map((w) => w.text), ...earlier];
  }
}

/** What is wrong with a node now, in the operator's words; undefined when it is running, live and ready. */
export function conditionOf(n: ObservedNode): string | undefined {
  if (n.process === "stopped") return "down (its process is not running)";
  if (n.process === "unknown" && !n.live) return "down (its process cannot be seen and the cluster does not count it live)";
  if (n.draining || n.process === "draining") return "draining (it refuses new SQL clients)";
  if (!n.live) return "not live (the cluster does not count it live)";
  if (!n.ready) return "not ready (/health?ready=1 does not answer 200)";
  return undefined;
}

/** The names a gate sample lists as not live ("...; not live: n1, n2; ..."). */
export function notLiveIn(detail: string): string[] {
  const m = /not live: ([^;]+)/.exec(detail);
  if (!m) return [];
  return m[1]
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
}
