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
import { ClusterReader } from "./cluster/reader";
import { ProgressMirror, recallRollout, startingBlock } from "./cluster/memory";
import { EndReporter } from "./rollout/end-report";
import { engineWatch } from "./engine/engine-watch";
import type { Emit } from "./core/events";
import { failuresForEngine } from "./engine/check-failures";
import { deleteReport } from "./engine/delete-report";
import { diffResource } from "./plan/diff";
import { isSpecError, messageOf } from "./core/errors";
import { NodeOps } from "./node/ops";
import { observeCluster, type NodeHandle } from "./cluster/observe";
import { buildOutputs, withoutEngineKeys } from "./engine/outputs";
import { ProgressPrinter, type LineSink } from "./engine/progress";
import { redact } from "./core/redact";
import { redactingSink, redactOutputs, secretsIn, withRedaction } from "./engine/redact-boundary";
import { refreshReport } from "./engine/refresh-report";
import { runUpdate } from "./rollout/run";
import { checkInputs, parseSpec, refuseIfFinalized } from "./spec/parse";
import { openTransport } from "./transport";
import type { Transport } from "./transport/transport";
import type { CheckFailure, ClusterVersionInputs, ClusterVersionOutputs, Spec } from "./core/types";

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
  engineWatch(); // armed at the engine's first call, so an engine that dies while we are idle is noticed too
  const secrets = secretsIn(news);
  return withRedaction(secrets, async () => {
    const { inputs, failures } = checkInputs(withoutEngineKeys(olds ?? {}), withoutEngineKeys(news ?? {}));
    // A reason may quote the value it refuses (a URL, a statement): masked like every message.
    const shown = failuresForEngine(failures, news ?? {}).map((f) => ({ ...f, reason: redact(f.reason, secrets) }));
    return { inputs: { ...(inputs as unknown as Props) }, failures: shown };
  });
}

export async function diff(
  id: string,
  olds: Props,
  news: Props,
  opts: CallOptions = {},
): Promise<{ changes: boolean; replaces: string[] }> {
  const secrets = [...secretsIn(olds), ...secretsIn(news)];
  return withRedaction(secrets, async () => diffAndPrint(id, olds, news, { ...opts, log: sinkFor(opts, secrets) }));
}

async function diffAndPrint(id: string, olds: Props, news: Props, opts: CallOptions): Promise<{ changes: boolean; replaces: string[] }> {
  const d = diffResource(
    withoutEngineKeys(olds) as Partial<ClusterVersionOutputs>,
    withoutEngineKeys(news) as unknown as ClusterVersionInputs,
  );
  new ProgressPrinter(id || "(new)", opts.log).print(d.lines);
  // A refusal stops a preview of the move asked for. With `version` unchanged nothing is asked:
  // the record lags a cluster that moved on (finalized elsewhere), as refresh's own diff sees it;
  // failing there would keep the truth from being stored. The update refuses, with the truth stored.
  if (d.refusal && versionChanged(olds, news)) throw new Error(`${d.refusal.property}: ${d.refusal.reason}`);
  return { changes: d.changes, replaces: [] };
}

export async function create(inputs: Props, opts: CallOptions = {}): Promise<{ id: string; outs: Props }> {
  const id = resourceIdFor(inputs);
  const secrets = secretsIn(inputs);
  const outs = await withRedaction(secrets, () => converge(id, inputs, undefined, { ...opts, log: sinkFor(opts, secrets) }));
  return { id, outs: redactOutputs(outs, secrets) };
}

export async function update(id: string, olds: Props, news: Props, opts: CallOptions = {}): Promise<{ outs: Props }> {
  const secrets = [...secretsIn(olds), ...secretsIn(news)];
  const outs = await withRedaction(secrets, () =>
    converge(id, news, olds as Partial<ClusterVersionOutputs>, { ...opts, log: sinkFor(opts, secrets) }),
  );
  return { outs: redactOutputs(outs, secrets) };
}

export async function read(id: string, props: Props, opts: CallOptions = {}): Promise<{ id: string; props: Props; inputs?: Props }> {
  const secrets = secretsIn(props);
  const r = await withRedaction(secrets, () => readTruth(id, props, { ...opts, log: sinkFor(opts, secrets) }));
  return { ...r, props: redactOutputs(r.props, secrets) };
}

/** Every progress line leaves through redact() (see redact-boundary.ts). */
function sinkFor(opts: CallOptions, secrets: readonly string[]): LineSink {
  return redactingSink(opts.log ?? ((l) => console.log(l)), secrets);
}

async function readTruth(id: string, props: Props, opts: CallOptions): Promise<{ id: string; props: Props; inputs?: Props }> {
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
    // The block the cluster remembers is the truth; the state's only where the cluster has no memory.
    const memory = await recallRollout(session.reader).catch(() => undefined);
    const block = startingBlock(memory, previous.finalizationBlock);
    const outs = buildOutputs({ inputs, observation, previous, block });
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
  // Never outlive the engine: when it is gone, the run stops at a safe boundary (engine-watch.ts).
  const guard = engineWatch()?.guard();
  const session = await openSession(spec).catch((e: Error) => {
    guard?.done();
    throw e;
  });
  try {
    const printer = new ProgressPrinter(id, opts.log);
    const reporter = new EndReporter();
    const mirror = new ProgressMirror(session.reader, spec.version);
    const emit: Emit = (e) => {
      guard?.observe(e);
      reporter.observe(e);
      mirror.observe(e);
      printer.handle(e);
    };
    // The cluster remembers the block a killed run set (cluster-memory.ts); the state may not have seen it.
    const memory = await recallRollout(session.reader).catch(() => undefined);
    const result = await runUpdate({
      spec,
      handles: session.handles,
      reader: session.reader,
      emit,
      signal: anySignal(opts.signal, guard?.signal),
      priorBlock: startingBlock(memory, olds?.finalizationBlock),
      priorRollout: olds?.lastRollout,
      lease: { resourceId: id },
    });
    await mirror.flush();
    const observation = await observeCluster(session.reader, session.handles, undefined, OUTPUTS_ONLY);
    const warnings = reporter.report(observation.nodes);
    for (const w of warnings) printer.handle({ type: "note", message: `warning: ${w}` });
    const record = warnings.length > 0 ? { ...result.record, warnings } : result.record;
    const outs = buildOutputs({ inputs: news, observation, record, previous: olds, block: result.block }) as unknown as Props;
    if (result.error) throw partialFailure(id, result.error.message, outs, rawNews);
    return outs;
  } finally {
    await session.close();
    guard?.done();
  }
}

function versionChanged(olds: Props, news: Props): boolean {
  return olds?.version !== news?.version;
}

/** Fires when either fires (the caller's abort, the engine gone). */
function anySignal(...signals: (AbortSignal | undefined)[]): AbortSignal | undefined {
  const present = signals.filter((s): s is AbortSignal => s !== undefined);
  return present.length <= 1 ? present[0] : AbortSignal.any(present);
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
