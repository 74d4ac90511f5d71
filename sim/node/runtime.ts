/**
 * One simulated CockroachDB node process: its store (lock, metadata,
 * version checks), its two ports (SQL/RPC on 26257, HTTP on 8080), its
 * membership in the cluster (fabric join, liveness heartbeats at TTL/2),
 * readiness, drain, and the auto-upgrade loop. `cockroach start` builds one
 * and calls `start()`; signals.ts turns SIGTERM into `shutdown()`.
 */
import * as fs from "fs";
import * as http from "http";
import * as path from "path";
import type * as net from "net";
import { CrdbLog } from "../common/crdb-log";
import { findClusterConfig, lockStore, readStoreMeta, unlockStore, writeStoreMeta, StoreMeta } from "../common/cluster-files";
import { SimTiming, makeTiming } from "../common/timing";
import { parseSeries, storeRefusal, formatSeries, seriesOfTag } from "../common/versions";
import { FabricClient } from "../fabric/client";
import { PgConnection } from "../pgwire/connection";
import { PgSession, QueryResult, SqlError } from "../pgwire/types";
import { runAutoUpgrade } from "./auto-upgrade";
import { Drainer } from "./drain";
import { createHttpApi } from "./http-api";
import { HttpPort, listenHttpPort } from "./http-port";
import { NodeTls, clientTlsOptions, loadNodeTls, serverTlsOptions } from "./tls";
import { SqlRpcListener, listenSqlRpc } from "./listener";
import { NodeConfig, formatHostPort } from "./config";
import { renderPrometheus } from "./prometheus";
import { handleRpc } from "./rpc";
import { raftDebug } from "./raft-debug";
import { createSqlEngine } from "./sql-service";
import type { SqlEngine } from "../sql";
import { NodeSqlHooks } from "./sql-hooks";
import { nodeStatusJson, nodesResponse } from "./status-json";
import { randomUUID, randomInt } from "crypto";
import type { TlsOptions } from "tls";

/** Command tags of statements whose rows are writes (each a Raft entry in the fabric). */
const WRITE_COMMANDS = new Set(["INSERT", "UPSERT", "UPDATE", "DELETE"]);
const WRITE_REPORT_MS = 50;

export interface StartResult {
  readonly nodeId: number;
  readonly clusterId: string;
  /** "restarted pre-existing node", ... */
  readonly status: string;
  readonly tookMs: number;
}

/** CockroachDB's refusal for new SQL sessions while draining (pgwire ErrDrainingNewConn). */
export const NOT_ACCEPTING = "server is not accepting clients, try another node";

export class NodeRuntime {
  readonly log: CrdbLog;
  readonly startedAt = Date.now();
  nodeId: number | undefined;
  timing: SimTiming = makeTiming();
  /** Unix ms when this node's own liveness record expires, as it last heard. */
  expiration = 0;
  /** Set once start() has resolved (pid file written). */
  started = false;
  private acceptingSql = false;
  private unready = false;
  private stopping = false;
  private fabric: FabricClient | undefined;
  private listener: SqlRpcListener | undefined;
  /** The SQL-only port when `--sql-addr` splits SQL from RPC (CR `SplitListenSQL`). */
  private sqlListener: SqlRpcListener | undefined;
  private http: http.Server | undefined;
  private sql: SqlEngine | undefined;
  private clusterDir = "";
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private storeMeta: StoreMeta | undefined;
  private heartbeats = 0;
  private selectCount = 0;
  private inFlight = 0;
  /** Written rows not yet reported to the fabric (reportWrites batches them). */
  private unreportedWrites = 0;
  private drainer: Drainer | undefined;
  private exiting = false;
  private httpPort: HttpPort | undefined;
  /** A secure node's certificates; undefined with --insecure. */
  tls: NodeTls | undefined;
  /** One options object for every pgwire TLS upgrade (pgwire keeps one handshake server per object). */
  private pgTls: TlsOptions | undefined;

  constructor(readonly cfg: NodeConfig) {
    this.log = new CrdbLog(path.join(cfg.logDir, "cockroach.log"));
  }

