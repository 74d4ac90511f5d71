/**
 * A run's connections: a transport to every node (dialled at once: SSH dials
 * are slow) and the cluster reader (SQL and HTTP); close() ends them all.
 */
import { ClusterReader } from "../cluster/reader";
import { ReadFailed, messageOf } from "../core/errors";
import { nodeHandles, type NodeHandle } from "../node/handle";
import { openTransport } from "../transport";
import type { Transport } from "../transport/transport";
import type { Spec } from "../core/types";

export interface Session {
  readonly reader: ClusterReader;
  readonly handles: NodeHandle[];
  close(): Promise<void>;
}

/** Transports to every node (dialled at once: SSH dials are slow), a SQL/HTTP reader; close() ends them all. */
export async function openSession(spec: Spec): Promise<Session> {
  const opened = await Promise.allSettled(spec.nodes.map((n) => openTransport(n.connection)));
  const transports = opened.flatMap((r) => (r.status === "fulfilled" ? [r.value] : []));
  const close = async (): Promise<void> => {
    await Promise.all(transports.map((t: Transport) => t.close().catch(() => undefined)));
  };
  try {
    const failed = opened.flatMap((r, i) => (r.status === "rejected" ? [`node ${spec.nodes[i].name}: ${messageOf(r.reason)}`] : []));
    if (failed.length > 0) throw new ReadFailed("cannot reach", failed.join("; "));
    const handles = nodeHandles(spec, transports);
    const reader = new ClusterReader(spec.sql, spec.nodes);
    return {
      reader,
      handles,
      close: async () => {
        await reader.close();
        await close();
      },
    };
  } catch (e) {
    await close();
    throw e;
  }
}
