/**
 * May a group of nodes be down at once? Proven from the cluster's replica
 * placement, never assumed: a range stays available only while a majority
 * of its voters is up, so a batch is safe when, for every range, the voters
 * outside the batch on nodes that are up right now still form a majority.
 * Nodes that are already not live count against the quorum like the batch
 * does; a voter whose store the cluster cannot place on a node counts as
 * down. Non-voters and learners never count (they do not vote).
 *
 * The judgement is pure (judgeDown, judgeLocalities); readPlacement and
 * proveDown are the I/O around it. The SQL is valid on CockroachDB v21.1+
 * (crdb_internal.ranges_no_leases.voting_replicas holds store IDs, CR
 * `pkg/sql/crdb_internal.go`), stores map to nodes via kv_store_status.
 *
 * A range in a joint configuration (mid-rebalance) lists its incoming and
 * outgoing voters together; that is transient, and the gates before and
 * after each batch catch what the snapshot misses.
 */
import type { ClusterReader, GossipRow } from "./reader";
import { matchNodes } from "./reader";
import { messageOf } from "../core/errors";
import type { LocalityVerdict, NodeSpec } from "../core/types";

export interface RangeVoters {
  readonly rangeId: number;
  /** The node of each voter; undefined when its store maps to no node (never counted as up). */
  readonly voterNodes: readonly (number | undefined)[];
}

export interface PlacementNode {
  readonly nodeId: number;
  /** The locality batches are grouped by: the spec's for listed nodes, the cluster's for others. */
  readonly locality: string;
  /** Live and not draining: its voters count towards a quorum. */
  readonly up: boolean;
  /** For messages: the spec's name, or `node <id>`. */
  readonly label: string;
  /** In the spec's nodes (an unlisted or decommissioned node that is down is no batch's concern). */
  readonly listed: boolean;
}

export interface Placement {
  readonly ranges: readonly RangeVoters[];
  readonly nodes: readonly PlacementNode[];
}

export interface Verdict {
  readonly safe: boolean;
  /** Why, in words an operator can check (range IDs, node names, counts). */
  readonly reason: string;
}

export interface PlacementVerdict extends Verdict {
  readonly localities: readonly LocalityVerdict[];
}

/** Ranges named in a refusal; the rest are counted. */
const EXAMPLES = 3;

/** Pure: with the nodes in `down` (node IDs) stopped as well, does every range keep a live-voter majority? */
export function judgeDown(placement: Placement, down: readonly number[], label: string): Verdict {
  if (placement.ranges.length === 0) return { safe: false, reason: "the cluster listed no ranges, so a quorum cannot be proven" };
  const byId = new Map(placement.nodes.map((n) => [n.nodeId, n] as const));
  const gone = new Set(down);
  const isUp = (id: number | undefined): boolean => id !== undefined && !gone.has(id) && byId.get(id)?.up === true;
  const lost = placement.ranges.filter((r) => r.voterNodes.filter(isUp).length < majority(r.voterNodes.length));
  if (lost.length === 0) {
    return { safe: true, reason: `all ${placement.ranges.length} ranges keep a majority of live voters with ${label} down` };
  }
  const examples = lost.slice(0, EXAMPLES).map((r) => describeLoss(r, gone, byId));
  const more = lost.length > EXAMPLES ? `; and ${lost.length - EXAMPLES} more` : "";
  return {
    safe: false,
    reason: `${lost.length} of ${placement.ranges.length} ranges would lose quorum with ${label} down: ${examples.join("; ")}${more}`,
  };
}

/** Pure: one verdict per locality (all of its nodes down at once), and overall (every locality safe). */
export function judgeLocalities(placement: Placement): PlacementVerdict {
  const groups = new Map<string, number[]>();
  for (const n of placement.nodes) groups.set(n.locality, [...(groups.get(n.locality) ?? []), n.nodeId]);
  const localities = [...groups].map(([locality, ids]): LocalityVerdict => ({
    locality,
    ...judgeDown(placement, ids, localityLabel(locality)),
  }));
  const unsafe = localities.filter((v) => !v.safe);
  if (localities.length === 0) return { safe: false, reason: "the cluster listed no nodes", localities };
  if (unsafe.length === 0) {
    return {
      safe: true,
      reason: `every range keeps a quorum with any one locality down (${localities.map((v) => v.locality).join("; ")})`,
      localities,
    };
  }
  return { safe: false, reason: unsafe.map((v) => v.reason).join(" | "), localities };
}

function majority(voters: number): number {
  return Math.floor(voters / 2) + 1;
}

function localityLabel(locality: string): string {
  return locality === "" ? "the nodes without a locality" : locality;
}