  /** Starts the node; resolves once it is ready (or, with `never-ready`, once it is up). */
  async start(): Promise<StartResult> {
    const t0 = Date.now();
    const cfg = this.cfg;
    this.log.info("1@cli/start.go:1201", `starting cockroach node ${cfg.binaryTag}, args: ${cfg.args.join(" ")}`);
    if (cfg.faults.startFails) throw new Error("failed to start server: simulated release fault start-fails");
    this.tls = cfg.insecure ? undefined : loadNodeTls(cfg.certsDir);
    this.pgTls = this.tls && serverTlsOptions(this.tls);
    const cluster = findClusterConfig(cfg.storePath);
    if (!cluster) {
      throw new Error(
        `no simulated cluster found for store ${cfg.storePath} (no sim-cluster.json in its parent directories); ` +
          `create one with "npm run sim -- up"`,
      );
    }
    this.timing = makeTiming({ timeScale: cluster.timeScale, livenessTtlS: cluster.livenessTtlS });
    this.clusterDir = cluster.dir;
    lockStore(cfg.storePath);
    const meta = readStoreMeta(cfg.storePath);
    const refusal = meta ? storeRefusal(cfg.binaryTag, parseSeries(meta.version)) : undefined;
    if (refusal) throw new Error(refusal);
    const storeId = meta?.storeId ?? randomUUID();
    this.fabric = await FabricClient.connect(cluster.socket);
    this.fabric.onClose = () => this.log.error("server/server.go:1800", "lost connection to the cluster");
    await this.listen();
    const joined = await this.fabric.call("join", {
      storeId,
      nodeId: meta?.nodeId,
      binaryTag: cfg.binaryTag,
      addr: formatHostPort(cfg.advertise),
      sqlAddr: formatHostPort(cfg.sql),
      httpAddr: formatHostPort(cfg.http),
      locality: cfg.locality,
      clusterName: cfg.clusterName,
      pid: process.pid,
      args: cfg.args,
      storePath: cfg.storePath,
      faults: {
        slowCatchUp: cfg.faults.slowCatchUp,
        underreplicationStuck: cfg.faults.underreplicationStuck,
        drainTimeout: cfg.faults.drainTimeout,
      },
    });
    this.nodeId = joined.nodeId;
    this.log.tag = `n${joined.nodeId}`;
    this.storeMeta = { storeId, clusterId: joined.clusterId, nodeId: joined.nodeId, version: joined.clusterVersion };
    writeStoreMeta(cfg.storePath, this.storeMeta);
    this.expiration = Date.now() + this.timing.livenessTtlMs;
    this.heartbeatTimer = setInterval(() => void this.heartbeat(), this.timing.heartbeatMs);
    await sleep(this.timing.startupMs);
    if (!cfg.faults.neverReady) this.acceptingSql = true;
    this.drainer = this.makeDrainer();
    if (cfg.pidFile) fs.writeFileSync(cfg.pidFile, `${process.pid}\n`);
    this.started = true;
    this.log.info("1@cli/start.go:1374", `node startup completed: ${joined.status}, nodeID ${joined.nodeId}`);
    void runAutoUpgrade(this.fabric, {
      nodeId: joined.nodeId,
      binaryTag: cfg.binaryTag,
      log: this.log,
      timing: this.timing,
      stopped: () => this.stopping,
    });
    this.armCrashFault();
    return { nodeId: joined.nodeId, clusterId: joined.clusterId, status: joined.status, tookMs: Date.now() - t0 };
  }

  /** The first failing readiness check, in CockroachDB's order (reference §3). */
  readinessProblem(): string | undefined {
    if (this.unready || this.stopping) return "node is shutting down";
    if (this.nodeId === undefined) return "liveness record not found";
    if (this.expiration <= Date.now()) return "node is not healthy";
    if (!this.acceptingSql) return "node is not accepting SQL clients";
    return undefined;
  }

  /** One Drain RPC iteration; after the last, with `shutdown`, the process exits. */
  async drainStep(shutdown: boolean): Promise<number> {
    if (!this.drainer) throw new Error("node cannot be drained before it has been initialized");
    return this.drainer.step(shutdown);
  }

  /** Graceful shutdown: drain completely, leave the cluster, close the ports. */
  async shutdown(): Promise<void> {
    this.stopping = true;
    if (this.drainer) await this.drainer.untilDone();
    await this.close();
  }

  /** Stops without draining (hard shutdown, crash): ports close, liveness is left to expire. */
  async close(): Promise<void> {
    this.stopping = true;
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    this.dropSqlClients();
    await Promise.all([this.listener?.close(), this.sqlListener?.close(), this.httpPort?.close()]);
    if (this.fabric && this.nodeId !== undefined) await this.fabric.call("leave", { nodeId: this.nodeId }).catch(() => undefined);
    this.fabric?.close();
    unlockStore(this.cfg.storePath);
  }

  private sqlSessionCount(): number {
    return (this.listener?.sqlSockets.size ?? 0) + (this.sqlListener?.sqlSockets.size ?? 0);
  }

  private dropSqlClients(): void {
    this.listener?.destroySqlClients();
    this.sqlListener?.destroySqlClients();
  }

  /** How the process ends; `cockroach start` may replace it. */
  onExit: (code: number) => void = (code) => process.exit(code);

