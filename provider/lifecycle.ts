/**
 * The engine's lifecycle methods, implemented. provider/index.ts is only a
 * serializable shim that requires this module inside each method.
 *
 * - check: validation only (spec.ts), tolerant of preview unknowns.
 * - diff: pure, prints the plan preview; never a replacement.
 * - create: adopts the existing cluster and converges it to `version`.
 * - update: converges (observe, resume, plan, pre-flight, roll, finalize);
 *   on failure rejects with `{message, id, properties, reasons}` where
 *   properties are the complete outputs reflecting what nodes REALLY run,
 *   so the engine records the truth and the next `up` resumes.
 * - read: the live truth; always returns the id.
 * - delete: forgets. It never touches a node.
 *
 * The engine adds `__provider` to inputs and outputs; it is stripped before
 * validation and carried over into a partial failure's properties (the host
 * adds it to successful results itself, not to failures, and read/delete
 * load their code from it).
 */
import * as crypto from "crypto";
import { ClusterReader } from "./cluster";
import { failuresForEngine } from "./check-failures";
import { deleteReport } from "./delete-report";
import { diffResource } from "./diff";
import { isSpecError, messageOf } from "./errors";
import { NodeOps } from "./node";
import { observeCluster, type NodeHandle } from "./observe";
import { buildOutputs, withoutEngineKeys } from "./outputs";
import { ProgressPrinter, type LineSink } from "./progress";
import { refreshReport } from "./refresh-report";
import { runUpdate } from "./rollout";
import { checkInputs, parseSpec, refuseIfFinalized } from "./spec";
import { openTransport } from "./transport";
import type { Transport } from "./transport/transport";
import type { CheckFailure, ClusterVersionInputs, ClusterVersionOutputs, Spec } from "./types";

/** Options for direct callers (tests, tools); the engine passes none. */
export interface CallOptions {
  readonly signal?: AbortSignal;
  /** Where progress lines go. Defaults to stdout (which the engine shows as info diagnostics). */
  readonly log?: LineSink;
}

type Props = Record<string, unknown>;

/** Outputs report a running node's own build, so only stopped nodes' binaries are asked. */
const OUTPUTS_ONLY = { binary: "if-stopped", previous: "never", journal: false } as const;

export async function check(olds: Props, news: Props): Promise<{ inputs: Props; failures: CheckFailure[] }> {
  const { inputs, failures } = checkInputs(withoutEngineKeys(olds ?? {}), withoutEngineKeys(news ?? {}));
  return { inputs: { ...(inputs as unknown as Props) }, failures: failuresForEngine(failures, news ?? {}) };
}

export async function diff(
  id: string,
  olds: Props,
  news: Props,
  opts: CallOptions = {},
): Promise<{ changes: boolean; replaces: string[] }> {
  const d = diffResource(
    withoutEngineKeys(olds) as Partial<ClusterVersionOutputs>,
    withoutEngineKeys(news) as unknown as ClusterVersionInputs,
  );
  new ProgressPrinter(id || "(new)", opts.log).print(d.lines);
  if (d.refusal) throw new Error(`${d.refusal.property}: ${d.refusal.reason}`);
  return { changes: d.changes, replaces: [] };
}

export async function create(inputs: Props, opts: CallOptions = {}): Promise<{ id: string; outs: Props }> {
  const id = resourceIdFor(inputs);
  const outs = await converge(id, inputs, undefined, opts);
  return { id, outs };
}

export async function update(id: string, olds: Props, news: Props, opts: CallOptions = {}): Promise<{ outs: Props }> {
  return { outs: await converge(id, news, olds as Partial<ClusterVersionOutputs>, opts) };
}

export async function read(id: string, props: Props, opts: CallOptions = {}): Promise<{ id: string; props: Props; inputs?: Props }> {
  const previous = withoutEngineKeys(props ?? {}) as Partial<ClusterVersionOutputs>;
  const inputs = inputsOf(previous);
  let spec: Spec;
  try {
    spec = parseSpec(inputs);
  } catch {
    // State this version cannot interpret: report it unchanged rather than lose the resource.
    return { id, props };
  }
  const session = await openSession(spec);
  try {
    const observation = await observeCluster(session.reader, session.handles, opts.signal, OUTPUTS_ONLY);
    const outs = buildOutputs({ inputs, observation, previous, block: previous.finalizationBlock });
    new ProgressPrinter(id, opts.log).print(refreshReport(observation, spec.version));
    return { id, props: outs as unknown as Props, inputs: inputs as unknown as Props };
  } finally {
    await session.close();
  }
}

