/**
 * The cluster side of the node's SQL engine: crdb_internal virtual tables,
 * cluster settings, versions and the clock, all answered by the fabric so
 * that every node shows the same cluster (reference §2, §5).
 */
import { PgSession, SqlError, SqlType } from "../pgwire/types";
import { ClusterHooks, SettingInfo, VirtualTable } from "../sql";
import { unknownSettingForSet, unknownSettingForShow } from "../sql/errors";
import { VTABLE_SCHEMAS } from "../common/vtable-schemas";
import { compareSeries, formatSeries, parseSeries, seriesOfTag } from "../common/versions";
import type { InternalsGuard } from "../sql/unsafe-internals";
import { metadataTableRefusal } from "../sql/table-privileges";
import { clusterOption } from "../sql/virtual-cluster";
import { FabricClient, FabricError } from "../fabric/client";
import { SettingValue } from "../fabric/protocol";
import { intervalText } from "../fabric/settings";

export interface NodeSqlContext {
  readonly fabric: FabricClient;
  readonly binaryTag: string;
  nodeId(): number;
  /** An insecure node refuses to set passwords, as CockroachDB does. */
  readonly insecure: boolean;
  /** Counts statements for /_status/vars. */
  onSelect?(): void;
}

/** Rethrows a fabric error as the SQL error a client should see. */
export function asSqlError(e: unknown): Error {
  if (e instanceof FabricError) return new SqlError(e.code ?? "XXUUU", e.message);
  return e as Error;
}

/** The fabric's code for a setting this gateway's binary does not know. */
const UNKNOWN_SETTING = "42704";

export class NodeSqlHooks implements ClusterHooks {
  constructor(private readonly ctx: NodeSqlContext) {}

  virtualTable(qualifiedName: string): VirtualTable | undefined {
    const name = qualifiedName.toLowerCase();
    const schema = VTABLE_SCHEMAS[name];
    if (!schema) return undefined;
    const columnsOf = (type: string): number[] => schema.map((c, i) => (c.type === type ? i : -1)).filter((i) => i >= 0);
    const timestampCols = columnsOf("timestamp");
    const bytesCols = columnsOf("bytea");
    return {
      columns: schema.map((c) => ({ name: c.name, type: c.type })),
      rows: async () => {
        try {
          const { rows } = await this.ctx.fabric.call("virtualTable", { name, gatewayNodeId: this.ctx.nodeId() });
          return rows.map((r) => {
            const out = [...r];
            for (const i of timestampCols) if (typeof out[i] === "number") out[i] = new Date(out[i] as number);
            for (const i of bytesCols) if (typeof out[i] === "string") out[i] = Buffer.from(out[i] as string, "hex");
            return out;
          });
        } catch (e) {
          throw asSqlError(e);
        }
      },
    };
  }

  async showSetting(name: string): Promise<{ type: SqlType; value: unknown }> {
    try {
      const s = await this.ctx.fabric.call("showSetting", { name, gatewayTag: this.ctx.binaryTag });
      return typedSetting(s);
    } catch (e) {
      if (e instanceof FabricError && e.code === UNKNOWN_SETTING) throw unknownSettingForShow(name);
      throw asSqlError(e);
    }
  }

  async setSetting(name: string, value: unknown): Promise<void> {
    const text = value === null || value === undefined ? null : settingText(value);
    try {
      await this.ctx.fabric.call("setSetting", { name, value: text, gatewayTag: this.ctx.binaryTag });
    } catch (e) {
      if (e instanceof FabricError && e.code === UNKNOWN_SETTING) throw unknownSettingForSet(name);
      throw asSqlError(e);
    }
  }

  async listSettings(): Promise<readonly SettingInfo[]> {
    try {
      const all = await this.ctx.fabric.call("listSettings", { gatewayTag: this.ctx.binaryTag });
      return all.map((s) => ({ name: s.name, value: displayValue(s), type: typeLetter(s), description: s.description }));
    } catch (e) {
      throw asSqlError(e);
    }
  }

