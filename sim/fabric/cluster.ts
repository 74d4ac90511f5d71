/**
 * The shared state of one simulated cluster: node membership and liveness,
 * replica placement, per-node status snapshots and cluster settings. It lives
 * in the fabric process; node processes reach it through `fabric/server.ts`.
 *
 * Time is the wall clock; every duration is already scaled (common/timing).
 */
import { randomUUID } from "crypto";
import { SimTiming } from "../common/timing";
import { Series, formatSeries, seriesOfTag } from "../common/versions";
import { JoinRequest, JoinResponse, LIVENESS_STATUS, NodeFaults, NodeStatusSnapshot, NodeSummary } from "./protocol";
import {
  RangeDesc,
  balanceLeases,
  bootstrapRanges,
  countRanges,
  leasesHeldBy,
  leasesToShed,
  rebalanceReplicas,
  repairRanges,
  transferLeasesAway,
} from "./ranges";
import { CatchUpView, RaftLogs, catchUpRemaining } from "./raft-log";
import { SETTINGS, durationMs } from "./settings";

export const REPLICATION_FACTOR = 3;
/** A fresh v23.x cluster has about this many ranges (system + default tables). */
export const DEFAULT_RANGE_COUNT = 64;
/** Bytes one simulated range holds, to give --stats realistic magnitudes. */
const BYTES_PER_RANGE = 96 * 1024;

export interface NodeRecord {
  readonly id: number;
  readonly storeId: string;
  binaryTag: string;
  addr: string;
  sqlAddr: string;
  httpAddr: string;
  locality: string;
  clusterName: string;
  pid: number;
  args: readonly string[];
  storePath: string;
  startedAt: number;
  epoch: number;
  /** Unix ms; 0 before the first heartbeat. */
  expiration: number;
  draining: boolean;
  membership: "active" | "decommissioning" | "decommissioned";
  /** The process is connected to the fabric. */
  processUp: boolean;
  /** Replicas lag until this time after a restart. */
  catchUpUntil: number;
  /** Length of the last catch-up window (10x with the slow-catch-up fault). */
  catchUpWindowMs: number;
  faults: NodeFaults;
  snapshot: NodeStatusSnapshot;
}

export class ClusterState {
  readonly clusterId = randomUUID();
  readonly nodes = new Map<number, NodeRecord>();
  readonly ranges: RangeDesc[] = [];
  /** Canonical values of settings that were SET; others are at their default. */
  readonly settings = new Map<string, string>();
  /** Raft log positions per range: commit and followers' match indexes (raft-log.ts). */
  readonly raft = new RaftLogs();
  private nextNodeId = 1;

  constructor(
    readonly timing: SimTiming,
    readonly rangeCount: number = DEFAULT_RANGE_COUNT,
    readonly now: () => number = Date.now,
  ) {}

  setting(name: string): string {
    return this.settings.get(name) ?? SETTINGS.find((s) => s.name === name)?.defaultValue ?? "";
  }

  isLive(n: NodeRecord): boolean {
    return n.membership !== "decommissioned" && n.expiration > this.now();
  }

  /** Non-live for longer than server.time_until_store_dead (scaled). */
  isStoreDead(n: NodeRecord): boolean {
    const deadAfter = this.timing.scale(durationMs(this.setting("server.time_until_store_dead")));
    return !this.isLive(n) && n.expiration > 0 && this.now() - n.expiration > deadAfter;
  }

  livenessStatus(n: NodeRecord): number {
    if (n.membership === "decommissioned") return LIVENESS_STATUS.DECOMMISSIONED;
    if (n.membership === "decommissioning") return LIVENESS_STATUS.DECOMMISSIONING;
    if (!this.isLive(n)) return this.isStoreDead(n) ? LIVENESS_STATUS.DEAD : LIVENESS_STATUS.UNAVAILABLE;
    return n.draining ? LIVENESS_STATUS.DRAINING : LIVENESS_STATUS.LIVE;
  }