/** Forgets the resource. Deliberately no I/O: deleting the resource must never stop a node. It says so (delete-report.ts). */
export async function deleteResource(id: string, props: Props, opts: CallOptions = {}): Promise<void> {
  new ProgressPrinter(id, opts.log).print(deleteReport(withoutEngineKeys(props ?? {}) as Partial<ClusterVersionOutputs>));
}
export { deleteResource as delete };

/** The update path, shared by create (adopt) and update. */
async function converge(id: string, rawNews: Props, olds: Partial<ClusterVersionOutputs> | undefined, opts: CallOptions): Promise<Props> {
  const news = withoutEngineKeys(rawNews) as unknown as ClusterVersionInputs;
  const spec = parseSpecOrExplain(news);
  const refusal = olds ? refuseIfFinalized(withoutEngineKeys(olds), spec.version) : undefined;
  if (refusal) throw new Error(`${refusal.property}: ${refusal.reason}`);
  const session = await openSession(spec);
  try {
    const printer = new ProgressPrinter(id, opts.log);
    const result = await runUpdate({
      spec,
      handles: session.handles,
      reader: session.reader,
      emit: printer.handle,
      signal: opts.signal,
      priorBlock: olds?.finalizationBlock,
      lease: { resourceId: id },
    });
    const observation = await observeCluster(session.reader, session.handles, undefined, OUTPUTS_ONLY);
    const outs = buildOutputs({
      inputs: news,
      observation,
      record: result.record,
      previous: olds,
      block: result.block,
    }) as unknown as Props;
    if (result.error) throw partialFailure(id, result.error.message, outs, rawNews);
    return outs;
  } finally {
    await session.close();
  }
}

function parseSpecOrExplain(inputs: ClusterVersionInputs): Spec {
  try {
    return parseSpec(inputs);
  } catch (e) {
    throw new Error(isSpecError(e) ? `invalid inputs: ${e.message}` : messageOf(e));
  }
}

/**
 * The engine's partial-failure shape. An object with an `id` is recorded as
 * an initialization error: the outputs are saved and the next `up` is forced
 * into update, which resumes.
 */
function partialFailure(
  id: string,
  message: string,
  outs: Props,
  rawNews: Props,
): { message: string; id: string; properties: Props; reasons: string[] } {
  const properties = rawNews.__provider !== undefined ? { ...outs, __provider: rawNews.__provider } : outs;
  return { message, id, properties, reasons: [message] };
}

interface Session {
  readonly reader: ClusterReader;
  readonly handles: NodeHandle[];
  close(): Promise<void>;
}

/** Transports to every node (dialled at once: SSH dials are slow), a SQL/HTTP reader; close() ends them all. */
async function openSession(spec: Spec): Promise<Session> {
  const opened = await Promise.allSettled(spec.nodes.map((n) => openTransport(n.connection)));
  const transports = opened.flatMap((r) => (r.status === "fulfilled" ? [r.value] : []));
  const close = async (): Promise<void> => {
    await Promise.all(transports.map((t: Transport) => t.close().catch(() => undefined)));
  };
  try {
    const failed = opened.flatMap((r, i) => (r.status === "rejected" ? [`node ${spec.nodes[i].name}: ${messageOf(r.reason)}`] : []));
    if (failed.length > 0) throw new Error(`cannot reach ${failed.join("; ")}`);
    const handles: NodeHandle[] = spec.nodes.map((node, i) => ({ spec: node, ops: new NodeOps(node, transports[i], spec.sql) }));
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

/** The inputs part of stored outputs (the echoed keys). */
function inputsOf(outs: Partial<ClusterVersionOutputs>): ClusterVersionInputs {
  const { version, nodes, sql, release, strategy, hooks, providerVersion } = outs;
  const all = { version, nodes, sql, release, strategy, hooks, providerVersion };
  return JSON.parse(JSON.stringify(all)) as ClusterVersionInputs;
}

/** A stable id from the cluster's node addresses: the same cluster adopted twice gets the same id. */
function resourceIdFor(inputs: Props): string {
  const nodes = Array.isArray(inputs.nodes) ? (inputs.nodes as { sqlAddr?: unknown }[]) : [];
  const addrs = nodes.map((n) => String(n.sqlAddr ?? "")).sort();
  return `crdb-${crypto.createHash("sha256").update(addrs.join(",")).digest("hex").slice(0, 12)}`;
}
