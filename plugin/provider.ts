/**
 * The native provider (`@pulumi/pulumi/provider`'s Provider) for
 * `crdb-upgrade:index:ClusterVersion`. Every method delegates to
 * provider/lifecycle.ts, the dynamic resource's own core; this file only
 * adapts the edge:
 * - secrets: envelopes opened on the way in, sealed on the way out (secrets.ts);
 * - progress: lines and ephemeral gate status go to the engine with the URN;
 * - customTimeouts.create/update: bound the run like strategy.overallDeadline;
 * - Cancel: running updates stop at the next node boundary (engine-watch.ts);
 * - import: Read with only an ID (import-read.ts).
 */
import type * as prov from "@pulumi/pulumi/provider";
import * as lifecycle from "../provider/lifecycle";
import { engineWatch } from "../provider/engine/engine-watch";
import { secretsIn } from "../provider/engine/redact-boundary";
import { redact } from "../provider/core/redact";
import type { ClusterVersionOutputs } from "../provider/core/types";
import type { EngineLog, Severity } from "./engine-log";
import { isImportId } from "./import-id";
import { inputsForImport } from "./import-read";
import { currentRequest } from "./request-context";
import { schemaJson } from "./schema";
import { openSecrets, schemaSecretPaths, sealSecrets, type Path } from "./secrets";
import { cancelSummary, statusLine } from "./status";

type Props = Record<string, unknown>;

export interface PluginDeps {
  readonly version: string;
  readonly log: EngineLog;
}

const CANCEL_WHY = "the engine's Cancel (Ctrl-C)";

export function crdbUpgradeProvider(deps: PluginDeps): prov.Provider {
  const schemaPaths = schemaSecretPaths();
  const running = new Set<string>();
  let cancelled = false;
  const { log } = deps;

  /** Plain values and the paths to seal again (the request's own secrets and the schema's). */
  const open = (v: unknown): { plain: Props; seal: Path[] } => {
    const o = openSecrets(v ?? {});
    return { plain: o.plain as Props, seal: [...o.paths, ...schemaPaths] };
  };
  const sink = (urn: string) => (line: string) => log.log(severityOf(line), line, urn);
  const withVersion = (inputs: Props): Props => ({ ...inputs, providerVersion: deps.version });

  /** create and update: one converge, with the request's timeout, status lines and Cancel. */
  async function converge(
    urn: string,
    run: (opts: lifecycle.CallOptions) => Promise<Props>,
    secrets: string[],
    seal: Path[],
    target: unknown,
  ) {
    running.add(urn);
    const opts: lifecycle.CallOptions = {
      log: sink(urn),
      timeoutMs: currentRequest().timeoutMs,
      observe: (e) => {
        const line = statusLine(e, secrets);
        if (line !== undefined) log.log("info", line, urn, true);
      },
    };
    try {
      return sealSecrets(await run(opts), seal);
    } catch (e) {
      // Only a run the Cancel stopped gets the summary; a failure of its own (rolled back) keeps its message.
      const stoppedByCancel =
        cancelled && /stopped at a node boundary|interrupted: nodes left as they are/.test(String((e as { message?: unknown })?.message));
      throw sealedFailure(e, seal, stoppedByCancel ? String(target) : undefined);
    } finally {
      running.delete(urn);
    }
  }

  return {
    version: deps.version,
    getSchema: async () => schemaJson(deps.version),

    async check(_urn, olds, news) {
      const o = open(olds);
      const n = open(news);
      const r = await lifecycle.check(o.plain, n.plain);
      return { inputs: sealSecrets(withVersion(r.inputs), n.seal), failures: r.failures };
    },

    async diff(id, urn, olds, news) {
      const o = open(olds);
      const n = open(news);
      return lifecycle.diff(id, o.plain, n.plain, { log: sink(urn) });
    },

    async create(urn, inputs) {
      const n = open(inputs);
      let id = "";
      const outs = await converge(
        urn,
        async (opts) => {
          const r = await lifecycle.create(n.plain, opts);
          id = r.id;
          return r.outs;
        },
        secretsIn(n.plain),
        n.seal,
        n.plain.version,
      );
      return { id, outs };
    },

    async update(id, urn, olds, news) {
      const o = open(olds);
      const n = open(news);
      const secrets = [...secretsIn(o.plain), ...secretsIn(n.plain)];
      const outs = await converge(
        urn,
        async (opts) => (await lifecycle.update(id, o.plain, n.plain, opts)).outs,
        secrets,
        [...o.seal, ...n.seal],
        n.plain.version,
      );
      return { outs };
    },

    async read(id, urn, props) {
      const p = open(props);
      let state = p.plain;
      if (!Array.isArray(state.nodes)) {
        // `pulumi import`: nothing but the ID.
        if (!isImportId(id))
          throw new Error(
            `cannot import "${redact(id)}": the ID must name how to reach the cluster, e.g. crdb://root@10.0.0.1:26257?sslmode=disable&binaryPath=/usr/local/bin/cockroach (README, "Import ID")`,
          );
        state = withVersion((await inputsForImport(id)) as unknown as Props);
        log.log(
          "info",
          `import: the cluster lists ${(state.nodes as { name: string; sqlAddr: string }[]).map((n) => `${n.name} (${n.sqlAddr})`).join(", ")}, all on ${String(state.version)}`,
          urn,
        );
      }
      const r = await lifecycle.read(id, state, { log: sink(urn) });
      const inputs = r.inputs ? withVersion(r.inputs) : undefined;
      return { id: r.id, props: sealSecrets(r.props, p.seal), ...(inputs ? { inputs: sealSecrets(inputs, p.seal) } : {}) };
    },

    async delete(id, urn, props) {
      await lifecycle.delete(id, open(props).plain, { log: sink(urn) });
    },

    async cancel() {
      cancelled = true;
      engineWatch()?.cancel(CANCEL_WHY);
      for (const urn of running)
        log.log(
          "warning",
          "Cancel received: the node in hand finishes through its gates, then the roll stops; no other node is touched",
          urn,
        );
    },
  };
}

/** Progress lines that are warnings (the end report, refresh problems) go to the engine as warnings. */
function severityOf(line: string): Severity {
  return /\] (\d\d:\d\d:\d\d )?warning: /.test(line) ? "warning" : "info";
}

/**
 * A failed converge as the server packs it: a partial failure (`id` set)
 * keeps its outputs, sealed; after a Cancel, the message says what was done
 * and what remains.
 */
function sealedFailure(e: unknown, seal: readonly Path[], cancelledTarget: string | undefined): unknown {
  const f = e as { message?: string; id?: string; properties?: Props; reasons?: string[] };
  if (typeof f !== "object" || f === null || f.id === undefined || f.properties === undefined) return e;
  const statuses = (f.properties as Partial<ClusterVersionOutputs>).nodeStatuses ?? [];
  // After a Cancel the outcome leads; the step the abort reached (never a disruptive one) follows.
  const message =
    cancelledTarget !== undefined
      ? `${cancelSummary(cancelledTarget, statuses)}\n(the run stopped at: ${f.message ?? ""})`
      : (f.message ?? "");
  return { message, id: f.id, properties: sealSecrets(f.properties, seal), reasons: cancelledTarget !== undefined ? [message] : f.reasons };
}
