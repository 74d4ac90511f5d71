/**
 * The shapes the engine expects back: a stable id, the inputs echoed in
 * outputs, a partial failure that records the truth, a spec error worded
 * for the CLI.
 */
import * as crypto from "crypto";
import { isSpecError, messageOf, rewordError } from "../core/errors";
import { parseSpec } from "../spec/parse";
import type { ClusterVersionInputs, ClusterVersionOutputs, Spec } from "../core/types";

type Props = Record<string, unknown>;

export function parseSpecOrExplain(inputs: ClusterVersionInputs): Spec {
  try {
    return parseSpec(inputs);
  } catch (e) {
    if (isSpecError(e)) throw rewordError(e, (m) => `invalid inputs: ${m}`);
    throw e instanceof Error ? e : new Error(messageOf(e));
  }
}

/**
 * The engine's partial-failure shape. An object with an `id` is recorded as
 * an initialization error: the outputs are saved and the next `up` is forced
 * into update, which resumes.
 */
export function partialFailure(
  id: string,
  message: string,
  outs: Props,
  rawNews: Props,
): { message: string; id: string; properties: Props; reasons: string[] } {
  const properties = rawNews.__provider !== undefined ? { ...outs, __provider: rawNews.__provider } : outs;
  return { message, id, properties, reasons: [message] };
}

/** The inputs part of stored outputs (the echoed keys). */
export function inputsOf(outs: Partial<ClusterVersionOutputs>): ClusterVersionInputs {
  const { version, nodes, sql, release, strategy, hooks, providerVersion } = outs;
  const all = { version, nodes, sql, release, strategy, hooks, providerVersion };
  return JSON.parse(JSON.stringify(all)) as ClusterVersionInputs;
}

/** A stable id from the cluster's node addresses: the same cluster adopted twice gets the same id. */
export function resourceIdFor(inputs: Props): string {
  const nodes = Array.isArray(inputs.nodes) ? (inputs.nodes as { sqlAddr?: unknown }[]) : [];
  const addrs = nodes.map((n) => String(n.sqlAddr ?? "")).sort();
  return `crdb-${crypto.createHash("sha256").update(addrs.join(",")).digest("hex").slice(0, 12)}`;
}