  nodeExecutableVersion(): string {
    return formatSeries(seriesOfTag(this.ctx.binaryTag));
  }

  async activeVersion(): Promise<{ major: number; minor: number; patch: number; internal: number }> {
    try {
      return await this.ctx.fabric.call("activeVersion", {});
    } catch (e) {
      throw asSqlError(e);
    }
  }

  buildTag(): string {
    return this.ctx.binaryTag;
  }

  /** v23.2+: the `-ccluster=` option, else server.controller.default_target_cluster (../sql/virtual-cluster.ts). */
  async sessionCluster(session: PgSession): Promise<string | undefined> {
    if (compareSeries(seriesOfTag(this.ctx.binaryTag), parseSeries("23.2")) < 0) return undefined;
    const named = clusterOption(session.options);
    if (named !== undefined) return named;
    const name = "server.controller.default_target_cluster";
    const s = await this.ctx.fabric.call("showSetting", { name, gatewayTag: this.ctx.binaryTag }).catch(() => undefined);
    return s?.value || "system";
  }

  /** The admin role (before v24.3) or VIEWCLUSTERMETADATA (v24.3+) for the gossip and store tables. */
  tableAccessRefusal(qualifiedName: string, user: string): Error | undefined {
    const v243 = compareSeries(seriesOfTag(this.ctx.binaryTag), parseSeries("24.3")) >= 0;
    return metadataTableRefusal(qualifiedName, user, v243);
  }

  /** allow_unsafe_internals from v25.4 (default on); off by default, guarding crdb_internal/system, from v26.1. */
  internalsGuard(): InternalsGuard {
    const series = seriesOfTag(this.ctx.binaryTag);
    return {
      variableExists: compareSeries(series, parseSeries("25.4")) >= 0,
      defaultAllowed: compareSeries(series, parseSeries("26.1")) < 0,
    };
  }

  nodeId(): number {
    return this.ctx.nodeId();
  }

  now(): Date {
    return new Date();
  }

  async createUser(name: string, ifNotExists: boolean, password: string | null | undefined): Promise<void> {
    this.refuseInsecurePassword(password);
    await this.call(() => this.ctx.fabric.call("createUser", { name, ifNotExists, password }));
  }

  async alterUser(name: string, ifExists: boolean, password: string | null | undefined): Promise<void> {
    this.refuseInsecurePassword(password);
    await this.call(() => this.ctx.fabric.call("alterUser", { name, ifExists, password }));
  }

  async dropUsers(names: readonly string[], ifExists: boolean): Promise<void> {
    await this.call(() => this.ctx.fabric.call("dropUser", { names: [...names], ifExists }));
  }

  listUsers(): Promise<readonly { readonly username: string; readonly hasPassword: boolean }[]> {
    return this.call(() => this.ctx.fabric.call("listUsers", {}));
  }

  private refuseInsecurePassword(password: string | null | undefined): void {
    if (this.ctx.insecure && typeof password === "string") {
      throw new SqlError("28P01", "setting or updating a password is not supported in insecure mode");
    }
  }

  private async call<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      throw asSqlError(e);
    }
  }
}

function typedSetting(s: SettingValue): { type: SqlType; value: unknown } {
  switch (s.type) {
    case "bool":
      return { type: "bool", value: s.value === "true" };
    case "duration":
      return { type: "interval", value: intervalText(s.value) };
    default:
      return { type: "text", value: s.value };
  }
}

function displayValue(s: SettingValue): string {
  return s.type === "duration" ? intervalText(s.value) : s.value;
}

/** SHOW CLUSTER SETTINGS' setting_type letters: s(tring), b(ool), d(uration), m(achine version). */
function typeLetter(s: SettingValue): string {
  return { bool: "b", duration: "d", string: "s", version: "m" }[s.type];
}

/** SET values arrive as engine values; settings take their text form. */
function settingText(value: unknown): string {
  if (typeof value === "string") return value;
  if (typeof value === "boolean" || typeof value === "number" || typeof value === "bigint") return String(value);
  return String(value);
}
