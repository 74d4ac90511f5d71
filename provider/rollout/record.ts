/**
 * Builds the rollout record (per node, per phase: start, duration, outcome,
 * a few gate samples) and emits the matching events. The record goes into
 * the resource outputs, so it is kept small: gate samples are capped per
 * phase (the first and the last few are what an operator reads).
 */
import type { Emit, NodePosition } from "../core/events";
import { isTransportError, NodeOpFailed } from "../core/errors";
import type { GateSample, NodeRolloutRecord, Phase, PhaseRecord, RolloutRecord, UpgradeKind } from "../core/types";

/** Samples kept per phase record: the first one and the last ones. */
const MAX_SAMPLES = 4;

type NodeOutcome = NodeRolloutRecord["outcome"];

interface MutableNode {
  readonly name: string;
  nodeId?: number;
  from?: string;
  to: string;
  outcome: NodeOutcome;
  readonly phases: PhaseRecord[];
}

export class RolloutRecorder {
  private readonly startedAt = new Date();
  private readonly nodes = new Map<string, MutableNode>();
  private head: { readonly id: string; readonly from: string; readonly to: string; readonly kind: UpgradeKind };
  /** What finalization did, when it ran or was deferred. */
  finalization?: RolloutRecord["finalization"];
  /** The evidence taken before a rollback (failure-evidence.ts). */
  debugZip?: RolloutRecord["debugZip"];
  /** Single-node clusters: how long the cluster was down (single-node.ts). */
  downtimeMs?: number;
  /** The run's estimates: the plan's, the watch it holds, and the re-estimate after the canary (reestimate.ts). */
  eta?: { plannedMs: number; watchMs?: number; afterCanary?: NonNullable<RolloutRecord["eta"]>["afterCanary"] };
  private readonly notes: string[] = [];

  constructor(
    head: { readonly id: string; readonly from: string; readonly to: string; readonly kind: UpgradeKind },
    nodeNames: readonly string[],
    private readonly emit: Emit,
  ) {
    this.head = head;
    for (const name of nodeNames) this.nodes.set(name, { name, to: head.to, outcome: "untouched", phases: [] });
  }

  /** The plan is known only after resume and observation; the head follows it. */
  setHead(h: { readonly from: string; readonly kind: UpgradeKind }): void {
    this.head = { ...this.head, ...h };
  }

  node(name: string, info: { nodeId?: number; from?: string; to?: string; outcome?: NodeOutcome }): void {
    const n = this.nodes.get(name);
    if (!n) return;
    if (info.nodeId !== undefined) n.nodeId = info.nodeId;
    if (info.from !== undefined) n.from = info.from;
    if (info.to !== undefined) n.to = info.to;
    if (info.outcome !== undefined) n.outcome = info.outcome;
  }

  /** The phases recorded so far for one node. */
  phasesOf(name: string): readonly PhaseRecord[] {
    return this.nodes.get(name)?.phases ?? [];
  }

  outcomeOf(name: string): NodeOutcome | undefined {
    return this.nodes.get(name)?.outcome;
  }

  /**
   * Runs one phase, recording it under the node (or cluster-wide when no
   * node) and emitting phase-start/phase-end. `fn` may return samples to keep.
   */
  async phase<T>(
    phase: Phase,
    at: NodePosition | undefined,
    fn: () => Promise<T>,
    samplesOf?: (r: T) => readonly GateSample[],
  ): Promise<T> {
    const started = new Date();
    this.emit({ type: "phase-start", phase, at });
    try {
      const result = await fn();
      this.push(at?.node, {
        phase,
        startedAt: started.toISOString(),
        durationMs: Date.now() - started.getTime(),
        ok: true,
        samples: capSamples(samplesOf?.(result)),
      });
      this.emit({ type: "phase-end", phase, at, ok: true, durationMs: Date.now() - started.getTime() });
      return result;
    } catch (raw) {
      const e = this.namingNodeAndPhase(raw, phase, at);
      const detail = (e as Error).message;
      const samples = capSamples((e as { samples?: readonly GateSample[] }).samples);
      this.push(at?.node, {
        phase,
        startedAt: started.toISOString(),
        durationMs: Date.now() - started.getTime(),
        ok: false,
        detail,
        samples,
      });
      this.emit({ type: "phase-end", phase, at, ok: false, durationMs: Date.now() - started.getTime(), detail });
      throw e;
    }
  }

  /**
   * A transport failure (connection lost, host unreachable) says only which
   * host it could not reach; the user needs node and phase too.
   */
  private namingNodeAndPhase(e: unknown, phase: Phase, at: NodePosition | undefined): unknown {
    if (at === undefined || !isTransportError(e)) return e;
    return new NodeOpFailed(phase, { name: at.node, host: this.hostOf(at.node) }, "lost contact with the host", e.message);
  }

  /** How node names map to hosts, for error messages. Defaults to the name itself. */
  setHostLookup(hostOf: (node: string) => string): void {
    this.hostOf = hostOf;
  }

  private hostOf: (node: string) => string = (node) => node;

  /** A finding recorded as a zero-length phase (e.g. an escalated stop, or what resume found). */
  annotate(node: string, phase: Phase, detail: string): void {
    this.push(node, { phase, startedAt: new Date().toISOString(), durationMs: 0, ok: true, detail });
  }

  /** A finding that does not stop the run: kept in the record's notes and emitted as a note. */
  note(message: string): void {
    this.notes.push(message);
    this.emit({ type: "note", message });
  }

  finish(outcome: RolloutRecord["outcome"], error?: string): RolloutRecord {
    const finalization = this.finalization;
    return {
      ...this.head,
      startedAt: this.startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      outcome,
      nodes: [...this.nodes.values()].map((n) => JSON.parse(JSON.stringify(n)) as NodeRolloutRecord),
      ...(error !== undefined ? { error } : {}),
      ...(finalization !== undefined ? { finalization } : {}),
      ...(this.downtimeMs !== undefined ? { downtimeMs: this.downtimeMs } : {}),
      ...(this.notes.length > 0 ? { notes: [...this.notes] } : {}),
      ...(this.debugZip !== undefined ? { debugZip: { ...this.debugZip } } : {}),
      ...(this.eta !== undefined ? { eta: JSON.parse(JSON.stringify(this.eta)) as RolloutRecord["eta"] } : {}),
    };
  }

  private push(node: string | undefined, rec: PhaseRecord): void {
    const { samples, detail, ...rest } = rec;
    // Keys with undefined values are left out: outputs must be plain JSON.
    const clean: PhaseRecord = {
      ...rest,
      ...(detail !== undefined ? { detail } : {}),
      ...(samples && samples.length > 0 ? { samples } : {}),
    };
    if (node === undefined) return; // cluster-wide phases are reported as events only
    this.nodes.get(node)?.phases.push(clean);
  }
}

export function capSamples(samples: readonly GateSample[] | undefined): readonly GateSample[] | undefined {
  if (!samples || samples.length === 0) return undefined;
  if (samples.length <= MAX_SAMPLES) return samples;
  return [samples[0], ...samples.slice(-(MAX_SAMPLES - 1))];
}
