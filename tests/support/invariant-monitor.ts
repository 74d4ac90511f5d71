/**
 * Watches a cluster from the outside while a rollout runs, the way an
 * operator's dashboard would: every ~250 ms it reads each node's pid file,
 * whether that process is alive, `/health?ready=1`, and the identity (inode)
 * of the binary at binaryPath. From those samples it answers DESIGN's safety
 * questions: how many nodes were ever down or draining at once, when each
 * node was first disturbed, and in what order nodes were disturbed.
 *
 * It never asks the provider anything: what it sees is what the cluster did.
 */
import * as fs from "fs";
import * as http from "http";
import { isAlive } from "./processes";

export interface WatchedNode {
  readonly name: string;
  readonly pidFile: string;
  /** host:port */
  readonly httpAddr: string;
  readonly binaryPath: string;
}

export interface NodeSample {
  readonly name: string;
  readonly pid?: number;
  readonly alive: boolean;
  readonly ready: boolean;
  readonly binaryIno?: number;
  /** `ranges_unavailable` summed over the node's stores, when range health is sampled and the node answered. */
  readonly unavailableRanges?: number;
}

export interface MonitorOptions {
  /** Also read each running node's /_status/vars for ranges_unavailable. Defaults to false. */
  readonly rangeHealth?: boolean;
}

/** A drain or stop the provider started, from its progress lines (the time each line arrived). */
export interface DisruptionStart {
  readonly t: number;
  readonly node: string;
  readonly action: "drain" | "stop";
}

/** The drain/stop phase starts in timed progress lines ("... n2 drain ...", "... n2 stop ..."). */
export function disruptionStarts(lines: readonly { readonly t: number; readonly line: string }[]): DisruptionStart[] {
  const out: DisruptionStart[] = [];
  for (const { t, line } of lines) {
    const m = /\d\d:\d\d:\d\d (\S+) (drain|stop) \.\.\./.exec(line);
    if (m) out.push({ t, node: m[1], action: m[2] as "drain" | "stop" });
  }
  return out;
}

export interface Sample {
  readonly t: number;
  readonly nodes: readonly NodeSample[];
}

export class InvariantMonitor {
  readonly samples: Sample[] = [];
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private baseline?: Sample;

  private constructor(
    private readonly nodes: readonly WatchedNode[],
    private readonly intervalMs: number,
    private readonly opts: MonitorOptions,
  ) {}

  /** Takes a baseline sample, then samples until stop(). */
  static async start(nodes: readonly WatchedNode[], intervalMs = 250, opts: MonitorOptions = {}): Promise<InvariantMonitor> {
    const m = new InvariantMonitor(nodes, intervalMs, opts);
    m.baseline = await m.sampleOnce();
    m.samples.push(m.baseline);
    m.schedule();
    return m;
  }

