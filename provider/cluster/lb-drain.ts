/**
 * Drain settings judged against the load balancer in front of the cluster
 * (reference §4 drain phases, §9 "client errors during drain").
 *
 * When a node drains it first answers /health?ready=1 with 503 for
 * `server.shutdown.initial_wait` while still accepting new SQL sessions;
 * only then does it refuse them with 57P01. A load balancer notices the 503
 * only after `fall` failed checks `checkInterval` apart. If initial_wait is
 * shorter than that window, the balancer keeps routing new connections to a
 * node that refuses them, and clients see errors during every node's drain.
 *
 * The default initial_wait is 0s, so out of the box a cluster behind HAProxy
 * (`inter 2000 fall 3`) refuses connections for up to ~6s per node.
 *
 * Pure, apart from readDrainSettings, which only calls the function it is
 * given (the provider passes its ClusterReader's SHOW CLUSTER SETTING).
 */
import { formatDuration } from "../core/duration";
import type { DrainSettingsMs } from "../plan/estimate-figures";

/** How the load balancer checks node health, e.g. HAProxy `inter 2000 fall 3`. */
export interface LoadBalancerCheck {
  /** Time between health checks, ms (HAProxy `inter`, default 2000). */
  readonly checkIntervalMs: number;
  /** Consecutive failed checks before the node is taken out (HAProxy `fall`, default 3). */
  readonly fall: number;
  /** Slack on top of interval × fall, ms. Defaults to one check interval (a check in flight, jitter). */
  readonly marginMs?: number;
}

/** The cluster's drain settings, ms; undefined when they could not be read. */
/** The server.shutdown.* settings in ms, each under its current name or pre-v23.2 alias (DRAIN_SETTING_NAMES). */
export type DrainSettings = DrainSettingsMs;

export interface DrainJudgement {
  readonly ok: boolean;
  /** Sentences naming the setting and the value to use. Empty when ok. */
  readonly warnings: readonly string[];
}

/** Each setting under its v23.2+ name, then its older alias (the only name before v23.2). */
export const DRAIN_SETTING_NAMES = {
  initialWaitMs: ["server.shutdown.initial_wait", "server.shutdown.drain_wait"],
  connectionsTimeoutMs: ["server.shutdown.connections.timeout", "server.shutdown.connection_wait"],
  transactionsTimeoutMs: ["server.shutdown.transactions.timeout", "server.shutdown.query_wait"],
  jobsTimeoutMs: ["server.shutdown.jobs.timeout", "server.shutdown.jobs_wait"],
  leaseTransferIterationMs: ["server.shutdown.lease_transfer_iteration.timeout", "server.shutdown.lease_transfer_wait"],
} as const;

/**
 * The `--drain-wait` that `cockroach node drain` really uses: CockroachDB's
 * `doDrain` (`pkg/cli/rpc_node_shutdown.go`) reads these five settings over
 * the Settings RPC and, when their sum exceeds `--drain-wait`, raises it to
 * the sum with only a warning on stderr: initial_wait + connections.timeout +
 * jobs.timeout + 2 × transactions.timeout (the SQL drain and the DistSQL drain
 * each wait up to it) + lease_transfer_iteration.timeout. (Releases before
 * jobs_wait asked for four settings and added a 10s buffer.) A setting the
 * server does not know is left out, as the Settings RPC leaves it out.
 */
export function cliDrainWaitMs(s: DrainSettings): number {
  return (
    (s.initialWaitMs ?? 0) +
    (s.connectionsTimeoutMs ?? 0) +
    (s.jobsTimeoutMs ?? 0) +
    2 * (s.transactionsTimeoutMs ?? 0) +
    (s.leaseTransferIterationMs ?? 0)
  );
}

/**
 * The drain deadline against what the CLI will wait: when the settings make
 * `cockroach node drain` raise `--drain-wait` above strategy.deadlines.drain,
 * say so (the raise is otherwise silent) and what to set. Undefined when it fits.
 */
export function drainDeadlineWarning(settings: DrainSettings, drainDeadlineMs: number): string | undefined {
  const cliMs = cliDrainWaitMs(settings);
  if (cliMs <= drainDeadlineMs) return undefined;
  return (
    `cockroach node drain raises --drain-wait to initial_wait + connections.timeout + jobs.timeout + 2 × transactions.timeout + ` +
    `lease_transfer_iteration.timeout = ${formatDuration(cliMs)} (CockroachDB's doDrain), longer than strategy.deadlines.drain ` +
    `(${formatDuration(drainDeadlineMs)}): a drain may outlast the provider's deadline; raise strategy.deadlines.drain above ${formatDuration(cliMs)}`
  );
}

/** The shortest initial_wait that outlasts the load balancer's check window: interval × fall + margin. */
export function requiredInitialWaitMs(lb: LoadBalancerCheck): number {
  const margin = lb.marginMs ?? lb.checkIntervalMs;
  return lb.checkIntervalMs * lb.fall + margin;
}

/**
 * Judges drain settings against the load balancer. `drainDeadlineMs` (the
 * provider's drain deadline), when given, is checked against the client
 * phases of the drain, which must all fit inside it.
 */