  liveNodeCount(): number {
    return [...this.nodes.values()].filter((n) => this.isLive(n)).length;
  }

  views(): CatchUpView[] {
    const now = this.now();
    return [...this.nodes.values()].map((n) => ({
      id: n.id,
      locality: n.locality,
      live: this.isLive(n),
      draining: n.draining,
      decommissioned: n.membership !== "active",
      storeDead: this.isStoreDead(n),
      caughtUp: now >= n.catchUpUntil,
      catchUpRemaining: catchUpRemaining(now, n.catchUpUntil, n.catchUpWindowMs),
      reachable: n.processUp && this.isLive(n),
      stuckReplicas: n.faults.underreplicationStuck,
      stuckLeases: n.faults.drainTimeout,
    }));
  }

  /** Registers a starting node (new or restarted) and gives it its first liveness. */
  join(req: JoinRequest, clusterVersion: Series): JoinResponse {
    const now = this.now();
    const existing = req.nodeId !== undefined ? this.nodes.get(req.nodeId) : undefined;
    const firstNode = this.nodes.size === 0;
    let node: NodeRecord;
    if (existing) {
      node = existing;
      const wasLive = this.isLive(node);
      Object.assign(node, {
        binaryTag: req.binaryTag,
        addr: req.addr,
        sqlAddr: req.sqlAddr,
        httpAddr: req.httpAddr,
        locality: req.locality,
        clusterName: req.clusterName,
        pid: req.pid,
        args: req.args,
        storePath: req.storePath,
        faults: req.faults,
      });
      node.startedAt = now;
      node.processUp = true;
      node.draining = false;
      if (!wasLive) node.epoch += 1;
      const catchUp = this.timing.catchUpMs * (req.faults.slowCatchUp ? 10 : 1);
      node.catchUpUntil = now + catchUp;
      node.catchUpWindowMs = catchUp;
      this.raft.rejoin(this.ranges, node.id);
    } else {
      const id = this.nextNodeId++;
      node = {
        id,
        storeId: req.storeId,
        binaryTag: req.binaryTag,
        addr: req.addr,
        sqlAddr: req.sqlAddr,
        httpAddr: req.httpAddr,
        locality: req.locality,
        clusterName: req.clusterName,
        pid: req.pid,
        args: req.args,
        storePath: req.storePath,
        startedAt: now,
        epoch: 1,
        expiration: 0,
        draining: false,
        membership: "active",
        processUp: true,
        catchUpUntil: 0,
        catchUpWindowMs: 0,
        faults: req.faults,
        snapshot: emptySnapshot(id, now),
      };
      this.nodes.set(id, node);
      if (firstNode) this.ranges.push(...bootstrapRanges(this.rangeCount, id));
    }
    node.expiration = now + this.timing.livenessTtlMs;
    this.replan(true);
    this.refreshSnapshots();
    return {
      nodeId: node.id,
      clusterId: this.clusterId,
      status: existing
        ? "restarted pre-existing node"
        : firstNode
          ? "initialized new cluster"
          : "initialized new node, joined pre-existing cluster",
      clusterVersion: formatSeries(clusterVersion),
      timing: { timeScale: this.timing.timeScale, livenessTtlS: this.timing.livenessTtlMs / 1000 / this.timing.timeScale },
    };
  }

  /** True when the node ID is known and its store matches. */
  knows(nodeId: number, storeId: string): boolean {
    return this.nodes.get(nodeId)?.storeId === storeId;
  }

  heartbeat(nodeId: number): NodeRecord {
    const node = this.mustGet(nodeId);
    if (!this.isLive(node)) node.epoch += 1;
    node.expiration = this.now() + this.timing.livenessTtlMs;
    node.processUp = true;
    return node;
  }

  setDraining(nodeId: number, draining: boolean): void {
    this.mustGet(nodeId).draining = draining;
  }

