/**
 * The fabric's methods (protocol.ts `FabricMethods`), over one cluster's
 * state. Validation messages follow CockroachDB (reference §5).
 */
import { randomUUID } from "crypto";
import { SimTiming } from "../common/timing";
import { Series, canRunOn, compareSeries, formatSeries, minSupportedSeries, parseSeries, seriesOfTag } from "../common/versions";
import { ClusterState } from "./cluster";
import { FabricMethods, ParamsOf, ResultOf, SettingValue, FabricMethod } from "./protocol";
import { SETTINGS, UnknownSetting, canonicalValue, lookupSetting } from "./settings";
import { SqlErrorLike } from "./sql-errors";
import { ClusterVersion } from "./upgrade";
import { virtualTableRows } from "./vtables";
import { Users } from "./users";
import { criticalNodesResponse } from "./critical-nodes";
import { InjectedCatalog } from "./preconditions";
import { CATALOG_VTABLES, catalogTableRows } from "./catalog-vtables";
import { InvalidLicense, decodeLicense } from "./license";
import { rangesResponse } from "./ranges-status";

type Handlers = { [M in FabricMethod]: (p: ParamsOf<M>) => ResultOf<M> | Promise<ResultOf<M>> };

export interface FabricOptions {
  readonly timing: SimTiming;
  /** The version the cluster is bootstrapped at, e.g. "23.1". */
  readonly initialVersion: Series;
  readonly rangeCount?: number;
}

export class FabricService implements Handlers {
  readonly cluster: ClusterState;
  readonly version: ClusterVersion;
  readonly users = new Users();
  readonly catalog = new InjectedCatalog();
  /** Web session cookie value -> user. */
  private readonly webSessions = new Map<string, string>();
  /** Node-level Ranges calls served (statusCounters). */
  private rangesServed = 0;
  private ticker: NodeJS.Timeout | undefined;

  constructor(opts: FabricOptions) {
    this.cluster = new ClusterState(opts.timing, opts.rangeCount);
    this.version = new ClusterVersion(this.cluster, opts.initialVersion, undefined, this.catalog);
  }

  start(): void {
    this.ticker = setInterval(() => this.cluster.tick(), this.cluster.timing.metricsRefreshMs);
  }

  stop(): void {
    if (this.ticker) clearInterval(this.ticker);
  }

  join(p: ParamsOf<"join">): ResultOf<"join"> {
    const binary = seriesOfTag(p.binaryTag);
    const active = this.version.active;
    if (compareSeries(binary, active) < 0) {
      throw new Error(`cluster requires at least version ${formatSeries(active)}, but peer has version ${formatSeries(binary)}`);
    }
    if (!canRunOn(binary, active)) {
      const min = minSupportedSeries(binary);
      throw new Error(
        `cluster version ${formatSeries(active)} is too old for running version v${formatSeries(binary)} ` +
          `(which requires data from v${formatSeries(min)} or later)`,
      );
    }
    if (p.nodeId !== undefined && !this.cluster.knows(p.nodeId, p.storeId)) {
      throw new Error(`store ${p.storePath} belongs to node ${p.nodeId}, which is not a member of cluster ${this.cluster.clusterId}`);
    }
    return this.cluster.join(p, active);
  }

  heartbeat(p: ParamsOf<"heartbeat">): ResultOf<"heartbeat"> {
    const n = this.cluster.heartbeat(p.nodeId);
    return { expiration: n.expiration, epoch: n.epoch, clusterVersion: formatSeries(this.version.active) };
  }

  setDraining(p: ParamsOf<"setDraining">): void {
    this.cluster.setDraining(p.nodeId, p.draining);
  }

  drainLeases(p: ParamsOf<"drainLeases">): ResultOf<"drainLeases"> {
    return { remaining: this.cluster.drainLeases(p.nodeId) };
  }

  leave(p: ParamsOf<"leave">): void {
    this.cluster.leave(p.nodeId);
  }

  virtualTable(p: ParamsOf<"virtualTable">): ResultOf<"virtualTable"> {
    if ((CATALOG_VTABLES as readonly string[]).includes(p.name)) return { rows: catalogTableRows(this.catalog, p.name) };
    return { rows: virtualTableRows(this.cluster, p.name) };
  }

  showSetting(p: ParamsOf<"showSetting">): SettingValue {
    if (p.name.toLowerCase() === "version") {
      return {
        name: "version",
        type: "version",
        value: this.version.show(),
        description: "set the active cluster version in the format '<major>.<minor>'",
      };
    }
    const def = this.lookup(p.name, p.gatewayTag);
    return { name: def.name, type: def.type, value: this.cluster.setting(def.name), description: def.description };
  }

  async setSetting(p: ParamsOf<"setSetting">): Promise<void> {
    if (p.name.toLowerCase() === "version") {
      if (p.value === null) throw new SqlErrorLike("XXUUU", "resetting the version setting is not supported");
      await this.version.set(p.value, p.gatewayTag);
      return;
    }
    const def = this.lookup(p.name, p.gatewayTag);
    if (p.value === null) {
      this.cluster.settings.delete(def.name);
      return;
    }
    let value: string;
    try {
      value = canonicalValue(def, p.value);
    } catch (e) {
      throw new SqlErrorLike("22023", (e as Error).message);
    }
    if (def.name === "cluster.preserve_downgrade_option" && value !== "") this.validatePreserveDowngrade(value);
    if (def.name === "enterprise.license") validateLicense(value);
    this.cluster.settings.set(def.name, value);
  }

