/**
 * What `pulumi refresh` (the provider's read) says about the cluster it
 * re-read. Refresh shows only whether outputs changed; a node that is down,
 * draining, or running a build other than the one the inputs ask for must be
 * named, or the operator learns it only at the next `up`'s pre-flight.
 *
 * The resource's outputs (nodeStatuses, clusterVersion) are rewritten from
 * the same observation by read; the stack's own outputs are the program's
 * exports and change only when the program runs (`pulumi up`), which the
 * report says when it warns.
 */
import type { Observation } from "../cluster/observe";

/** One line per problem found; empty when every node is running, live, not draining and on `version`. */
export function refreshWarnings(obs: Observation, version: string): string[] {
  const out: string[] = [];
  if (obs.sqlError !== undefined) out.push(`cannot read the cluster over SQL: ${obs.sqlError}`);
  for (const n of obs.nodes) {
    const problem = nodeProblem(n, version);
    if (problem !== undefined) out.push(`node ${n.name}: ${problem}`);
  }
  return out;
}

function nodeProblem(n: Observation["nodes"][number], version: string): string | undefined {
  if (n.process === "stopped") return "down (its process is not running)";
  if (n.process === "unknown") return `state unknown${n.errors.length > 0 ? ` (${n.errors[0]})` : ""}`;
  if (n.draining || n.process === "draining") return "draining";
  if (!n.live) return "running but not live in the cluster";
  const build = n.build ?? n.binaryBuild;
  if (build !== undefined && build !== version) return `runs ${build}, not ${version} (the inputs' version)`;
  return undefined;
}

/** The lines read prints: nothing when all is well, else a warning header and one line per node. */
export function refreshReport(obs: Observation, version: string): string[] {
  const warnings = refreshWarnings(obs, version);
  if (warnings.length === 0) return [];
  return [
    `warning: refresh found ${warnings.length} problem(s); the resource's nodeStatuses now say so, the stack's exports change at the next pulumi up:`,
    ...warnings.map((w) => `  ${w}`),
  ];
}
