/**
 * The shared vocabulary of the provider: raw inputs (what a user writes),
 * the normalised Spec (what the rest of the code reads), what the cluster is
 * observed to run, the rollout plan, the rollout record and the outputs.
 *
 * Only types and constants live here, so that pure modules (spec, versions,
 * plan) and I/O modules (cluster, node, rollout) agree without importing each
 * other. One file per vocabulary (types-inputs, types-spec, types-observed,
 * types-plan, types-outputs); this file re-exports them, so importers need
 * not know which.
 */

export * from "./types-inputs";
export * from "./types-spec";
export * from "./types-observed";
export * from "./types-plan";
export * from "./types-outputs";
