/**
 * What one node does, through its Transport: report its binary and process,
 * drain, stop, swap the binary, start. Nothing here assumes the transport is
 * local: every action is a command on the node's host (POSIX sh, coreutils),
 * so the same code runs over SSH.
 *
 * The binary swap keeps the procedure's `cockroach_old`: the previous binary
 * is kept as `<binaryPath>_old` and each replacement goes through
 * `<binaryPath>.new` + rename in the same directory, so `binaryPath` is never
 * missing or half-written.
 */
import * as path from "path";
import { NodeOpFailed, TransportError } from "../core/errors";
import { shellJoin, shellQuote, type Transport } from "../transport/transport";
import type { NodeSpec, NodeProcessState, Phase, Spec } from "../core/types";
import { rpcHostFlag } from "../spec/rpc-addr";

/** How the cockroach CLI reaches the node's own server: insecure or a certs dir, never a password. */
export type CliSecurity = Pick<Spec["sql"], "insecure" | "certsDir">;

export interface StopResult {
  /** The process did not exit within the stop deadline and was sent SIGKILL. */
  readonly escalated: boolean;
}

/** What the in-flight journal on a node records. */
export interface NodeJournal {
  readonly target: string;
  readonly from?: string;
  readonly phase: Phase;
  readonly at: string;
  /** "upgrade" or "rollback". */
  readonly direction: "upgrade" | "rollback";
}

const PROBE_TIMEOUT_MS = 15_000;

/**
 * Shell function: is the pid a live process? An exited process that its
 * parent has not reaped yet (a zombie, state Z in /proc) answers `kill -0`
 * too, but is gone for our purposes: ports closed, store unlocked.
 */
export const ALIVE_FN = `alive() { kill -0 "$1" 2>/dev/null || return 1; [ -r /proc/$1/stat ] || return 0; case "$(sed 's/.*) //' /proc/$1/stat | cut -c1)" in Z) return 1 ;; esac; return 0; }`;
const STOP_POLL_MS = 100;
const LOG_TAIL_LINES = 20;

export class NodeOps {
  constructor(
    readonly node: NodeSpec,
    private readonly transport: Transport,
    private readonly security: CliSecurity,
  ) {}

  /** The transport, for modules that run their own commands on this node (release staging). */
  get transportRef(): Transport {
    return this.transport;
  }

  get subject(): { readonly name: string; readonly host: string } {
    return { name: this.node.name, host: this.node.sqlAddr.host };
  }

  /**
   * `--host=<rpcAddr>` for every command that speaks gRPC to the node (node
   * drain, debug zip): the RPC address, never the SQL one (rpc-addr.ts).
   */
  get rpcHost(): string {
    return rpcHostFlag(this.node.rpcAddr);
  }

  get oldBinaryPath(): string {
    return `${this.node.binaryPath}_old`;
  }

  /** `cockroach version --build-tag` of a binary on the node; undefined when it is absent. */
  async buildOf(binary: string, signal?: AbortSignal): Promise<string | undefined> {
    const script = `[ -e ${shellQuote(binary)} ] || exit 3; ${shellJoin([binary, "version", "--build-tag"])}`;
    const r = await this.transport.exec(["sh", "-c", script], { timeoutMs: PROBE_TIMEOUT_MS, signal });
    if (r.code === 3) return undefined;
    if (r.code !== 0)
      throw new NodeOpFailed("preflight", this.subject, `${binary} version --build-tag failed`, trimOut(r.stderr || r.stdout));
    return parseBuildTag(r.stdout);
  }

  /** Whether the cockroach process runs, asked of the process manager. */
  async processState(signal?: AbortSignal): Promise<NodeProcessState> {
    const pm = this.node.process;
    const opts = { timeoutMs: PROBE_TIMEOUT_MS, signal };
    if (pm.manager === "cockroach") return (await this.runningPid(signal)) !== undefined ? "running" : "stopped";
    if (pm.manager === "systemd") {
      const r = await this.transport.exec(this.systemctl("is-active", pm.unit, pm.useSudo), opts);
      const word = r.stdout.trim();
      if (word === "active" || word === "reloading" || word === "activating") return "running";
      if (word === "deactivating") return "draining";
      return word === "" ? "unknown" : "stopped";
    }
    const r = await this.transport.exec(["sh", "-c", pm.status], opts);
    return r.code === 0 ? "running" : "stopped";
  }

