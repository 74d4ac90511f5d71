/**
 * What one node does, through its Transport: report its binary and process,
 * drain, stop, swap the binary, start, keep the in-flight journal, stage a
 * release, hand files back. Nothing here assumes the transport is local:
 * every action is a command on the node's host (POSIX sh, coreutils), so the
 * same code runs over SSH. The commands themselves are built by pure modules
 * beside this one (process-manager.ts, binary-swap.ts, journal.ts, probe.ts);
 * callers never reach the transport but through these methods.
 */
import * as path from "path";
import { NodeOpFailed, ReadFailed, TransportError, subjectOf, type NodeSubject } from "../core/errors";
import { shellJoin, shellQuote, type Transport } from "../transport/transport";
import type { Deadlines, NodeSpec, NodeProcessState, Phase, Spec } from "../core/types";
import { rpcHostFlag } from "../spec/rpc-addr";
import { DEADLINE_DEFAULTS } from "../spec/strategy";
import { copyOldScript, swapScript, type SwapOptions } from "./binary-swap";
import { fetchFile } from "./file-fetch";
import { readJournalScript, parseJournal, writeJournalScript, journalPath, type NodeJournal } from "./journal";
import { parseProbe, probeScript, type ProbeOptions, type ProbeResult } from "./probe";
import * as pm from "./process-manager";
import { resolveRelease, type ReleaseRef, type StagedRelease } from "./release";
import { stageOnNode } from "./release-stage";
import { parseBuildTag, trimOut } from "./shell";
import { stopByPid, type StopResult } from "./stop-by-pid";

/** How the cockroach CLI reaches the node's own server: insecure or a certs dir, never a password. */
export type CliSecurity = Pick<Spec["sql"], "insecure" | "certsDir">;

/** The spec's deadlines for commands that are not a phase of their own (strategy.deadlines.probe, .swap). */
export type NodeTimeouts = Pick<Deadlines, "probeMs" | "swapMs">;

const LOG_TAIL_LINES = 20;

export class NodeOps {
  constructor(
    readonly node: NodeSpec,
    private readonly transport: Transport,
    private readonly security: CliSecurity,
    private readonly timeouts: NodeTimeouts = DEADLINE_DEFAULTS,
  ) {}

  get subject(): NodeSubject {
    return subjectOf(this.node);
  }

  /** `--host=<rpcAddr>` for every command that speaks gRPC to the node (node drain, debug zip): never the SQL address (rpc-addr.ts). */
  get rpcHost(): string {
    return rpcHostFlag(this.node.rpcAddr);
  }

  get oldBinaryPath(): string {
    return `${this.node.binaryPath}_old`;
  }

  /** `cockroach version --build-tag` of a binary on the node; undefined when it is absent. */
  async buildOf(binary: string, signal?: AbortSignal): Promise<string | undefined> {
    const r = await this.sh(
      `[ -e ${shellQuote(binary)} ] || exit 3; ${shellJoin([binary, "version", "--build-tag"])}`,
      this.timeouts.probeMs,
      signal,
    );
    if (r.code === 3) return undefined;
    if (r.code !== 0)
      throw new NodeOpFailed("preflight", this.subject, `${binary} version --build-tag failed`, trimOut(r.stderr || r.stdout));
    return parseBuildTag(r.stdout);
  }

  /** Process, binaries and journal in one command (probe.ts). */
  async probe(opts: ProbeOptions = {}, signal?: AbortSignal): Promise<ProbeResult> {
    return parseProbe((await this.sh(probeScript(this.node, opts), this.timeouts.probeMs, signal)).stdout);
  }

  /** Whether the cockroach process runs, asked of the process manager (process-manager.ts). */
  async processState(signal?: AbortSignal): Promise<NodeProcessState> {
    const p = this.node.process;
    return pm.stateFromStatus(p, await this.exec(pm.statusArgv(p), this.timeouts.probeMs, signal));
  }

