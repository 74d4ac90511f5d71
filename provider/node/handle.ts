/**
 * A node as the rest of the provider holds it: its normalised spec and the
 * operations on it (ops.ts), built once per session over the node's
 * transport, with the spec's CLI security and deadlines.
 */
import type { Spec, NodeSpec } from "../core/types";
import type { Transport } from "../transport/transport";
import { NodeOps } from "./ops";

export interface NodeHandle {
  readonly spec: NodeSpec;
  readonly ops: NodeOps;
}

/** One handle per node of the spec, in spec order; `transports[i]` reaches `spec.nodes[i]`. */
export function nodeHandles(spec: Spec, transports: readonly Transport[]): NodeHandle[] {
  return spec.nodes.map((node, i) => ({ spec: node, ops: new NodeOps(node, transports[i], spec.sql, spec.strategy.deadlines) }));
}