  /**
   * `cockroach node drain --self`; on `drain timeout`, once more (the
   * documented advice), then fail.
   */
  async drain(deadlineMs: number, signal?: AbortSignal): Promise<{ readonly attempts: number }> {
    const argv = [
      this.node.binaryPath,
      "node",
      "drain",
      "--self",
      this.rpcHost,
      ...this.securityFlags(),
      `--drain-wait=${Math.max(1, Math.ceil(deadlineMs / 1000))}s`,
    ];
    let last = "";
    for (let attempt = 1; attempt <= 2; attempt++) {
      const r = await this.transport.exec(argv, { timeoutMs: deadlineMs + 30_000, signal });
      if (r.code === 0) return { attempts: attempt };
      last = trimOut(r.stderr || r.stdout);
      if (!/drain timeout/i.test(last)) break;
    }
    throw new NodeOpFailed("drain", this.subject, "cockroach node drain failed", last);
  }

  /** Stops the process through its manager and confirms it is gone. */
  async stop(deadlineMs: number, signal?: AbortSignal): Promise<StopResult> {
    const pm = this.node.process;
    if (pm.manager === "cockroach") return this.stopByPid(deadlineMs, signal);
    const argv = pm.manager === "systemd" ? this.systemctl("stop", pm.unit, pm.useSudo) : ["sh", "-c", pm.stop];
    const r = await this.transport.exec(argv, { timeoutMs: deadlineMs, signal });
    if (r.code !== 0)
      throw new NodeOpFailed("stop", this.subject, `${pm.manager} stop failed (exit ${r.code})`, trimOut(r.stderr || r.stdout));
    await this.waitUntil(
      async () => (await this.processState(signal)) === "stopped",
      deadlineMs,
      "stop",
      "process still running after stop",
      signal,
    );
    return { escalated: false };
  }

  /**
   * Replaces `binaryPath` with `source` (a staged release binary, or `_old`
   * on rollback). When `keepPrevious`, the current binary first becomes
   * `_old`. `libDir` (the release's lib/) replaces `lib/` next to the binary.
   */
  async swapBinary(
    opts: { readonly source: string; readonly keepPrevious: boolean; readonly libDir?: string },
    signal?: AbortSignal,
  ): Promise<void> {
    const bin = shellQuote(this.node.binaryPath);
    const lines = ["set -e"];
    if (opts.keepPrevious) lines.push(`cp -p ${bin} ${bin}_old.tmp`, `mv -f ${bin}_old.tmp ${bin}_old`);
    lines.push(`cp -p ${shellQuote(opts.source)} ${bin}.new`, `chmod 755 ${bin}.new`, `mv -f ${bin}.new ${bin}`);
    if (opts.libDir !== undefined)
      lines.push(...libSwapLines(opts.libDir, path.posix.join(path.posix.dirname(this.node.binaryPath), "lib"), opts.keepPrevious));
    const r = await this.transport.exec(["sh", "-c", lines.join("\n")], { timeoutMs: 120_000, signal });
    if (r.code !== 0)
      throw new NodeOpFailed("swap-binary", this.subject, `cannot install ${opts.source} as ${this.node.binaryPath}`, trimOut(r.stderr));
  }

  /** Starts the process through its manager. On failure the error carries the tail of the node's log. */
  async start(deadlineMs: number, signal?: AbortSignal): Promise<void> {
    const pm = this.node.process;
    let argv: string[];
    if (pm.manager === "cockroach") {
      // Output goes to a file so that the daemon holds no pipe of ours (an
      // SSH channel would stay open as long as it lives).
      const out = shellQuote(path.posix.join(this.node.stagingDir, "start.out"));
      const start = shellJoin([this.node.binaryPath, "start", "--background", "--pid-file", pm.pidFile, ...pm.startFlags]);
      argv = ["sh", "-c", `mkdir -p ${shellQuote(this.node.stagingDir)} && ${start} >${out} 2>&1 </dev/null; rc=$?; cat ${out}; exit $rc`];
    } else {
      argv = pm.manager === "systemd" ? this.systemctl("start", pm.unit, pm.useSudo) : ["sh", "-c", pm.start];
    }
    let r;
    try {
      r = await this.transport.exec(argv, { timeoutMs: deadlineMs, signal });
    } catch (e) {
      throw new NodeOpFailed("start", this.subject, "start did not complete", `${(e as Error).message}${await this.logTailSuffix()}`);
    }
    if (r.code !== 0) {
      throw new NodeOpFailed(
        "start",
        this.subject,
        `start exited ${r.code}`,
        `${trimOut(r.stdout + r.stderr)}${await this.logTailSuffix()}`,
      );
    }
  }

