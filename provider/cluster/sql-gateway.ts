/**
 * SQL over pgwire through one gateway connection at a time. The rollout
 * tells it which nodes to avoid (the one being drained or restarted), so
 * reads never depend on a node about to go down; on a connection-level
 * error the next listed node is tried. A statement the server refused is
 * not retried elsewhere: another gateway would refuse it too.
 *
 * The password goes only into the pg client config — never into a message.
 */
import { Client, type ClientConfig } from "pg";
import type { HostPort, NodeSpec, Spec } from "../core/types";
import { SYSTEM_CLUSTER_OPTION, SessionRefused, inApplicationCluster, prepareSession, virtualClusterRefusal } from "./sql-session";
import { withPrivilegeAdvice } from "./sql-privileges";

const CONNECT_TIMEOUT_MS = 3_000;
const QUERY_TIMEOUT_MS = 15_000;

export class SqlGateway {
  private client?: Client;
  private gatewayName?: string;
  private readonly avoided = new Set<string>();
  /** Sessions landed in an application virtual cluster: connect with options=-ccluster=system (sql-session.ts). */
  private systemOption = false;

  constructor(
    private readonly sql: Spec["sql"],
    private readonly nodes: readonly NodeSpec[],
  ) {}

  /** Stop using these nodes as gateways (they are about to go down); closes a connection to them. */
  async avoid(names: readonly string[]): Promise<void> {
    this.avoided.clear();
    for (const n of names) this.avoided.add(n);
    if (this.gatewayName !== undefined && this.avoided.has(this.gatewayName)) await this.dropClient();
  }

  async close(): Promise<void> {
    await this.dropClient();
  }

  /** Runs one statement on the current gateway; on a connection-level failure, retries once per other node. */
  async query(text: string, params: readonly unknown[] = []): Promise<Record<string, unknown>[]> {
    let lastError: Error | undefined;
    for (const node of this.gatewayCandidates()) {
      try {
        const client = await this.clientFor(node);
        // No parameters: the simple protocol, which also takes several statements (the backup hook).
        const res = params.length > 0 ? await client.query(text, [...params]) : await client.query(text);
        return Array.isArray(res) ? (res[res.length - 1]?.rows ?? []) : res.rows;
      } catch (e) {
        lastError = e as Error;
        if (e instanceof SessionRefused) throw e;
        if (isStatementError(e))
          throw new Error(`SQL on ${node.name}: ${withPrivilegeAdvice(lastError.message, (e as { code?: string }).code, this.sql.user)}`);
        await this.dropClient();
      }
    }
    throw new Error(
      `no SQL gateway answered (tried ${this.gatewayCandidates()
        .map((n) => n.name)
        .join(", ")}): ${lastError?.message ?? "no nodes"}`,
    );
  }

  /** The current gateway first, then the other non-avoided nodes in list order. */
  private gatewayCandidates(): NodeSpec[] {
    const usable = this.nodes.filter((n) => !this.avoided.has(n.name));
    const current = usable.find((n) => n.name === this.gatewayName);
    return current ? [current, ...usable.filter((n) => n !== current)] : usable;
  }

  private async clientFor(node: NodeSpec): Promise<Client> {
    if (this.client && this.gatewayName === node.name) return this.client;
    await this.dropClient();
    let client = await this.connect(node.sqlAddr, this.systemOption);
    // Session setup per gateway version and virtual cluster (sql-session.ts).
    let facts = await prepareSession(client).catch(async (e: unknown) => {
      await client.end().catch(() => undefined);
      throw e;
    });
    if (inApplicationCluster(facts) && !this.systemOption) {
      await client.end().catch(() => undefined);
      const landedIn = facts.virtualCluster as string;
      try {
        client = await this.connect(node.sqlAddr, true);
        facts = await prepareSession(client);
      } catch (e) {
        throw virtualClusterRefusal(node.name, landedIn, (e as Error).message);
      }
      if (inApplicationCluster(facts)) throw virtualClusterRefusal(node.name, landedIn, `it landed in "${facts.virtualCluster}"`);
      this.systemOption = true;
    }
    this.client = client;
    this.gatewayName = node.name;
    return client;
  }

  private async connect(addr: HostPort, systemCluster: boolean): Promise<Client> {
    const client = new Client({ ...this.clientConfig(addr), ...(systemCluster && { options: SYSTEM_CLUSTER_OPTION }) });
    // A dropped connection (node stopped) emits "error" on the client; without
    // a listener that would crash the process.
    client.on("error", () => void this.dropClient());
    await client.connect();
    return client;
  }

  private clientConfig(addr: HostPort): ClientConfig {
    const tls = this.sql.tls;
    return {
      host: addr.host,
      port: addr.port,
      user: this.sql.user,
      password: this.sql.password,
      database: this.sql.database,
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
      query_timeout: QUERY_TIMEOUT_MS,
      application_name: "pulumi-crdb-upgrade",
      ssl: this.sql.insecure
        ? false
        : { ca: tls?.ca, cert: tls?.cert, key: tls?.key, servername: tls?.serverName, rejectUnauthorized: tls?.ca !== undefined },
    };
  }

  private async dropClient(): Promise<void> {
    const c = this.client;
    this.client = undefined;
    this.gatewayName = undefined;
    if (c) await c.end().catch(() => undefined);
  }
}

/** A statement the server refused (it has a SQLSTATE) — another gateway would refuse it too — except "shutting down" codes. */
function isStatementError(e: unknown): boolean {
  const code = (e as { code?: unknown }).code;
  if (typeof code !== "string" || !/^[0-9A-Z]{5}$/.test(code)) return false;
  // 57P01 admin shutdown, 57P02/57P03, 08xxx connection exceptions: the node, not the statement.
  return !code.startsWith("57P") && !code.startsWith("08");
}