export function judgeDrainSettings(settings: DrainSettings, lb: LoadBalancerCheck, drainDeadlineMs?: number): DrainJudgement {
  const warnings: string[] = [];
  const need = requiredInitialWaitMs(lb);
  const checkWindow = `the load balancer's check window (${formatDuration(lb.checkIntervalMs)} × ${lb.fall} checks)`;
  const fix = `SET CLUSTER SETTING server.shutdown.initial_wait = '${sqlSeconds(need)}'`;
  if (settings.initialWaitMs === undefined) {
    warnings.push(`server.shutdown.initial_wait could not be read; it must exceed ${checkWindow}: ${fix}`);
  } else if (settings.initialWaitMs < need) {
    warnings.push(
      `server.shutdown.initial_wait is ${formatDuration(settings.initialWaitMs)}, shorter than ${checkWindow} plus margin: ` +
        `a draining node would refuse new connections (57P01) while the load balancer still routes to it; ${fix}`,
    );
  }
  if (drainDeadlineMs !== undefined && settings.initialWaitMs !== undefined) {
    const w = drainDeadlineWarning(settings, drainDeadlineMs);
    if (w !== undefined) warnings.push(w);
  }
  return { ok: warnings.length === 0, warnings };
}

/** Units of the Postgres interval text node-postgres renders ("1 minutes 30.5 seconds"). */
const WORD_UNIT_MS: Readonly<Record<string, number>> = { day: 86_400_000, hour: 3_600_000, minute: 60_000, second: 1000, millisecond: 1 };

/**
 * A duration as SHOW CLUSTER SETTING prints it: an interval ("00:00:08",
 * "00:00:00.5", "1 day 02:00:00"), Postgres words ("8 seconds", as
 * node-postgres renders an INTERVAL) or a Go duration ("8s", "1m30s",
 * "500ms"). Undefined when it is none of these.
 */
export function parseSettingDuration(text: string): number | undefined {
  const t = text.trim();
  const words = /^(?:\d+(?:\.\d+)? (?:day|hour|minute|second|millisecond)s?(?: |$))+$/.test(t) ? t.split(" ") : undefined;
  if (words) {
    let ms = 0;
    for (let i = 0; i < words.length; i += 2) ms += Number(words[i]) * WORD_UNIT_MS[words[i + 1].replace(/s$/, "")];
    return Math.round(ms);
  }
  const interval = /^(?:(\d+) days? )?(\d+):(\d{2}):(\d{2}(?:\.\d+)?)$/.exec(t);
  if (interval) {
    const [, days, h, m, s] = interval;
    return Math.round(((Number(days ?? 0) * 24 + Number(h)) * 3600 + Number(m) * 60 + Number(s)) * 1000);
  }
  if (t === "0") return 0;
  const unitMs: Readonly<Record<string, number>> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1, us: 0.001, µs: 0.001, ns: 0.000001 };
  const term = /(\d+(?:\.\d+)?)(h|ms|m|s|us|µs|ns)/y;
  let total = 0;
  let at = 0;
  while (at < t.length) {
    term.lastIndex = at;
    const m = term.exec(t);
    if (!m) return undefined;
    total += Number(m[1]) * unitMs[m[2]];
    at = term.lastIndex;
  }
  return t === "" ? undefined : Math.round(total);
}

/**
 * Reads the drain settings with `show` (SHOW CLUSTER SETTING <name>),
 * trying each setting's current name, then its pre-v23.2 alias. A setting
 * neither name yields is left undefined; it is judged as unknown, never as 0.
 */
export async function readDrainSettings(show: (name: string) => Promise<string>): Promise<DrainSettings> {
  const out: { -readonly [K in keyof DrainSettings]: number | undefined } = {};
  for (const key of Object.keys(DRAIN_SETTING_NAMES) as (keyof typeof DRAIN_SETTING_NAMES)[]) {
    for (const name of DRAIN_SETTING_NAMES[key]) {
      const ms = await show(name).then(parseSettingDuration, () => undefined);
      if (ms !== undefined) {
        out[key] = ms;
        break;
      }
    }
  }
  return out;
}

/**
 * The pre-flight check: the settings read with `show`, judged by
 * judgeDrainWarnings. Warnings only — never throws.
 */
export async function drainWarnings(strategy: DrainWarningStrategy, show: (name: string) => Promise<string>): Promise<readonly string[]> {
  if (strategy.loadBalancer === undefined && strategy.deadlines?.drainMs === undefined) return [];
  return judgeDrainWarnings(strategy, await readDrainSettings(show));
}

export interface DrainWarningStrategy {
  readonly loadBalancer?: LoadBalancerCheck;
  readonly deadlines?: { readonly drainMs: number };
}

/**
 * Settings already read, judged against the load balancer when one is
 * declared, and always against the drain deadline (the CLI's raise of
 * --drain-wait). A setting left undefined is unknown, never 0.
 */
export function judgeDrainWarnings(strategy: DrainWarningStrategy, settings: DrainSettings): readonly string[] {
  const drainMs = strategy.deadlines?.drainMs;
  if (strategy.loadBalancer === undefined && drainMs === undefined) return [];
  const warnings =
    strategy.loadBalancer !== undefined
      ? judgeDrainSettings(settings, strategy.loadBalancer, drainMs).warnings
      : [drainDeadlineWarning(settings, drainMs as number)].filter((w): w is string => w !== undefined);
  return warnings.map((w) => `WARNING: ${w}`);
}

/** "8s", "8.5s": what SET CLUSTER SETTING accepts for an interval. */
function sqlSeconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(3))}s`;
}
