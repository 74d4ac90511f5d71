/**
 * The provider's bake gate, alone, in its own process: parses the inputs as
 * the provider does (spec/parse.ts), opens its ClusterReader, and holds the
 * cluster gate (rollout/gate-loops.ts bakeWithGate) for `holdMs` with the
 * strategy's own interval. Every HTTP request the process makes is counted
 * through Node's built-in `http.client.request.start` diagnostics channel
 * (nothing in the provider is wrapped); SQL is counted by the parent from the
 * simulator's per-node `sql_select_count`.
 *
 *   node dist/bench/gate-load-child.js <job.json>   -> one JSON line on stdout
 */
import * as diagnostics from "diagnostics_channel";
import * as fs from "fs";
import type { ClientRequest } from "http";
import { ClusterReader } from "../provider/cluster/reader";
import type { ClusterVersionInputs } from "../provider/core/types";
import { bakeWithGate } from "../provider/rollout/gate-loops";
import { parseSpec } from "../provider/spec/parse";

export interface GateLoadJob {
  readonly inputs: ClusterVersionInputs;
  readonly holdMs: number;
}

export interface GateLoadChildResult {
  readonly ms: number;
  readonly samples: number;
  readonly failedSamples: number;
  readonly http: number;
  readonly httpByPath: Readonly<Record<string, number>>;
  readonly error?: string;
}

async function main(jobFile: string): Promise<void> {
  const job = JSON.parse(fs.readFileSync(jobFile, "utf8")) as GateLoadJob;
  const spec = parseSpec(job.inputs);
  const reader = new ClusterReader(spec.sql, spec.nodes);
  const byPath: Record<string, number> = {};
  let http = 0;
  diagnostics.subscribe("http.client.request.start", (msg) => {
    const p = (msg as { request: ClientRequest }).request.path.replace(/\?.*/, "");
    byPath[p] = (byPath[p] ?? 0) + 1;
    http++;
  });
  let samples = 0;
  let failed = 0;
  const t0 = Date.now();
  let error: string | undefined;
  try {
    await bakeWithGate(
      {
        reader,
        nodes: spec.nodes,
        strategy: spec.strategy,
        onSample: (s) => {
          samples++;
          if (!s.ok) failed++;
        },
      },
      job.holdMs,
    );
  } catch (e) {
    error = (e as Error).message;
  }
  const ms = Date.now() - t0;
  await reader.close();
  const out: GateLoadChildResult = { ms, samples, failedSamples: failed, http, httpByPath: byPath, ...(error && { error }) };
  process.stdout.write(JSON.stringify(out) + "\n");
}

main(process.argv[2]).then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