  async stop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
    this.samples.push(await this.sampleOnce());
  }

  /** The most nodes seen down (process gone) or unready (draining, starting) in one sample. */
  maxDownAtOnce(): { count: number; at?: Sample } {
    let best: { count: number; at?: Sample } = { count: 0 };
    for (const s of this.samples) {
      const c = s.nodes.filter((n) => !n.alive || !n.ready).length;
      if (c > best.count) best = { count: c, at: s };
    }
    return best;
  }

  /** When a node first differed from the baseline (pid changed, not ready, binary replaced). */
  firstDisturbance(name: string): number | undefined {
    const base = this.baseline?.nodes.find((n) => n.name === name);
    for (const s of this.samples) {
      const n = s.nodes.find((x) => x.name === name);
      if (n && base && disturbed(base, n)) return s.t;
    }
    return undefined;
  }

  /** When a node was last seen disturbed (unready or dead); undefined if never. */
  lastUnready(name: string): number | undefined {
    let last: number | undefined;
    for (const s of this.samples) {
      const n = s.nodes.find((x) => x.name === name);
      if (n && (!n.alive || !n.ready)) last = s.t;
    }
    return last;
  }

  /** Node names in the order they were first disturbed. */
  disturbanceOrder(): string[] {
    return this.nodes
      .map((n) => ({ name: n.name, t: this.firstDisturbance(n.name) }))
      .filter((x): x is { name: string; t: number } => x.t !== undefined)
      .sort((a, b) => a.t - b.t)
      .map((x) => x.name);
  }

  /** Nodes whose pid or binary differ between the baseline and the last sample. */
  changedSinceBaseline(): string[] {
    const last = this.samples[this.samples.length - 1];
    return this.nodes
      .filter((n) => {
        const a = this.baseline?.nodes.find((x) => x.name === n.name);
        const b = last.nodes.find((x) => x.name === n.name);
        return !a || !b || a.pid !== b.pid || a.binaryIno !== b.binaryIno;
      })
      .map((n) => n.name);
  }

  /**
   * Disturbances must not overlap beyond `maxUnavailable`, and each node
   * after the first may be disturbed only once the previous one was back
   * (ready) — the invariant "next node touched only after the previous is
   * ready". Returns the violations as sentences.
   */
  violations(opts: { readonly maxUnavailable: number; readonly notBefore?: number }): string[] {
    const out: string[] = [];
    const max = this.maxDownAtOnce();
    if (max.count > opts.maxUnavailable) {
      const who = max.at?.nodes
        .filter((n) => !n.alive || !n.ready)
        .map((n) => n.name)
        .join(", ");
      out.push(`${max.count} nodes down or draining at once (${who}), more than ${opts.maxUnavailable}`);
    }
    if (opts.notBefore !== undefined) {
      for (const n of this.nodes) {
        const t = this.firstDisturbance(n.name);
        if (t !== undefined && t < opts.notBefore) out.push(`${n.name} was disturbed ${opts.notBefore - t} ms before pre-flight passed`);
      }
    }
    return out;
  }

  /**
   * The provider's own guard invariant, judged from outside: it started no
   * drain or stop of a node while the count of OTHER nodes down or unready
   * (whoever took them down: a crash, a kill, the provider) was already at
   * the budget. `starts` are the provider's drain/stop starts with the time
   * they were logged (see disruptionStarts); each is judged against the last
   * sample taken before it. Returns the violations as sentences.
   */
  disruptionsAtBudget(starts: readonly DisruptionStart[], budget: number): string[] {
    const out: string[] = [];
    for (const st of starts) {
      const before = this.samples.filter((s) => s.t <= st.t);
      const s = before[before.length - 1];
      if (!s) continue;
      const others = s.nodes.filter((n) => n.name !== st.node && (!n.alive || !n.ready)).map((n) => n.name);
      if (others.length >= budget) {
        out.push(
          `${st.action} of ${st.node} started at ${new Date(st.t).toISOString()} while ${others.join(", ")} ${others.length > 1 ? "were" : "was"} already down or unready (budget ${budget})`,
        );
      }
    }
    return out;
  }

  /**
   * Nodes down or unready together must all belong to one batch (e.g. one
   * locality): never two batches' nodes at once. Returns the violations.
   */
  batchViolations(batches: readonly (readonly string[])[]): string[] {
    const out: string[] = [];
    for (const s of this.samples) {
      const down = s.nodes.filter((n) => !n.alive || !n.ready).map((n) => n.name);
      if (down.length > 0 && !batches.some((b) => down.every((n) => b.includes(n)))) {
        out.push(`${down.join(", ")} down or unready together at ${new Date(s.t).toISOString()}: not one batch`);
      }
    }
    return out;
  }

  /** The distinct groups of nodes seen down or unready together, largest first. */
  downTogether(): string[][] {
    const seen = new Map<string, string[]>();
    for (const s of this.samples) {
      const down = s.nodes.filter((n) => !n.alive || !n.ready).map((n) => n.name);
      if (down.length > 0) seen.set(down.join(","), down);
    }
    return [...seen.values()].sort((a, b) => b.length - a.length);
  }

  /** Range health: the most unavailable ranges summed over the nodes that answered one sample, and how many samples had an answer. */
  unavailableRanges(): { max: number; sampled: number; at?: Sample } {
    let best: { max: number; sampled: number; at?: Sample } = { max: 0, sampled: 0 };
    for (const s of this.samples) {
      const answers = s.nodes.filter((n) => n.unavailableRanges !== undefined);
      if (answers.length === 0) continue;
      const sum = answers.reduce((a, n) => a + (n.unavailableRanges as number), 0);
      best = sum > best.max ? { max: sum, sampled: best.sampled + 1, at: s } : { ...best, sampled: best.sampled + 1 };
    }
    return best;
  }

  private schedule(): void {
    this.timer = setTimeout(() => {
      this.running = this.sampleOnce().then((s) => {
        this.samples.push(s);
        if (this.timer) this.schedule();
      });
    }, this.intervalMs);
  }

  private async sampleOnce(): Promise<Sample> {
    const t = Date.now();
    const nodes = await Promise.all(this.nodes.map((n) => sampleNode(n, this.opts.rangeHealth === true)));
    return { t, nodes };
  }
}

function disturbed(base: NodeSample, now: NodeSample): boolean {
  return !now.alive || !now.ready || now.pid !== base.pid || now.binaryIno !== base.binaryIno;
}

async function sampleNode(n: WatchedNode, rangeHealth: boolean): Promise<NodeSample> {
  const pid = readPid(n.pidFile);
  const alive = pid !== undefined && isAlive(pid);
  const [ready, unavailableRanges] = await Promise.all([
    alive && healthReady(n.httpAddr),
    alive && rangeHealth ? unavailableOf(n.httpAddr) : undefined,
  ]);
  let binaryIno: number | undefined;
  try {
    binaryIno = fs.statSync(n.binaryPath).ino;
  } catch {
    binaryIno = undefined;
  }
  return { name: n.name, pid, alive, ready, binaryIno, ...(unavailableRanges !== undefined && { unavailableRanges }) };
}

function readPid(file: string): number | undefined {
  try {
    const pid = Number(fs.readFileSync(file, "utf8").trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Σ ranges_unavailable in the node's /_status/vars; undefined when it does not answer (a node going down). */
function unavailableOf(addr: string): Promise<number | undefined> {
  return new Promise((resolve) => {
    const req = http.get(`http://${addr}/_status/vars`, { timeout: 1000, agent: false }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (body += c));
      res.on("end", () => {
        if (res.statusCode !== 200) return resolve(undefined);
        const values = [...body.matchAll(/^ranges_unavailable(?:\{[^}]*\})? (\S+)$/gm)].map((m) => Number(m[1]));
        resolve(values.length > 0 ? values.reduce((a, v) => a + v, 0) : undefined);
      });
      res.on("error", () => resolve(undefined));
    });
    req.on("timeout", () => req.destroy());
    req.on("error", () => resolve(undefined));
  });
}

function healthReady(addr: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get(`http://${addr}/health?ready=1`, { timeout: 1000, agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on("timeout", () => req.destroy());
    req.on("error", () => resolve(false));
  });
}