  /** A message an operator sees: logged, and printed on stdout when running in the foreground. */
  announce(message: string): void {
    this.log.info("1@cli/start.go:868", message);
    if (this.cfg.foreground) process.stdout.write(message + "\n");
  }

  /** The end of a drain requested with --shutdown: close up and exit 0. */
  async exitAfterDrain(): Promise<void> {
    if (this.exiting) return;
    this.exiting = true;
    await this.close();
    this.announce("server drained and shutdown completed");
    this.onExit(0);
  }

  private async listen(): Promise<void> {
    const cfg = this.cfg;
    const handlers = {
      onSql: (socket: net.Socket) =>
        new PgConnection(socket, this.pgOptions(), { pid: randomInt(1, 2 ** 31 - 1), secret: randomInt(1, 2 ** 31 - 1) }),
      rpc: (req: http.IncomingMessage, res: http.ServerResponse) => handleRpc(this, req, res),
      tls: this.tls,
    };
    try {
      this.listener = await listenSqlRpc(cfg.listen.host, cfg.listen.port, { ...handlers, serves: cfg.splitSql ? "rpc" : "sql+rpc" });
    } catch (e) {
      throw new Error(`failed to start server: listen tcp ${formatHostPort(cfg.listen)}: bind: ${bindReason(e)}`);
    }
    if (cfg.splitSql) {
      try {
        this.sqlListener = await listenSqlRpc(cfg.sql.host, cfg.sql.port, { ...handlers, serves: "sql" });
      } catch (e) {
        await this.listener.close();
        throw new Error(`failed to start server: listen tcp ${formatHostPort(cfg.sql)}: bind: ${bindReason(e)}`);
      }
    }
    this.http = createHttpApi({
      readinessProblem: () => this.readinessProblem(),
      prometheus: () => this.prometheus(),
      statusNodes: async () => nodesResponse(await this.mustFabric().call("nodes", {})),
      statusNodeLocal: async () => {
        const all = await this.mustFabric().call("nodes", {});
        const self = all.find((n) => n.nodeId === this.nodeId);
        if (!self) throw new Error("node status not found");
        return nodeStatusJson(self);
      },
      criticalNodes: () => this.mustFabric().call("criticalNodes", {}),
      statusRanges: (id) => this.mustFabric().call("statusRanges", { nodeId: id === "local" ? this.mustNodeId() : Number(id) }),
      raftDebug: (rangeIds) =>
        raftDebug(
          {
            selfId: this.mustNodeId(),
            nodes: () => this.mustFabric().call("nodes", {}),
            local: (ids) => this.localRanges(ids),
            ...(this.tls && { tls: clientTlsOptions(this.tls) }),
          },
          rangeIds,
        ),
      secure: !this.cfg.insecure,
      webLogin: async (user, password) => (await this.mustFabric().call("webLogin", { user, password })) ?? undefined,
      webSessionValid: async (cookie) => (await this.mustFabric().call("webSessionUser", { cookie })) !== null,
    });
    try {
      this.httpPort = await listenHttpPort(this.http, cfg.http.host, cfg.http.port, this.tls);
    } catch (e) {
      await Promise.all([this.listener.close(), this.sqlListener?.close()]);
      throw new Error(`failed to start server: listen tcp ${formatHostPort(cfg.http)}: bind: ${bindReason(e)}`);
    }
  }

  private pgOptions(): ConstructorParameters<typeof PgConnection>[1] {
    return {
      host: this.cfg.sql.host,
      port: this.cfg.sql.port,
      buildTag: this.cfg.binaryTag,
      // A SIGTERM runs the same drain as `node drain`: during server.shutdown.initial_wait the node is
      // unready (503) but still admits new sessions; the drainer stops admitting at the SQL-wait phase.
      admit: async () => (this.acceptingSql ? null : new SqlError("57P01", NOT_ACCEPTING)),
      execute: (sql, params, session) => this.execute(sql, params, session),
      ...(this.pgTls && {
        tls: this.pgTls,
        authenticate: async (user: string, password: string) => this.mustFabric().call("checkPassword", { user, password }),
      }),
    };
  }

  private async execute(sql: string, params: readonly unknown[], session: PgSession): Promise<QueryResult[]> {
    this.sql ??= createSqlEngine(this.sqlHooks(), this.clusterDir);
    this.inFlight += 1;
    try {
      const results = await this.sql.execute(sql, params, session);
      this.selectCount += results.filter((r) => r.command === "SELECT").length;
      this.reportWrites(results);
      return results;
    } finally {
      this.inFlight -= 1;
    }
  }