  /** The pre-flight hook: `cockroach debug zip <file>` against this node. */
  async debugZip(file: string, timeoutMs: number, signal?: AbortSignal): Promise<void> {
    const argv = [this.node.binaryPath, "debug", "zip", file, this.rpcHost, ...this.securityFlags()];
    const r = await this.transport.exec(argv, { timeoutMs, signal });
    if (r.code !== 0) throw new NodeOpFailed("hooks", this.subject, `cockroach debug zip ${file} failed`, trimOut(r.stderr || r.stdout));
  }

  /**
   * The in-flight journal: written before a node is first disturbed and
   * removed once it runs again, so that a run interrupted in between (kill -9
   * of pulumi) leaves evidence the next run acts on — and a node that is
   * merely down, with no journal, is refused instead of "recovered".
   */
  async writeJournal(entry: NodeJournal, signal?: AbortSignal): Promise<void> {
    const file = shellQuote(this.journalPath);
    const script = `mkdir -p ${shellQuote(this.node.stagingDir)} && cat > ${file}.tmp && mv -f ${file}.tmp ${file}`;
    const r = await this.transport.exec(["sh", "-c", script], { timeoutMs: PROBE_TIMEOUT_MS, signal, stdin: JSON.stringify(entry) });
    if (r.code !== 0) throw new NodeOpFailed(entry.phase, this.subject, `cannot write ${this.journalPath}`, trimOut(r.stderr));
  }

  async readJournal(signal?: AbortSignal): Promise<NodeJournal | undefined> {
    const file = shellQuote(this.journalPath);
    const r = await this.transport.exec(["sh", "-c", `[ -f ${file} ] || exit 3; cat ${file}`], { timeoutMs: PROBE_TIMEOUT_MS, signal });
    if (r.code !== 0) return undefined;
    try {
      const j = JSON.parse(r.stdout) as Partial<NodeJournal>;
      return typeof j.target === "string" && typeof j.phase === "string" ? (j as NodeJournal) : undefined;
    } catch {
      return undefined;
    }
  }

  async clearJournal(signal?: AbortSignal): Promise<void> {
    await this.transport.exec(["rm", "-f", this.journalPath], { timeoutMs: PROBE_TIMEOUT_MS, signal });
  }

  private get journalPath(): string {
    return path.posix.join(this.node.stagingDir, "inflight.json");
  }

  /** The last lines of the node's log file, for errors. Empty when there is no log file or it cannot be read. */
  async logTail(lines = LOG_TAIL_LINES): Promise<string> {
    const pm = this.node.process;
    const cmd =
      pm.manager === "cockroach" && pm.logFile
        ? ["tail", "-n", String(lines), pm.logFile]
        : pm.manager === "systemd"
          ? ["journalctl", "-u", pm.unit, "-n", String(lines), "--no-pager"]
          : undefined;
    if (!cmd) return "";
    try {
      const r = await this.transport.exec(cmd, { timeoutMs: PROBE_TIMEOUT_MS });
      return r.code === 0 ? r.stdout.trimEnd() : "";
    } catch {
      return "";
    }
  }

  private async logTailSuffix(): Promise<string> {
    const tail = await this.logTail();
    return tail ? `\n--- last lines of the node log ---\n${tail}` : "";
  }