/** "range 42: 2 of its 3 voters among them (n1, n4), 1 on a node not live (n7)" */
function describeLoss(r: RangeVoters, gone: ReadonlySet<number>, byId: ReadonlyMap<number, PlacementNode>): string {
  if (r.voterNodes.length === 0) return `range ${r.rangeId}: no voters listed`;
  const name = (id: number | undefined): string => (id === undefined ? "an unknown store" : (byId.get(id)?.label ?? `node ${id}`));
  const inBatch = r.voterNodes.filter((id) => id !== undefined && gone.has(id));
  const notLive = r.voterNodes.filter((id) => id === undefined || (!gone.has(id) && byId.get(id)?.up !== true));
  const parts = [
    `${inBatch.length} of its ${r.voterNodes.length} voters among them${inBatch.length > 0 ? ` (${inBatch.map(name).join(", ")})` : ""}`,
  ];
  if (notLive.length > 0) parts.push(`${notLive.length} on a node not live (${notLive.map(name).join(", ")})`);
  return `range ${r.rangeId}: ${parts.join(", ")}`;
}

// ---------------------------------------------------------------------------
// I/O: the cluster's placement, and the verdicts the plan and rollout use.
// ---------------------------------------------------------------------------

/** Voters as store IDs; both columns exist in every version with non-voters (v21.1+). */
const RANGES_SQL = "SELECT range_id, voting_replicas FROM crdb_internal.ranges_no_leases";
const STORES_SQL = "SELECT node_id, store_id FROM crdb_internal.kv_store_status";

/** Reads placement; `rows` (gossip) gives liveness and the localities of nodes the spec does not list. */
export async function readPlacement(reader: ClusterReader, specNodes: readonly NodeSpec[], rows: readonly GossipRow[]): Promise<Placement> {
  const [ranges, stores] = await Promise.all([reader.rows(RANGES_SQL), reader.rows(STORES_SQL)]);
  const nodeOfStore = new Map(stores.map((s) => [Number(s.store_id), Number(s.node_id)] as const));
  return {
    ranges: ranges.map((r) => ({ rangeId: Number(r.range_id), voterNodes: intArray(r.voting_replicas).map((s) => nodeOfStore.get(s)) })),
    nodes: placementNodes(specNodes, rows),
  };
}

/** Every node the cluster knows; listed ones under their spec name and locality. */
export function placementNodes(specNodes: readonly NodeSpec[], rows: readonly GossipRow[]): PlacementNode[] {
  const { byName } = matchNodes(specNodes, rows);
  const listed = new Map([...byName].map(([name, row]) => [row.nodeId, specNodes.find((n) => n.name === name) as NodeSpec] as const));
  return rows.map((r) => {
    const spec = listed.get(r.nodeId);
    return {
      nodeId: r.nodeId,
      locality: spec?.locality ?? r.locality,
      up: r.isAvailable && r.isLive && !r.draining,
      label: spec?.name ?? `node ${r.nodeId}`,
      listed: spec !== undefined,
    };
  });
}

/** The plan's per-locality verdicts. Never throws: what cannot be read is not proven. */
export async function localityVerdicts(
  reader: ClusterReader,
  specNodes: readonly NodeSpec[],
  rows: readonly GossipRow[],
): Promise<PlacementVerdict> {
  try {
    return judgeLocalities(await readPlacement(reader, specNodes, rows));
  } catch (e) {
    return { safe: false, reason: `replica placement could not be read: ${messageOf(e)}`, localities: [] };
  }
}

/**
 * Re-checked right before a batch goes down (placement moves between
 * batches): these listed nodes, and no other, may be down now. A listed node
 * outside the batch that is not up would make it more than the batch.
 */
export async function proveDown(reader: ClusterReader, specNodes: readonly NodeSpec[], names: readonly string[]): Promise<Verdict> {
  const label = names.join(", ");
  try {
    const rows = await reader.gossip();
    const placement = await readPlacement(reader, specNodes, rows);
    const { byName } = matchNodes(specNodes, rows);
    const unknown = names.filter((n) => !byName.has(n));
    if (unknown.length > 0) return { safe: false, reason: `${unknown.join(", ")} not in the cluster's node list` };
    const ids = names.map((n) => (byName.get(n) as GossipRow).nodeId);
    const alsoDown = placement.nodes.filter((n) => n.listed && !n.up && !ids.includes(n.nodeId));
    if (alsoDown.length > 0) {
      return {
        safe: false,
        reason: `${alsoDown.map((n) => n.label).join(", ")} not live: with ${label} more nodes than the batch would be down`,
      };
    }
    return judgeDown(placement, ids, label);
  } catch (e) {
    return { safe: false, reason: `replica placement could not be read: ${messageOf(e)}` };
  }
}

/** node-postgres gives INT8[] as strings; a text form "{1,2}" is accepted too. */
function intArray(v: unknown): number[] {
  if (Array.isArray(v)) return v.map(Number);
  if (typeof v === "string")
    return v
      .replace(/[{}]/g, "")
      .split(",")
      .filter((s) => s.trim() !== "")
      .map(Number);
  return [];
}