  /** One lease-transfer pass for a draining node; the count it held before the pass. */
  drainLeases(nodeId: number): number {
    const node = this.mustGet(nodeId);
    node.draining = true;
    const held = leasesToShed(this.ranges, nodeId);
    transferLeasesAway(this.ranges, this.views(), nodeId);
    return held;
  }

  leasesHeld(nodeId: number): number {
    return leasesHeldBy(this.ranges, nodeId);
  }

  /** The process went away; its status row freezes and its liveness expires on its own. */
  leave(nodeId: number): void {
    const node = this.nodes.get(nodeId);
    if (node) node.processUp = false;
  }

  /** Periodic work: up-replication away from dead stores, lease balance, status refresh. */
  tick(): void {
    this.replan(false);
    this.refreshSnapshots();
  }

  private replan(rebalance: boolean): void {
    const views = this.views();
    repairRanges(this.ranges, views, REPLICATION_FACTOR);
    if (rebalance) rebalanceReplicas(this.ranges, views);
    balanceLeases(this.ranges, views);
  }

  /** Nodes whose process runs write a fresh status; stopped nodes keep their last one. */
  refreshSnapshots(): void {
    const now = this.now();
    const views = this.views();
    const counts = countRanges(this.ranges, views, REPLICATION_FACTOR);
    this.raft.advance(this.ranges, views, now);
    const behind = this.raft.behindByStore(this.ranges, views);
    const liveNodes = this.liveNodeCount();
    for (const node of this.nodes.values()) {
      if (!node.processUp) continue;
      const c = counts.get(node.id) ?? { replicas: 0, leaseholders: 0, unavailable: 0, underreplicated: 0 };
      const live = this.isLive(node);
      const bytes = c.replicas * BYTES_PER_RANGE;
      node.snapshot = {
        nodeId: node.id,
        updatedAt: now,
        live,
        liveNodes: live ? liveNodes : 0,
        counts: c,
        raftLogBehind: behind.get(node.id) ?? 0,
        bytes: { live: bytes, key: Math.round(bytes * 0.18), val: Math.round(bytes * 0.86), intent: 0, sys: 8192 + node.id * 512 },
      };
    }
  }

  /** Rows written through SQL on some node: Raft entries on the ranges (raft-log.ts). */
  recordWrites(rows: number): void {
    this.raft.recordWrites(this.ranges, rows, this.now());
  }

  /** Follower positions as of now (what `/_status/ranges` reports, live rather than per metrics refresh). */
  advanceRaft(): void {
    this.raft.advance(this.ranges, this.views(), this.now());
  }

  summaries(): NodeSummary[] {
    return [...this.nodes.values()]
      .sort((a, b) => a.id - b.id)
      .map((n) => ({
        nodeId: n.id,
        addr: n.addr,
        sqlAddr: n.sqlAddr,
        httpAddr: n.httpAddr,
        locality: n.locality,
        binaryTag: n.binaryTag,
        startedAt: n.startedAt,
        updatedAt: n.snapshot.updatedAt,
        expiration: n.expiration,
        epoch: n.epoch,
        draining: n.draining,
        membership: n.membership,
        live: this.isLive(n),
        livenessStatus: this.livenessStatus(n),
        snapshot: n.snapshot,
        args: n.args,
      }));
  }

  /** The binary series each non-decommissioned node runs. */
  binarySeries(n: NodeRecord): Series {
    return seriesOfTag(n.binaryTag);
  }

  mustGet(nodeId: number): NodeRecord {
    const node = this.nodes.get(nodeId);
    if (!node) throw new Error(`node ${nodeId} is not a member of this cluster`);
    return node;
  }
}

function emptySnapshot(nodeId: number, now: number): NodeStatusSnapshot {
  return {
    nodeId,
    updatedAt: now,
    live: false,
    liveNodes: 0,
    counts: { replicas: 0, leaseholders: 0, unavailable: 0, underreplicated: 0 },
    raftLogBehind: 0,
    bytes: { live: 0, key: 0, val: 0, intent: 0, sys: 0 },
  };
}