  /** The pid in the pid file, if that process is alive. */
  async runningPid(signal?: AbortSignal): Promise<number | undefined> {
    const pm = this.node.process;
    if (pm.manager !== "cockroach") return undefined;
    const pidFile = shellQuote(pm.pidFile);
    const script = `${ALIVE_FN}; [ -s ${pidFile} ] || exit 3; pid=$(tr -dc 0-9 < ${pidFile}); [ -n "$pid" ] || exit 3; alive "$pid" || exit 4; echo "$pid"`;
    const r = await this.transport.exec(["sh", "-c", script], { timeoutMs: PROBE_TIMEOUT_MS, signal });
    if (r.code !== 0) return undefined;
    const pid = Number(r.stdout.trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  }

  /** SIGTERM (a graceful drain), wait for exit; SIGKILL only after the deadline, and say so. */
  private async stopByPid(deadlineMs: number, signal?: AbortSignal): Promise<StopResult> {
    const pid = await this.runningPid(signal);
    if (pid === undefined) return { escalated: false };
    await this.signalPid(pid, "TERM", signal);
    const gone = await this.waitForExit(pid, deadlineMs, signal);
    if (gone) return { escalated: false };
    await this.signalPid(pid, "KILL", signal);
    if (!(await this.waitForExit(pid, 10_000, signal))) {
      throw new NodeOpFailed("stop", this.subject, `process ${pid} survived SIGTERM and SIGKILL`);
    }
    return { escalated: true };
  }

  private async signalPid(pid: number, sig: "TERM" | "KILL", signal?: AbortSignal): Promise<void> {
    const r = await this.transport.exec(["kill", `-${sig}`, String(pid)], { timeoutMs: PROBE_TIMEOUT_MS, signal });
    // Exit 1 with "No such process" means it is already gone, which is what we want.
    if (r.code !== 0 && !/no such process/i.test(r.stderr)) {
      throw new NodeOpFailed("stop", this.subject, `kill -${sig} ${pid} failed`, trimOut(r.stderr));
    }
  }

  private async waitForExit(pid: number, deadlineMs: number, signal?: AbortSignal): Promise<boolean> {
    // One remote loop instead of a round trip per poll: cheap over SSH too.
    const tries = Math.max(1, Math.ceil(deadlineMs / STOP_POLL_MS));
    const script = `${ALIVE_FN}; i=0; while alive ${pid}; do [ $i -ge ${tries} ] && exit 1; sleep ${STOP_POLL_MS / 1000}; i=$((i+1)); done; exit 0`;
    const r = await this.transport.exec(["sh", "-c", script], { timeoutMs: deadlineMs + 30_000, signal });
    return r.code === 0;
  }

  private async waitUntil(
    check: () => Promise<boolean>,
    deadlineMs: number,
    phase: Phase,
    what: string,
    signal?: AbortSignal,
  ): Promise<void> {
    const until = Date.now() + deadlineMs;
    while (!(await check())) {
      if (Date.now() > until) throw new NodeOpFailed(phase, this.subject, what);
      if (signal?.aborted) throw new TransportError(this.transport.description, `${phase}: aborted`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  private securityFlags(): string[] {
    if (this.security.insecure) return ["--insecure"];
    return this.security.certsDir ? [`--certs-dir=${this.security.certsDir}`] : [];
  }

  private systemctl(verb: string, unit: string, sudo: boolean): string[] {
    return [...(sudo ? ["sudo", "-n"] : []), "systemctl", verb, unit];
  }
}

/** `v23.1.12` from `--build-tag` output, or from the `Build Tag:` line of `cockroach version`. */
export function parseBuildTag(out: string): string | undefined {
  const line = out.split("\n").find((l) => /^\s*Build Tag:/i.test(l));
  const tag = line ? line.replace(/^\s*Build Tag:\s*/i, "") : out.trim().split("\n")[0];
  const t = tag?.trim();
  return t ? t : undefined;
}

/** Swap lib/ (GEOS) the same way: new beside, previous kept as lib_old, rename into place. */
function libSwapLines(sourceLib: string, libPath: string, keepPrevious: boolean): string[] {
  const src = shellQuote(sourceLib);
  const lib = shellQuote(libPath);
  const lines = [`if [ -d ${src} ]; then`, `rm -rf ${lib}.new`, `cp -Rp ${src} ${lib}.new`];
  if (keepPrevious) lines.push(`rm -rf ${lib}_old`, `if [ -d ${lib} ]; then mv ${lib} ${lib}_old; fi`);
  else lines.push(`rm -rf ${lib}`);
  lines.push(`mv ${lib}.new ${lib}`, "fi");
  return lines;
}

/** Command output for an error: the last lines, trimmed. */
export function trimOut(s: string, maxLines = 12): string {
  const lines = s.trim().split("\n");
  return lines.slice(-maxLines).join("\n");
}
