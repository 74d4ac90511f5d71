/**
 * `pulumi import`: the engine calls Read with only the ID. The ID names how
 * to reach the cluster (import-id.ts); the cluster names its nodes
 * (import-nodes.ts); then the ordinary refresh (lifecycle.read) reports what
 * they run. Nothing is written to the cluster.
 */
import * as fs from "fs";
import * as path from "path";
import { ClusterReader } from "../provider/cluster/reader";
import { parseSpec } from "../provider/spec/parse";
import type { ClusterVersionInputs, SqlInput } from "../provider/core/types";
import { parseImportId, type ImportId } from "./import-id";
import { inputsFromCluster, type DiscoveredNode } from "./import-nodes";

/** The inputs of the cluster an import ID names, read from the cluster itself. */
export async function inputsForImport(idText: string): Promise<ClusterVersionInputs> {
  const id = parseImportId(idText);
  const sql = sqlInput(id);
  const reader = seedReader(id, sql);
  try {
    const gossip = await reader.gossip();
    const argRows = await reader.rows("SELECT node_id, args FROM crdb_internal.kv_node_status");
    const args = new Map(argRows.map((r) => [Number(r.node_id), argsOf(r.args)]));
    const nodes: DiscoveredNode[] = gossip.map((g) => ({
      nodeId: g.nodeId,
      sqlAddress: g.sqlAddress,
      build: g.build,
      locality: g.locality,
      membership: g.membership,
      args: args.get(g.nodeId) ?? [],
    }));
    return inputsFromCluster(id, nodes, sql);
  } catch (e) {
    throw new Error(`import ${id.addrs.join(",")}: ${(e as Error).message}`);
  } finally {
    await reader.close();
  }
}

/** The sql input an import ID implies; a secure cluster's client certificate is read from certsDir here. */
function sqlInput(id: ImportId): SqlInput {
  if (id.insecure) return { user: id.user, insecure: true, ...(id.certsDir ? { certsDir: id.certsDir } : {}) };
  const dir = id.certsDir as string;
  const read = (file: string): string => {
    try {
      return fs.readFileSync(path.join(dir, file), "utf8");
    } catch (e) {
      throw new Error(
        `import: cannot read ${path.join(dir, file)} (certsDir): ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
      );
    }
  };
  return {
    user: id.user,
    certsDir: dir,
    tls: { ca: read("ca.crt"), cert: read(`client.${id.user}.crt`), key: read(`client.${id.user}.key`) },
  };
}

/** A reader over the ID's SQL addresses only (the nodes are not known yet). */
function seedReader(id: ImportId, sql: SqlInput): ClusterReader {
  const spec = parseSpec({
    version: "v23.1.0", // unused: the reader only needs addresses and the SQL settings
    sql,
    nodes: id.addrs.map((addr, i) => ({
      name: `seed${i + 1}`,
      sqlAddr: addr,
      httpAddr: otherPort(addr), // unused (SQL only), but must differ from sqlAddr
      binaryPath: "/unused",
      process: { manager: "commands", start: "true", stop: "true", status: "true" },
    })),
  });
  return new ClusterReader(spec.sql, spec.nodes);
}

function otherPort(addr: string): string {
  const i = addr.lastIndexOf(":");
  return `${addr.slice(0, i)}:${addr.slice(i + 1) === "8080" ? 8081 : 8080}`;
}

/** kv_node_status.args is JSONB: the driver gives an array, or its text. */
function argsOf(v: unknown): string[] {
  const parsed = typeof v === "string" ? (JSON.parse(v) as unknown) : v;
  return Array.isArray(parsed) ? parsed.map(String) : [];
}