  sqlHooks(): NodeSqlHooks {
    return new NodeSqlHooks({
      fabric: this.mustFabric(),
      binaryTag: this.cfg.binaryTag,
      nodeId: () => this.nodeId ?? 1,
      insecure: this.cfg.insecure,
    });
  }

  /**
   * Written rows become Raft entries in the fabric (raft-log.ts), reported in batches every
   * WRITE_REPORT_MS so that a busy workload does not double its IPC; a lost report only loses simulated lag.
   */
  private reportWrites(results: readonly QueryResult[]): void {
    const rows = results.filter((r) => WRITE_COMMANDS.has(r.command)).reduce((a, r) => a + (r.rowCount ?? 0), 0);
    if (rows === 0) return;
    const first = this.unreportedWrites === 0;
    this.unreportedWrites += rows;
    if (!first) return;
    setTimeout(() => {
      const batch = this.unreportedWrites;
      this.unreportedWrites = 0;
      this.fabric?.call("recordWrites", { rows: batch }).catch(() => undefined);
    }, WRITE_REPORT_MS).unref();
  }

  /** This node's own replicas (the Ranges RPC answered locally). */
  localRanges(rangeIds?: readonly number[]): Promise<Record<string, unknown>> {
    return this.mustFabric().call("statusRanges", { nodeId: this.mustNodeId(), ...(rangeIds && { rangeIds }) });
  }

  private mustNodeId(): number {
    if (this.nodeId === undefined) throw new Error("node has not joined its cluster yet");
    return this.nodeId;
  }

  mustFabric(): FabricClient {
    if (!this.fabric) throw new Error("node is not connected to its cluster yet");
    return this.fabric;
  }

  private async prometheus(): Promise<string> {
    const all = await this.mustFabric().call("nodes", {});
    const self = all.find((n) => n.nodeId === this.nodeId);
    if (!self) throw new Error("node status not found");
    return renderPrometheus({
      nodeId: self.nodeId,
      binaryTag: this.cfg.binaryTag,
      snapshot: self.snapshot,
      selfLive: this.expiration > Date.now(),
      liveNodes: self.snapshot.liveNodes,
      startedAt: this.startedAt,
      sqlConns: this.sqlSessionCount(),
      heartbeats: this.heartbeats,
      selectCount: this.selectCount,
    });
  }

  private async heartbeat(): Promise<void> {
    if (this.nodeId === undefined || this.stopping) return;
    try {
      const hb = await this.mustFabric().call("heartbeat", { nodeId: this.nodeId });
      this.expiration = hb.expiration;
      this.heartbeats += 1;
      if (this.storeMeta && hb.clusterVersion !== this.storeMeta.version) {
        this.storeMeta = { ...this.storeMeta, version: hb.clusterVersion };
        writeStoreMeta(this.cfg.storePath, this.storeMeta);
        this.log.info("kv/kvserver/stores.go:269", `wrote cluster version ${hb.clusterVersion} to store`);
      }
    } catch (e) {
      this.log.warn("kv/kvserver/liveness/liveness.go:811", `failed node liveness heartbeat: ${(e as Error).message}`);
    }
  }

  private makeDrainer(): Drainer {
    return new Drainer({
      log: this.log,
      timing: this.timing,
      stuckLeases: this.cfg.faults.drainTimeout,
      markUnready: () => {
        this.unready = true;
      },
      refuseNewSessions: () => {
        this.acceptingSql = false;
      },
      openSqlSessions: () => this.sqlSessionCount(),
      queriesInFlight: () => this.inFlight,
      closeSqlSessions: () => this.dropSqlClients(),
      setting: async (name) => (await this.mustFabric().call("showSetting", { name, gatewayTag: this.cfg.binaryTag })).value,
      transferLeases: async () => (await this.mustFabric().call("drainLeases", { nodeId: this.nodeId ?? 0 })).remaining,
    });
  }

  /** `crash-after=<s>`: the process dies abruptly, as a panic would (exit code 7 like log.Fatal). */
  private armCrashFault(): void {
    const s = this.cfg.faults.crashAfterS;
    if (s === undefined) return;
    setTimeout(
      () => {
        this.log.write("F", "1@server/server.go:2000", `simulated release fault crash-after=${s}: the node crashed`);
        process.exit(7);
      },
      this.timing.scale(s * 1000),
    ).unref();
  }

  /** Cluster version series of this node's binary, e.g. "23.1". */
  serverVersion(): string {
    return formatSeries(seriesOfTag(this.cfg.binaryTag));
  }
}

function bindReason(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === "EADDRINUSE") return "address already in use";
  if (code === "EADDRNOTAVAIL") return "cannot assign requested address";
  return (e as Error).message;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
