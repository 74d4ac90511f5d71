/**
 * The store gauge `raftlog.behind` ("Number of Raft log entries followers on
 * other stores are behind"): each Raft leader sums, over its followers,
 * `commit - match` (CR `pkg/kv/kvserver/replica_metrics.go`,
 * `calcBehindCount`), and the store adds it up over the ranges it leads.
 *
 * In the simulator the leaseholder is the leader, and a follower lags only
 * while its node is inside the post-restart catch-up window (#101321): the
 * entries it missed while down are applied at an even rate until the window
 * ends. So a range with a replica on a catching-up node reports, on its
 * leaseholder's store, an amount that falls to 0 as the window closes; every
 * other store reports 0. A catching-up node's own leases (it holds none
 * unless no other replica could take them) report nothing for itself.
 */
import { NodeView, RangeDesc } from "./ranges";

/** Entries one range's follower has to apply right after its node restarts. */
export const ENTRIES_BEHIND_AFTER_RESTART = 48;

export interface CatchUpView extends NodeView {
  /** Fraction of the node's catch-up window still ahead of it: 1 right after the restart, 0 once caught up. */
  readonly catchUpRemaining: number;
}

/** Per store (= node ID): Raft log entries its leaders' followers are behind. */
export function raftLogBehind(ranges: readonly RangeDesc[], nodes: readonly CatchUpView[]): Map<number, number> {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const out = new Map<number, number>(nodes.map((n) => [n.id, 0]));
  for (const r of ranges) {
    const leader = byId.get(r.leaseholder);
    if (leader === undefined || !leader.live) continue;
    for (const id of r.replicas) {
      if (id === r.leaseholder) continue;
      const follower = byId.get(id);
      if (follower === undefined || !follower.live || follower.catchUpRemaining <= 0) continue;
      const behind = Math.ceil(ENTRIES_BEHIND_AFTER_RESTART * Math.min(1, follower.catchUpRemaining));
      out.set(leader.id, (out.get(leader.id) ?? 0) + behind);
    }
  }
  return out;
}

/** The remaining fraction of a catch-up window ending at `until` that lasts `windowMs`. */
export function catchUpRemaining(now: number, until: number, windowMs: number): number {
  if (until <= now || windowMs <= 0) return 0;
  return Math.min(1, (until - now) / windowMs);
}