  /** `cockroach node drain --self`; on `drain timeout`, once more (the documented advice), then fail. */
  async drain(deadlineMs: number, signal?: AbortSignal): Promise<{ readonly attempts: number }> {
    const wait = `--drain-wait=${Math.max(1, Math.ceil(deadlineMs / 1000))}s`;
    const argv = [this.node.binaryPath, "node", "drain", "--self", this.rpcHost, ...this.securityFlags(), wait];
    let last = "";
    for (let attempt = 1; attempt <= 2; attempt++) {
      const r = await this.exec(argv, deadlineMs + 30_000, signal);
      if (r.code === 0) return { attempts: attempt };
      last = trimOut(r.stderr || r.stdout);
      if (!/drain timeout/i.test(last)) break;
    }
    throw new NodeOpFailed("drain", this.subject, "cockroach node drain failed", last);
  }

  /** Stops the process through its manager and confirms it is gone. */
  async stop(deadlineMs: number, signal?: AbortSignal): Promise<StopResult> {
    const p = this.node.process;
    const argv = pm.stopArgv(p);
    if (argv === undefined) {
      const host = { exec: this.exec.bind(this), subject: this.subject, probeMs: this.timeouts.probeMs };
      return stopByPid(host, await this.runningPid(signal), deadlineMs, signal);
    }
    const r = await this.exec(argv, deadlineMs, signal);
    if (r.code !== 0)
      throw new NodeOpFailed("stop", this.subject, `${p.manager} stop failed (exit ${r.code})`, trimOut(r.stderr || r.stdout));
    await this.waitUntil(
      async () => (await this.processState(signal)) === "stopped",
      deadlineMs,
      "stop",
      "process still running after stop",
      signal,
    );
    return { escalated: false };
  }

  /** Replaces `binaryPath` with `source`, keeping the previous as `_old` when asked (binary-swap.ts). */
  async swapBinary(opts: SwapOptions, signal?: AbortSignal): Promise<void> {
    const r = await this.sh(swapScript(this.node.binaryPath, opts), this.timeouts.swapMs, signal);
    if (r.code !== 0)
      throw new NodeOpFailed("swap-binary", this.subject, `cannot install ${opts.source} as ${this.node.binaryPath}`, trimOut(r.stderr));
  }

  /** Starts the process through its manager. On failure the error carries the tail of the node's log. */
  async start(deadlineMs: number, signal?: AbortSignal): Promise<void> {
    let r;
    try {
      r = await this.exec(pm.startArgv(this.node), deadlineMs, signal);
    } catch (e) {
      throw new NodeOpFailed("start", this.subject, "start did not complete", `${(e as Error).message}${await this.logTailSuffix()}`);
    }
    if (r.code !== 0)
      throw new NodeOpFailed(
        "start",
        this.subject,
        `start exited ${r.code}`,
        `${trimOut(r.stdout + r.stderr)}${await this.logTailSuffix()}`,
      );
  }

  /** `cockroach debug zip <file>` against this node (the pre-flight hook, the evidence before a rollback). */
  async debugZip(file: string, timeoutMs: number, signal?: AbortSignal): Promise<void> {
    const r = await this.exec([this.node.binaryPath, "debug", "zip", file, this.rpcHost, ...this.securityFlags()], timeoutMs, signal);
    if (r.code !== 0) throw new NodeOpFailed("hooks", this.subject, `cockroach debug zip ${file} failed`, trimOut(r.stderr || r.stdout));
  }

  /** The in-flight journal (journal.ts): written before a node is first disturbed. */
  async writeJournal(entry: NodeJournal, signal?: AbortSignal): Promise<void> {
    const r = await this.exec(["sh", "-c", writeJournalScript(this.node)], this.timeouts.probeMs, signal, JSON.stringify(entry));
    if (r.code !== 0) throw new NodeOpFailed(entry.phase, this.subject, `cannot write ${journalPath(this.node)}`, trimOut(r.stderr));
  }

  async readJournal(signal?: AbortSignal): Promise<NodeJournal | undefined> {
    const r = await this.sh(readJournalScript(this.node), this.timeouts.probeMs, signal);
    return r.code === 0 ? parseJournal(r.stdout) : undefined;
  }

