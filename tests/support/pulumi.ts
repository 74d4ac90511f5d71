/**
 * Runs the real `pulumi` CLI, fully offline and isolated: a file backend and
 * PULUMI_HOME in a temp dir, a passphrase, no update checks, no plugin
 * downloads, non-interactive. The engine comes from scripts/ensure-pulumi,
 * built from Go modules at the SDK's release; a missing engine fails loudly.
 */
import { execFileSync, spawn, ChildProcess } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

export const REPO_ROOT = path.resolve(__dirname, "..", "..", "..");

let cachedEngineDir: string | undefined;

/** The directory holding pulumi, pulumi-language-nodejs and pulumi-resource-pulumi-nodejs. */
export function engineDir(): string {
  if (cachedEngineDir) return cachedEngineDir;
  const script = path.join(REPO_ROOT, "scripts", "ensure-pulumi");
  let out: string;
  try {
    out = execFileSync(script, { cwd: REPO_ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"], timeout: 60 * 60 * 1000 });
  } catch (e) {
    throw new Error(
      `the Pulumi engine is not available: scripts/ensure-pulumi failed (${(e as Error).message}). ` +
        "It needs Go (>= 1.25) and the Go module proxy; run scripts/ensure-pulumi by hand to see why.",
    );
  }
  const dir = out.trim().split("\n").pop() ?? "";
  for (const bin of ["pulumi", "pulumi-language-nodejs", "pulumi-resource-pulumi-nodejs"]) {
    if (!fs.existsSync(path.join(dir, bin))) throw new Error(`ensure-pulumi returned ${dir}, which lacks ${bin}`);
  }
  cachedEngineDir = dir;
  return dir;
}

export interface PulumiResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface PulumiWorkspaceOptions {
  /** The program directory (holds Pulumi.yaml). */
  readonly programDir: string;
  readonly stack?: string;
  readonly passphrase?: string;
  /** Extra environment for every command. */
  readonly env?: Readonly<Record<string, string>>;
  /**
   * Keep stack config in this file instead of Pulumi.<stack>.yaml in the
   * program dir, so a shared program dir (the repo root) is never written to.
   */
  readonly configFile?: string;
}

const TAKES_CONFIG_FILE = new Set(["config", "up", "preview", "refresh", "destroy"]);

/** An isolated Pulumi home + file backend bound to one program directory. */
export class PulumiWorkspace {
  readonly home: string;
  readonly backendDir: string;
  readonly stack: string;
  /** Everything any command printed, for secret-leak assertions. */
  readonly transcript: string[] = [];
  private readonly running = new Set<ChildProcess>();

  constructor(readonly opts: PulumiWorkspaceOptions) {
    this.home = fs.mkdtempSync(path.join(os.tmpdir(), "crdb-pulumi-home-"));
    this.backendDir = path.join(this.home, "backend");
    fs.mkdirSync(this.backendDir);
    this.stack = opts.stack ?? "test";
  }

  env(): NodeJS.ProcessEnv {
    const dir = engineDir();
    return {
      ...process.env,
      PATH: `${dir}${path.delimiter}${process.env.PATH ?? ""}`,
      PULUMI_HOME: this.home,
      PULUMI_BACKEND_URL: `file://${this.backendDir}`,
      PULUMI_CONFIG_PASSPHRASE: this.opts.passphrase ?? "test-passphrase",
      PULUMI_SKIP_UPDATE_CHECK: "true",
      PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
      PULUMI_SKIP_CONFIRMATIONS: "true",
      PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK: "true",
      NO_COLOR: "1",
      // The provider's own temp files (a failure's debug zip) land in the home, so dispose() removes them.
      TMPDIR: this.tmpDir(),
      ...this.opts.env,
    };
  }

  private tmpDir(): string {
    const dir = path.join(this.home, "tmp");
    fs.mkdirSync(dir, { recursive: true });
    return dir;
  }

  /** Runs `pulumi <args>` in the program dir; resolves with its output whatever the exit code. */
  run(args: readonly string[], opts: { timeoutMs?: number; onSpawn?: (child: ChildProcess) => void } = {}): Promise<PulumiResult> {
    return new Promise((resolve, reject) => {
      const extra = this.opts.configFile && TAKES_CONFIG_FILE.has(args[0]) ? ["--config-file", this.opts.configFile] : [];
      const flags = [...extra, "--non-interactive"];
      const dashDash = args.indexOf("--");
      const argv = dashDash < 0 ? [...args, ...flags] : [...args.slice(0, dashDash), ...flags, ...args.slice(dashDash)];
      const child = spawn(path.join(engineDir(), "pulumi"), argv, {
        cwd: this.opts.programDir,
        env: this.env(),
        stdio: ["ignore", "pipe", "pipe"],
      });
      this.running.add(child);
      opts.onSpawn?.(child);
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
      child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
      const timer = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs ?? 15 * 60 * 1000);
      child.on("error", reject);
      child.on("close", (code) => {
        clearTimeout(timer);
        this.running.delete(child);
        // The command line itself is not output: config values (secrets among them) are left out of it.
        const shown = args[0] === "config" ? "config ..." : args.join(" ");
        this.transcript.push(`$ pulumi ${shown}\n${stdout}\n${stderr}`);
        resolve({ code, stdout, stderr });
      });
    });
  }

  /** Like run, but throws with the output when the exit code is not 0. */
  async ok(args: readonly string[], opts: { timeoutMs?: number } = {}): Promise<PulumiResult> {
    const r = await this.run(args, opts);
    if (r.code !== 0) throw new Error(`pulumi ${args.join(" ")} exited ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`);
    return r;
  }

  async init(): Promise<void> {
    await this.ok(["login", `file://${this.backendDir}`]);
    await this.ok(["stack", "init", this.stack]);
  }

  async setConfig(key: string, value: string, opts: { secret?: boolean; path?: boolean } = {}): Promise<void> {
    const flags = ["--stack", this.stack, ...(opts.secret ? ["--secret"] : []), ...(opts.path ? ["--path"] : [])];
    // "--" so that a value starting with "-" (a PEM block) is not read as a flag.
    await this.ok(["config", "set", ...flags, "--", key, value]);
  }

  async stackOutputs(): Promise<Record<string, unknown>> {
    const r = await this.ok(["stack", "output", "--json", "--show-secrets", "--stack", this.stack]);
    return JSON.parse(r.stdout) as Record<string, unknown>;
  }

  async exportStack(): Promise<{ text: string; json: { deployment: { resources?: Array<Record<string, unknown>> } } }> {
    const r = await this.ok(["stack", "export", "--stack", this.stack]);
    return { text: r.stdout, json: JSON.parse(r.stdout) };
  }

  /** Kills any command still running (by pid) and removes the temp home. */
  async dispose(): Promise<void> {
    for (const child of this.running) child.kill("SIGKILL");
    fs.rmSync(this.home, { recursive: true, force: true });
  }
}
