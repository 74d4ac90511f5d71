/**
 * Raft log positions per range, as a range's leader tracks them: the commit
 * index, and per follower the `match` index (highest entry known to be on
 * that follower) and the progress state (CR `pkg/raft/tracker/progress.go`;
 * served by `/_status/ranges` as `raftState.progress`, see ranges-status.ts).
 *
 * - Writes: every written row is one Raft entry on a range chosen at random:
 *   that range's commit index advances at once, and a follower that is up to
 *   date trails by a small random amount — what it had not acked yet — up to
 *   the entries written to the range in the last TRAIL_WINDOW_MS, at most
 *   MAX_TRAIL. So on a busy cluster followers are routinely behind, in
 *   proportion to write load and to the number of followers; on an idle one
 *   they are not.
 * - Down: a follower whose node is not reachable keeps its match index (the
 *   leader's progress for it is `StateProbe`), while writes go on.
 * - Restart: its backlog is what it missed (at least
 *   ENTRIES_BEHIND_AFTER_RESTART: the entries a range's log gains while a
 *   replica is away). It applies the backlog over the node's catch-up window
 *   (#101321; 10x longer with `slow-catch-up`), fast at first and slower as it
 *   nears the leader (lag = backlog x sqrt(fraction of the window left)), in
 *   `StateReplicate`; once the window is over it trails like every follower.
 * - `raftlog.behind` (store gauge): each leader sums, over its followers with
 *   0 < match < commit, `commit - match` (CR `pkg/kv/kvserver/replica_metrics.go`,
 *   `calcBehindCount`); the store adds that up over the ranges it leads.
 *
 * In the simulator the leaseholder is the leader.
 */
import { NodeView, RangeDesc } from "./ranges";

/** The least backlog of a replica whose node restarts. */
export const ENTRIES_BEHIND_AFTER_RESTART = 1024;
/** Entries written to a range within this many wall ms may still be unacked by a follower. */
export const TRAIL_WINDOW_MS = 1000;
/** The most entries an up-to-date follower trails by. */
export const MAX_TRAIL = 8;
/** First index of a fresh range (CR's raft initial index, `stateloader.RaftInitialLogIndex`). */
const INITIAL_INDEX = 10;

export type ProgressState = "StateProbe" | "StateReplicate" | "StateSnapshot";

export interface CatchUpView extends NodeView {
  /** Fraction of the node's catch-up window still ahead of it: 1 right after the restart, 0 once caught up. */
  readonly catchUpRemaining: number;
  /** The node's process is connected (a leader's messages reach it). Defaults to `live`. */
  readonly reachable?: boolean;
}

/** One follower as its range's leader sees it. */
export interface FollowerProgress {
  readonly match: number;
  readonly next: number;
  readonly state: ProgressState;
}

interface RangeLog {
  commit: number;
  /** Node ID -> replica ID (assigned once, as a range descriptor's next_replica_id does). */
  readonly replicaIds: Map<number, number>;
  nextReplicaId: number;
  readonly match: Map<number, number>;
  readonly state: Map<number, ProgressState>;
  /** Node ID -> entries it had to catch up when its node rejoined. */
  readonly backlog: Map<number, number>;
  /** Wall times of recent writes. */
  recent: number[];
}

export class RaftLogs {
  private readonly logs = new Map<number, RangeLog>();

  constructor(private readonly random: () => number = Math.random) {}

  /** `rows` written rows: one entry each on a range chosen at random. */
  recordWrites(ranges: readonly RangeDesc[], rows: number, now: number): void {
    if (ranges.length === 0) return;
    for (let i = 0; i < rows; i++) {
      const log = this.logOf(ranges[Math.floor(this.random() * ranges.length)]);
      log.commit += 1;
      log.recent.push(now);
    }
  }

  /** A node rejoined: each of its replicas owes what it missed, at least ENTRIES_BEHIND_AFTER_RESTART. */
  rejoin(ranges: readonly RangeDesc[], nodeId: number): void {
    for (const r of ranges) {
      if (!r.replicas.includes(nodeId) || r.leaseholder === nodeId) continue;
      const log = this.logOf(r);
      const missed = log.commit - (log.match.get(nodeId) ?? log.commit);
      log.backlog.set(nodeId, Math.max(ENTRIES_BEHIND_AFTER_RESTART, missed));
      log.commit += ENTRIES_BEHIND_AFTER_RESTART - Math.min(ENTRIES_BEHIND_AFTER_RESTART, missed);
    }
  }