  async clearJournal(signal?: AbortSignal): Promise<void> {
    await this.exec(["rm", "-f", journalPath(this.node)], this.timeouts.probeMs, signal);
  }

  /** The release to stage, its checksum fetched by this node when the provider cannot (release.ts). */
  resolveRelease(spec: Spec, version: string, signal?: AbortSignal): Promise<ReleaseRef> {
    return resolveRelease(spec, { transport: this.transport, node: this.node }, signal, version);
  }

  /** The release staged and verified on this node (release.ts); `localTarball` copied over in air-gapped mode. */
  stageRelease(rel: ReleaseRef, via: { readonly localTarball?: string }, signal?: AbortSignal): Promise<StagedRelease> {
    return stageOnNode({ transport: this.transport, node: this.node }, rel, via, signal);
  }

  /** `_old` (and `lib_old`) copied into `dir`, for a downgrade that finds its target on the node. */
  async copyOldTo(dir: string, signal?: AbortSignal): Promise<void> {
    const r = await this.sh(copyOldScript(this.node.binaryPath, dir), this.timeouts.swapMs, signal);
    if (r.code !== 0)
      throw new NodeOpFailed("stage-release", this.subject, `cannot copy ${this.oldBinaryPath} to ${dir}`, trimOut(r.stderr));
  }

  /** An empty place for `file` on the node: its directory made, the file removed. */
  async clearFile(file: string, signal?: AbortSignal): Promise<void> {
    await this.run(`mkdir -p ${shellQuote(path.posix.dirname(file))} && rm -f ${shellQuote(file)}`, signal);
  }

  async removeFile(file: string, signal?: AbortSignal): Promise<void> {
    await this.run(`rm -f ${shellQuote(file)}`, signal);
  }

  /** A file on the node copied here, checksum-verified (file-fetch.ts). */
  fetchFile(remote: string, local: string, signal?: AbortSignal): Promise<void> {
    return fetchFile((script) => this.run(script, signal), this.node.name, remote, local);
  }

  /** The last lines of the node's log file, for errors. Empty when there is no log file or it cannot be read. */
  async logTail(lines = LOG_TAIL_LINES): Promise<string> {
    const argv = pm.logTailArgv(this.node.process, lines);
    if (!argv) return "";
    const r = await this.exec(argv, this.timeouts.probeMs).catch(() => undefined);
    return r?.code === 0 ? r.stdout.trimEnd() : "";
  }

  /** The pid in the pid file, if that process is alive (`cockroach` manager only). */
  async runningPid(signal?: AbortSignal): Promise<number | undefined> {
    const p = this.node.process;
    if (p.manager !== "cockroach") return undefined;
    return pm.pidOf(await this.sh(pm.pidScript(p.pidFile), this.timeouts.probeMs, signal));
  }

  private async logTailSuffix(): Promise<string> {
    const tail = await this.logTail();
    return tail ? `\n--- last lines of the node log ---\n${tail}` : "";
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

  /** A script whose failure is an error "on <node>: <last lines of stderr>" (file-fetch.ts). */
  private async run(script: string, signal?: AbortSignal): Promise<string> {
    const r = await this.sh(script, this.timeouts.probeMs, signal);
    if (r.code !== 0) throw new ReadFailed(`on ${this.node.name}`, r.stderr.trim().split("\n").slice(-3).join(" ") || `exit ${r.code}`);
    return r.stdout;
  }

  private sh(script: string, timeoutMs: number, signal?: AbortSignal) {
    return this.exec(["sh", "-c", script], timeoutMs, signal);
  }

  private exec(argv: readonly string[], timeoutMs: number, signal?: AbortSignal, stdin?: string) {
    return this.transport.exec(argv, { timeoutMs, signal, ...(stdin !== undefined && { stdin }) });
  }

  private securityFlags(): string[] {
    if (this.security.insecure) return ["--insecure"];
    return this.security.certsDir ? [`--certs-dir=${this.security.certsDir}`] : [];
  }
}
