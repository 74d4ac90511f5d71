/**
 * The spawn helper process (spawn-helper.ts forks it): runs each command the
 * provider sends over IPC with runLocal and sends back its result, or the
 * TransportError's parts when it could not be run. Exits when the provider
 * goes (its IPC channel closes).
 */
import { runLocal } from "./local-run";
import type { HelperReply, HelperRequest } from "./spawn-helper-protocol";

const running = new Map<number, AbortController>();

function reply(r: HelperReply): void {
  if (process.connected) process.send?.(r);
}

/** The provider's environment changed since the fork: this process takes it whole (it runs nothing else). */
function adopt(env: Readonly<Record<string, string>>): void {
  for (const k of Object.keys(process.env)) if (!(k in env)) delete process.env[k];
  Object.assign(process.env, env);
}

function run(m: Extract<HelperRequest, { t: "run" }>): void {
  if (m.baseEnv) adopt(m.baseEnv);
  const ctl = new AbortController();
  running.set(m.id, ctl);
  const opts = {
    signal: ctl.signal,
    ...(m.timeoutMs !== undefined && { timeoutMs: m.timeoutMs }),
    ...(m.stdin !== undefined && { stdin: m.stdin }),
    ...(m.env !== undefined && { env: m.env }),
  };
  runLocal(m.argv, opts)
    .then(
      (result) => reply({ id: m.id, result }),
      (e: Error & { what?: string; causeText?: string }) => reply({ id: m.id, error: { what: e.what ?? e.message, cause: e.causeText } }),
    )
    .finally(() => running.delete(m.id));
}

process.on("message", (m: HelperRequest) => {
  if (m.t === "abort") running.get(m.id)?.abort();
  else run(m);
});

process.on("disconnect", () => process.exit(0));
