/**
 * A small fake cluster for tests of the SQL engine and the pgwire server:
 * crdb_internal tables with the simulator's columns (sim/common/vtable-schemas.ts), a few cluster settings
 * with CockroachDB's validation, and a settable clock. The real cluster
 * model implements ClusterHooks the same way.
 */
import { hlcString, VTABLE_SCHEMAS } from "../../sim/common/vtable-schemas";
import { QueryResult, ResultColumn, SqlError, SqlType } from "../../sim/pgwire/types";
import { unknownSettingForSet, unknownSettingForShow } from "../../sim/sql/errors";
import { ActiveVersion, ClusterHooks, SettingInfo, VirtualTable } from "../../sim/sql/hooks";

const col = (name: string, type: SqlType): ResultColumn => ({ name, type });
/** The simulator's own column lists (CR pkg/sql/crdb_internal.go), so the fake serves what a node serves. */
const columnsOf = (table: string): readonly ResultColumn[] => VTABLE_SCHEMAS[table];

export interface FakeNode {
  readonly id: number;
  readonly address: string;
  readonly buildTag: string;
  /** Liveness expiration relative to the clock, in seconds (negative = expired). */
  readonly livenessTtlSeconds: number;
  readonly isLive: boolean;
  readonly membership?: "active" | "decommissioning" | "decommissioned";
  readonly draining?: boolean;
  readonly locality?: string;
  readonly ranges?: number;
  /** Store metrics keyed as CockroachDB names them ("replicas.leaders", "ranges.underreplicated", ...). */
  readonly metrics?: Readonly<Record<string, number>>;
  /** Only in gossip_liveness (a node that never gossiped its descriptor). */
  readonly livenessOnly?: boolean;
}

export class FakeCluster implements ClusterHooks {
  clock = new Date("2024-05-01T10:00:00.000Z");
  clusterVersion = "23.1";
  readonly settings = new Map<string, { type: SqlType; value: unknown; default: unknown }>([
    ["version", { type: "text", value: "23.1", default: "23.1" }],
    ["cluster.preserve_downgrade_option", { type: "text", value: "", default: "" }],
    ["cluster.auto_upgrade.enabled", { type: "bool", value: true, default: true }],
    ["server.shutdown.drain_wait", { type: "interval", value: "00:00:00", default: "00:00:00" }],
  ]);
  readonly backups: string[] = [];

  constructor(readonly nodes: FakeNode[]) {}

  now(): Date {
    return this.clock;
  }

  nodeExecutableVersion(): string {
    return "23.1";
  }

  buildTag(): string {
    return "v23.1.11";
  }

  async activeVersion(): Promise<ActiveVersion> {
    const [major, minor] = this.clusterVersion.split(".").map(Number);
    return { major, minor, patch: 0, internal: 0 };
  }

  virtualTable(name: string): VirtualTable | undefined {
    const table = (columns: readonly ResultColumn[], rows: () => unknown[][]): VirtualTable => ({ columns, rows: async () => rows() });
    const t = this.clock;
    switch (name) {
      case "crdb_internal.gossip_nodes":
        return table(columnsOf("crdb_internal.gossip_nodes"), () =>
          this.nodes
            .filter((n) => !n.livenessOnly)
            .map((n) => [
              n.id,
              "tcp",
              n.address,
              n.address,
              "tcp",
              n.address,
              n.address,
              [],
              n.locality ?? "",
              "",
              "23.1",
              n.buildTag,
              t,
              n.isLive,
              n.ranges ?? 0,
              0,
            ]),
        );
      case "crdb_internal.gossip_liveness":
        return table(columnsOf("crdb_internal.gossip_liveness"), () =>
          this.nodes.map((n) => [
            n.id,
            1,
            hlcString(t.getTime() + n.livenessTtlSeconds * 1000),
            n.draining ?? false,
            n.membership !== undefined && n.membership !== "active",
            n.membership ?? "active",
            t,
          ]),
        );
      case "crdb_internal.kv_store_status":
        return table(columnsOf("crdb_internal.kv_store_status"), () =>
          this.nodes
            .filter((n) => !n.livenessOnly)
            .map((n) => [n.id, n.id, [], 1e10, 9e9, 1e9, 1e9, n.ranges ?? 0, 0, 0, {}, {}, n.metrics ?? {}, {}]),
        );
      default:
        return undefined;
    }
  }

  async showSetting(name: string): Promise<{ type: SqlType; value: unknown }> {
    const s = this.settings.get(name);
    if (s === undefined) throw unknownSettingForShow(name);
    return { type: s.type, value: s.value };
  }

  async setSetting(name: string, value: unknown): Promise<void> {
    const s = this.settings.get(name);
    if (s === undefined) throw unknownSettingForSet(name);
    if (name === "cluster.preserve_downgrade_option" && value !== null && value !== "" && value !== this.clusterVersion) {
      throw new SqlError(
        "22023",
        `cannot set cluster.preserve_downgrade_option to ${String(value)} (cluster version is ${this.clusterVersion})`,
      );
    }
    s.value = value === null ? s.default : value;
  }

  async listSettings(): Promise<readonly SettingInfo[]> {
    return [...this.settings].map(([name, s]) => ({
      name,
      value: String(s.value),
      type: s.type === "bool" ? "b" : s.type === "interval" ? "d" : "s",
      description: `fake ${name}`,
    }));
  }

  async backup(stmt: string): Promise<QueryResult> {
    this.backups.push(stmt);
    return {
      command: "BACKUP",
      columns: [
        col("job_id", "int8"),
        col("status", "text"),
        col("fraction_completed", "float8"),
        col("rows", "int8"),
        col("index_entries", "int8"),
        col("bytes", "int8"),
      ],
      rows: [[BigInt(this.backups.length), "succeeded", 1, 0n, 0n, 0n]],
      rowCount: 1,
    };
  }
}