  listSettings(p: ParamsOf<"listSettings">): readonly SettingValue[] {
    const out: SettingValue[] = [this.showSetting({ name: "version", gatewayTag: p.gatewayTag })];
    for (const def of SETTINGS) {
      try {
        out.push(this.showSetting({ name: def.name, gatewayTag: p.gatewayTag }));
      } catch {
        // Not known to this gateway's binary.
      }
    }
    return out.sort((a, b) => a.name.localeCompare(b.name));
  }

  activeVersion(): ResultOf<"activeVersion"> {
    return this.version.activeVersion();
  }

  upgradeStatus(p: ParamsOf<"upgradeStatus">): ResultOf<"upgradeStatus"> {
    return this.version.upgradeStatus(p.nodeId);
  }

  async finalize(p: ParamsOf<"finalize">): Promise<void> {
    await this.version.set(p.target, p.gatewayTag);
  }

  nodes(): ResultOf<"nodes"> {
    return this.cluster.summaries();
  }

  createUser(p: ParamsOf<"createUser">): void {
    this.users.create(p.name, p.ifNotExists, p.password);
  }

  alterUser(p: ParamsOf<"alterUser">): void {
    this.users.alter(p.name, p.ifExists, p.password);
  }

  dropUser(p: ParamsOf<"dropUser">): void {
    this.users.drop(p.names, p.ifExists);
  }

  checkPassword(p: ParamsOf<"checkPassword">): boolean {
    return this.users.check(p.user, p.password);
  }

  listUsers(): ResultOf<"listUsers"> {
    return this.users.list();
  }

  criticalNodes(): ResultOf<"criticalNodes"> {
    return criticalNodesResponse(this.cluster);
  }

  inject(p: ParamsOf<"inject">): void {
    if (p.clear) {
      this.catalog.invalidObjects = [];
      this.catalog.jobs = [];
      for (const n of this.cluster.nodes.values()) if (n.membership === "decommissioning") n.membership = "active";
    }
    for (const id of p.decommissioning ?? []) {
      const n = this.cluster.nodes.get(id);
      if (!n) throw new Error(`node ${id} is not a member of this cluster`);
      n.membership = "decommissioning";
    }
    this.catalog.invalidObjects.push(...(p.invalidObjects ?? []));
    const now = Date.now();
    this.catalog.jobs.push(...(p.jobs ?? []).map((j) => ({ ...j, created: now })));
  }

  /** Web sessions are cluster-wide (CockroachDB keeps them in system.web_sessions). */
  webLogin(p: ParamsOf<"webLogin">): ResultOf<"webLogin"> {
    if (!this.users.check(p.user, p.password)) return null;
    const cookie = Buffer.from(`${this.webSessions.size + 1}:${randomUUID()}`).toString("base64");
    this.webSessions.set(cookie, p.user);
    return cookie;
  }

  webSessionUser(p: ParamsOf<"webSessionUser">): ResultOf<"webSessionUser"> {
    return this.webSessions.get(p.cookie) ?? null;
  }

  recordWrites(p: ParamsOf<"recordWrites">): void {
    if (Number.isInteger(p.rows) && p.rows > 0) this.cluster.recordWrites(p.rows);
  }

  /** Served for a node whose process is up, as CockroachDB forwards the request to it. */
  statusRanges(p: ParamsOf<"statusRanges">): ResultOf<"statusRanges"> {
    const node = this.cluster.mustGet(p.nodeId);
    if (!node.processUp) throw new Error(`node ${p.nodeId} is not available`);
    this.rangesServed += 1;
    return rangesResponse(this.cluster, p.nodeId, p.rangeIds);
  }

  statusCounters(): ResultOf<"statusCounters"> {
    return { rangesServed: this.rangesServed };
  }

  private lookup(name: string, gatewayTag: string): ReturnType<typeof lookupSetting> {
    try {
      return lookupSetting(name, seriesOfTag(gatewayTag));
    } catch (e) {
      if (e instanceof UnknownSetting) throw new SqlErrorLike("42704", e.message);
      throw e;
    }
  }

  private validatePreserveDowngrade(value: string): void {
    let parsed: Series;
    try {
      parsed = parseSeries(value);
    } catch {
      throw new SqlErrorLike("XXUUU", `invalid version ${value}`);
    }
    const current = this.version.active;
    if (compareSeries(parsed, current) !== 0 || !/^\d+\.\d+$/.test(value)) {
      throw new SqlErrorLike(
        "XXUUU",
        `cannot set cluster.preserve_downgrade_option to ${value} (cluster version is ${formatSeries(current)})`,
      );
    }
  }
}

/** CR licenseccl.Decode: a key that does not decode is refused on SET. */
function validateLicense(value: string): void {
  try {
    decodeLicense(value);
  } catch (e) {
    if (e instanceof InvalidLicense) throw new SqlErrorLike("XXUUU", e.message);
    throw e;
  }
}

export type { FabricMethods };
