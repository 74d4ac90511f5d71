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
import { setMaxListeners } from "events";
import { ProgressMirror, recallRollout, startingBlock } from "./cluster/memory";
import { EndReporter } from "./rollout/end-report";
import { engineWatch } from "./engine/engine-watch";
import type { Emit } from "./core/events";
import { failuresForEngine } from "./engine/check-failures";
import { deleteReport } from "./engine/delete-report";
import { diffResource } from "./plan/diff";
import { observeCluster } from "./cluster/observe";
import { buildOutputs, withoutEngineKeys } from "./engine/outputs";
import { ProgressPrinter, type LineSink } from "./engine/progress";
import { redact } from "./core/redact";
import { redactingSink, redactOutputs, secretsIn, withRedaction } from "./engine/redact-boundary";
import { refreshReport } from "./engine/refresh-report";
import { SpecError } from "./core/errors";
import { runUpdate } from "./rollout/run";
import { openSession } from "./rollout/session";
import { inputsOf, parseSpecOrExplain, partialFailure, resourceIdFor } from "./engine/engine-shapes";
import { checkInputs, parseSpec, refuseIfFinalized } from "./spec/parse";
import { boundedBy } from "./spec/deadline-bound";
import type { CheckFailure, ClusterVersionInputs, ClusterVersionOutputs, Spec } from "./core/types";

/** Options for direct callers (tests, tools); the engine passes none. */
export interface CallOptions {
  readonly signal?: AbortSignal;
  /** Where progress lines go. Defaults to stdout (which the engine shows as info diagnostics). */
  readonly log?: LineSink;
  /** Sees every rollout event of an update (the plugin's ephemeral status lines). Events hold no secrets. */
  readonly observe?: Emit;
  /** A bound on the update besides strategy.overallDeadline, the smaller wins (the plugin's customTimeouts.update). */
  readonly timeoutMs?: number;
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
  if (d.refusal && versionChanged(olds, news)) throw new SpecError([d.refusal]);
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
  const spec = boundedBy(parseSpecOrExplain(news), opts.timeoutMs);
  const refusal = olds ? refuseIfFinalized(withoutEngineKeys(olds), spec.version) : undefined;
  if (refusal) throw new SpecError([refusal]);
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
      opts.observe?.(e);
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
  if (present.length <= 1) return present[0];
  const any = AbortSignal.any(present);
  // After a failure the run's reads (evidence, rollback) listen on this one: one listener per read in flight.
  setMaxListeners(0, any);
  return any;
}