  /** Brings every follower to where it is at `now`. */
  advance(ranges: readonly RangeDesc[], views: readonly CatchUpView[], now: number): void {
    const byId = new Map(views.map((v) => [v.id, v]));
    for (const r of ranges) {
      const log = this.logOf(r);
      log.recent = log.recent.filter((t) => now - t < TRAIL_WINDOW_MS);
      for (const id of r.replicas) this.advanceReplica(r, log, id, byId.get(id));
      for (const id of [...log.match.keys()]) if (!r.replicas.includes(id)) forget(log, id);
    }
  }

  /** The leader's view of one follower of range `rangeId`, or undefined for the leader itself or a non-member. */
  progress(range: RangeDesc, nodeId: number): FollowerProgress | undefined {
    const log = this.logOf(range);
    const match = log.match.get(nodeId);
    if (match === undefined) return undefined;
    const state = log.state.get(nodeId) ?? "StateReplicate";
    // In StateReplicate the leader has sent everything up to its last index; probing, it resends from match+1.
    return { match, next: state === "StateReplicate" ? log.commit + 1 : match + 1, state };
  }

  commitOf(range: RangeDesc): number {
    return this.logOf(range).commit;
  }

  replicaIdOf(range: RangeDesc, nodeId: number): number {
    const log = this.logOf(range);
    let id = log.replicaIds.get(nodeId);
    if (id === undefined) {
      id = log.nextReplicaId++;
      log.replicaIds.set(nodeId, id);
    }
    return id;
  }

  nextReplicaIdOf(range: RangeDesc): number {
    return this.logOf(range).nextReplicaId;
  }

  /** Per store (= node ID): `raftlog.behind`, summed by the live leaders it holds (calcBehindCount). */
  behindByStore(ranges: readonly RangeDesc[], views: readonly CatchUpView[]): Map<number, number> {
    const byId = new Map(views.map((v) => [v.id, v]));
    const out = new Map<number, number>(views.map((v) => [v.id, 0]));
    for (const r of ranges) {
      if (byId.get(r.leaseholder)?.live !== true) continue;
      const log = this.logOf(r);
      let behind = 0;
      for (const [id, match] of log.match) if (id !== r.leaseholder && match > 0 && match < log.commit) behind += log.commit - match;
      out.set(r.leaseholder, (out.get(r.leaseholder) ?? 0) + behind);
    }
    return out;
  }

  private advanceReplica(r: RangeDesc, log: RangeLog, id: number, view: CatchUpView | undefined): void {
    this.replicaIdOf(r, id);
    if (!log.match.has(id) || id === r.leaseholder) {
      // The leader has its whole log; a new replica starts from a snapshot of it.
      log.match.set(id, log.commit);
      log.state.set(id, "StateReplicate");
      return;
    }
    if (view === undefined || !(view.reachable ?? view.live)) {
      log.state.set(id, "StateProbe");
      return;
    }
    const backlog = log.backlog.get(id);
    let lag = Math.floor(this.random() * (Math.min(MAX_TRAIL, log.recent.length) + 1));
    if (backlog !== undefined && view.catchUpRemaining > 0) lag = Math.max(lag, Math.ceil(backlog * Math.sqrt(view.catchUpRemaining)));
    else log.backlog.delete(id);
    log.match.set(id, Math.max(log.match.get(id) ?? 0, log.commit - lag));
    log.state.set(id, "StateReplicate");
  }

  private logOf(r: RangeDesc): RangeLog {
    let log = this.logs.get(r.id);
    if (log === undefined) {
      log = {
        commit: INITIAL_INDEX + r.id,
        replicaIds: new Map(),
        nextReplicaId: 1,
        match: new Map(),
        state: new Map(),
        backlog: new Map(),
        recent: [],
      };
      this.logs.set(r.id, log);
    }
    return log;
  }
}

function forget(log: RangeLog, id: number): void {
  log.match.delete(id);
  log.replicaIds.delete(id);
  log.state.delete(id);
  log.backlog.delete(id);
}

/** The remaining fraction of a catch-up window ending at `until` that lasts `windowMs`. */
export function catchUpRemaining(now: number, until: number, windowMs: number): number {
  if (until <= now || windowMs <= 0) return 0;
  return Math.min(1, (until - now) / windowMs);
}
