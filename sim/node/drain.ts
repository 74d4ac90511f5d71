/**
 * Draining, as CockroachDB's server does it (reference §4, CR
 * `pkg/server/drain.go`). The first drain request runs the client phases:
 *   1. unready: /health?ready=1 answers 503 for server.shutdown.initial_wait;
 *   2. no new SQL sessions (57P01); wait up to connections.timeout for clients to leave;
 *   3. SQL drain, then DistSQL drain: each waits up to transactions.timeout for queries in flight;
 * then every request runs one lease-transfer iteration (liveness draining=true)
 * and reports how much it moved; a request that finds nothing left reports 0.
 * With the `drain-timeout` fault leases never move, each iteration lasts
 * lease_transfer_iteration.timeout, and the remaining count never drops.
 */
import { CrdbLog } from "../common/crdb-log";
import { SimTiming } from "../common/timing";
import { durationMs } from "../fabric/settings";

export interface DrainTarget {
  readonly log: CrdbLog;
  readonly timing: SimTiming;
  readonly stuckLeases: boolean;
  /** Readiness reports "node is shutting down" from now on. */
  markUnready(): void;
  /** New SQL sessions are refused with 57P01 from now on. */
  refuseNewSessions(): void;
  openSqlSessions(): number;
  queriesInFlight(): number;
  closeSqlSessions(): void;
  /** A cluster setting's canonical value (durations as "10s"). */
  setting(name: string): Promise<string>;
  /** One lease-transfer pass; the leases held before it. */
  transferLeases(): Promise<number>;
}

/** The pre-v23.2 names: every version still resolves them (as aliases from v23.2). */
const SETTING = {
  initialWait: "server.shutdown.drain_wait",
  connections: "server.shutdown.connection_wait",
  transactions: "server.shutdown.query_wait",
  leaseIteration: "server.shutdown.lease_transfer_wait",
} as const;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export class Drainer {
  private clientsDrained: Promise<void> | undefined;

  constructor(private readonly target: DrainTarget) {}

  /** One Drain RPC: client phases on the first call, then one lease iteration. Returns the remaining indicator. */
  async step(shutdown: boolean): Promise<number> {
    const t = this.target;
    t.log.info("1@server/drain.go:110", `drain request received with doDrain = true, shutdown = ${shutdown}`);
    this.clientsDrained ??= this.drainClients();
    await this.clientsDrained;
    const remaining = await this.leaseIteration();
    t.log.info("1@server/drain.go:210", `drain remaining: ${remaining}`);
    if (remaining > 0) t.log.info("1@server/drain.go:212", `drain details: range lease iterations: ${remaining}`);
    if (!shutdown) t.log.info("1@server/drain.go:134", "drain request completed without server shutdown");
    return remaining;
  }

  /** Steps until nothing remains (the SIGTERM path); never returns while leases are stuck. */
  async untilDone(onStep: (remaining: number) => void = () => undefined): Promise<void> {
    for (;;) {
      const remaining = await this.step(true);
      onStep(remaining);
      if (remaining === 0) return;
      await sleep(this.target.timing.scale(200));
    }
  }

  private async wait(settingName: string): Promise<number> {
    return this.target.timing.scale(durationMs(await this.target.setting(settingName)));
  }

  private async drainClients(): Promise<void> {
    const t = this.target;
    t.markUnready();
    const initial = await this.wait(SETTING.initialWait);
    if (initial > 0) await sleep(initial);
    t.refuseNewSessions();
    await this.waitUntil(() => t.openSqlSessions() === 0, await this.wait(SETTING.connections));
    const txTimeout = await this.wait(SETTING.transactions);
    await this.waitUntil(() => t.queriesInFlight() === 0, txTimeout); // SQL drain
    await this.waitUntil(() => t.queriesInFlight() === 0, txTimeout); // DistSQL drain
    t.closeSqlSessions();
  }

  private async leaseIteration(): Promise<number> {
    const t = this.target;
    if (t.stuckLeases) {
      const held = await t.transferLeases();
      t.log.info("kv/kvserver/store.go:1571", `waiting for ${held} replicas to transfer their lease away`);
      await sleep(await this.wait(SETTING.leaseIteration));
      return held;
    }
    const held = await t.transferLeases();
    // Transfers take a moment each; capped by one iteration's timeout.
    if (held > 0) await sleep(Math.min(t.timing.scale(held * 10), await this.wait(SETTING.leaseIteration)));
    return held;
  }

  private async waitUntil(done: () => boolean, maxMs: number): Promise<void> {
    const deadline = Date.now() + maxMs;
    while (!done() && Date.now() < deadline) await sleep(Math.min(50, Math.max(1, deadline - Date.now())));
  }
}
