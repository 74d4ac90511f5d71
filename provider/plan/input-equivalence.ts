/**
 * Which inputs really changed, comparing what they MEAN rather than how they
 * are spelled: `waitAfterRejoin: "3s"` and `3` are the same wait, and a
 * default spelled out is the same as the default omitted. Both sides are
 * read by parseSpec (the one reader of inputs), so equivalence is exactly
 * "the provider would behave the same".
 *
 * Order: the roll order is `strategy.order`, or the `nodes` order when no
 * side gives one. So when either side gives `strategy.order`, the resolved
 * orders are compared under `strategy` and `nodes` is compared as a set
 * (keyed by name); when neither does, `nodes` is compared in order (its order
 * is the roll order) and adding a node is a change of `nodes` only.
 *
 * When either side cannot be read (preview unknowns, or state written by an
 * older provider that this one refuses), the raw values are compared, which
 * can only report more changes, never fewer.
 */
import { sameCanonical } from "../core/canonical";
import { parseSpec } from "../spec/parse";
import type { ClusterVersionInputs, Spec } from "../core/types";

/** Inputs whose change means an update (providerVersion: so fixed code reaches read and delete). */
export const COMPARED_KEYS = ["version", "nodes", "sql", "release", "strategy", "hooks", "providerVersion"] as const;
export type ComparedKey = (typeof COMPARED_KEYS)[number];

/** The compared keys whose meaning differs between the stored inputs (`olds`, the outputs' echo) and `news`. */
export function changedInputKeys(olds: Partial<Record<ComparedKey, unknown>>, news: Partial<Record<ComparedKey, unknown>>): ComparedKey[] {
  const explicitOrder = hasOrder(olds) || hasOrder(news);
  const a = normalized(olds, explicitOrder);
  const b = normalized(news, explicitOrder);
  return COMPARED_KEYS.filter((k) => !(a && b ? sameCanonical(a[k], b[k]) : sameCanonical(olds[k], news[k])));
}

/** The meaning of each compared key (compared with sameCanonical), or undefined when the inputs cannot be read. */
function normalized(v: Partial<Record<ComparedKey, unknown>>, explicitOrder: boolean): Record<ComparedKey, unknown> | undefined {
  let spec: Spec;
  try {
    spec = parseSpec(inputKeysOf(v));
  } catch {
    return undefined;
  }
  const byName = (x: { name: string }, y: { name: string }): number => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0);
  const nodes = explicitOrder ? [...spec.nodes].sort(byName) : spec.nodes;
  const strategy = explicitOrder ? spec.strategy : { ...spec.strategy, order: undefined };
  return {
    version: spec.version,
    nodes,
    sql: spec.sql,
    release: spec.release,
    strategy,
    hooks: spec.hooks,
    providerVersion: v.providerVersion,
  };
}

function hasOrder(v: Partial<Record<ComparedKey, unknown>>): boolean {
  const s = v.strategy;
  return typeof s === "object" && s !== null && (s as { order?: unknown }).order !== undefined;
}

/** Only the input keys: stored outputs carry derived keys that parseSpec would refuse as unknown. */
function inputKeysOf(v: Partial<Record<ComparedKey, unknown>>): ClusterVersionInputs {
  const out: Record<string, unknown> = {};
  for (const k of COMPARED_KEYS) if (v[k] !== undefined) out[k] = v[k];
  return out as unknown as ClusterVersionInputs;
}
