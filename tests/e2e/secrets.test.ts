/**
 * Credentials stay secret wherever users put them (issue 16), through the real
 * CLI on one secure simulated cluster (TLS, root password), with node n1
 * reached over real OpenSSH (key with passphrase, plus a password).
 *
 * Every credential-bearing field is set at once, in two ways:
 * - stack "cfg": the repository's root program, each credential set as secret
 *   config (`pulumi config set --secret --path ...`);
 * - stack "plain": a user program that passes them as plain strings.
 * For each: preview --diff, up (a real roll, the hooks run), three failing
 * ups whose errors name the release URL, the backup command's stderr and the
 * backup statement, refresh, and stack export. No secret value appears in
 * any command's output, nor in the exported state outside a secret envelope,
 * and each credential field is inside one, in the inputs and in the outputs.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { PulumiWorkspace, REPO_ROOT } from "../support/pulumi";
import { copyProgram, fixture, ProgramDir } from "../support/program-dir";
import { fastStrategy, runningBuilds, watch } from "../support/provider-harness";
import { serveReleaseMirror, ReleaseMirror } from "../support/release-mirror";
import { rootProgram, RootProgram } from "../support/root-program";
import { startSimCluster, SimCluster } from "../support/sim-cluster";
import { assertNoSecrets } from "../support/ssh-connection";
import { createHostAdmin, generateKeyPair, HostAdmin, KeyPair } from "../support/ssh-identities";
import { startSshd, SshdServer } from "../support/sshd";
import type { InvariantMonitor } from "../support/invariant-monitor";
import type { NodeInput } from "../../provider/core/types";

const BASE_IP = "127.0.160.10";
const NS = "crdb-upgrade";
/** Every secret value; none may ever be printed or stored in plain text. */
const SECRET = {
  sqlPassword: "pw-Sql-7f3a9c-never-print",
  sshPassword: "pw-Ssh-88e1b0-never-print",
  keyPassphrase: "kp-Passphrase-41d2-never-print",
  mirrorPassword: "mp-Mirror-5c21-never-print",
  userPassword: "up-UserLit-93ad-never-print",
  awsSecret: "aws-Secret-1b7f-never-print",
  encPassphrase: "enc-Pass-77c0-never-print",
  token: "tok-Cmd-5a9e-never-print",
} as const;

/** The hooks of each step: a success (CREATE USER carries a password literal), a failing command, a failing BACKUP. */
const HOOKS = {
  ok: {
    backupCommand: `BACKUP_TOKEN=${SECRET.token} sh -c 'test -n "$BACKUP_TOKEN"'`,
    backupSql: `CREATE USER IF NOT EXISTS backup_probe WITH PASSWORD '${SECRET.userPassword}'`,
  },
  failingCommand: {
    backupCommand: `BACKUP_TOKEN=${SECRET.token} sh -c 'echo "upload to https://backup:$BACKUP_TOKEN@store.example/x refused (token $BACKUP_TOKEN)" >&2; exit 3'`,
    backupSql: `CREATE USER IF NOT EXISTS backup_probe WITH PASSWORD '${SECRET.userPassword}'`,
  },
  failingSql: {
    backupCommand: `BACKUP_TOKEN=${SECRET.token} sh -c 'test -n "$BACKUP_TOKEN"'`,
    backupSql:
      `BACKUP INTO 's3://bucket/crdb?AWS_ACCESS_KEY_ID=AKIAE2E&AWS_SECRET_ACCESS_KEY=${SECRET.awsSecret}' ` +
      `WITH encryption_passphrase = '${SECRET.encPassphrase}'`,
  },
} as const;
type Hooks = (typeof HOOKS)[keyof typeof HOOKS];

/**
 * Fields that must sit inside a secret envelope, in inputs and outputs, however
 * they were given. The node credentials make the whole `nodes` array secret:
 * the engine marks an array secret as a whole when any element holds a secret
 * (pulumi/pulumi pkg/resource/plugin/provider_plugin.go annotateSecrets, which
 * recurses into objects only), so their envelope is `nodes`.
 */
const CREDENTIAL_PATHS = [
  "hooks.backupCommand",
  "hooks.backupSql",
  "nodes.0.connection.password",
  "nodes.0.connection.privateKey",
  "nodes.0.connection.privateKeyPassword",
  "release.urlTemplate",
  "sql.password",
];

const SIG = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

/** What the state can hold at best: the node credentials' envelope is the `nodes` array. */
const EXPECTED_ENVELOPES = [...CREDENTIAL_PATHS.filter((p) => !p.startsWith("nodes.")), "nodes"];

/** Whether `p` lies inside one of the envelopes. */
const inside = (p: string, envelopes: readonly string[]): boolean => envelopes.some((e) => p === e || p.startsWith(`${e}.`));

/** Paths (a.0.b) of the secret envelopes in an exported value. */
function secretPaths(v: unknown, at = ""): string[] {
  const join = (k: string | number): string => (at ? `${at}.${k}` : String(k));
  if (Array.isArray(v)) return v.flatMap((x, i) => secretPaths(x, join(i)));
  if (v === null || typeof v !== "object") return [];
  const o = v as Record<string, unknown>;
  if (o[SIG] === SECRET_SIG) return [at];
  return Object.entries(o).flatMap(([k, x]) => secretPaths(x, join(k)));
}

/** A stack under test: how it sets version and hooks, and its workspace. */
interface Subject {
  readonly ws: PulumiWorkspace;
  setVersion(version: string): Promise<void>;
  setHooks(hooks: Hooks): Promise<void>;
}

describe("e2e: credentials stay secret wherever users put them", function () {
  this.timeout(20 * 60 * 1000);
  let sim: SimCluster;
  let mirror: ReleaseMirror;
  let key: KeyPair;
  let admin: HostAdmin;
  let sshd: SshdServer;
  let monitor: InvariantMonitor;
  let root: RootProgram;
  let plain: ProgramDir;
  const workspaces: PulumiWorkspace[] = [];
  const subjects: Record<"cfg" | "plain", Subject> = {} as Record<"cfg" | "plain", Subject>;

  /** n1 over SSH with every connection credential; n2 and n3 local. */
  function nodes(): NodeInput[] {
    return sim.providerNodes.map((n, i) =>
      i === 0
        ? {
            ...n,
            connection: {
              host: sshd.host,
              port: sshd.port,
              user: admin.name,
              privateKey: key.privateKey,
              privateKeyPassword: SECRET.keyPassphrase,
              password: SECRET.sshPassword,
              hostKey: sshd.hostKey,
              dialErrorLimit: 2,
              perDialTimeout: 5,
            } as unknown as NodeInput["connection"],
          }
        : n,
    );
  }

  function sqlConfig(): Record<string, unknown> {
    const certsDir = sim.certsDir as string;
    return { user: "root", password: SECRET.sqlPassword, certsDir, tls: { ca: fs.readFileSync(path.join(certsDir, "ca.crt"), "utf8") } };
  }

  const mirrorTemplate = (): string =>
    mirror.url.replace("://", `://mirror:${SECRET.mirrorPassword}@`) + "/cockroach-{version}.linux-amd64.tgz";

  before(async () => {
    key = generateKeyPair({ passphrase: SECRET.keyPassphrase });
    admin = createHostAdmin();
    sim = await startSimCluster({
      nodes: 3,
      version: "v23.1.11",
      baseIp: BASE_IP,
      timeScale: 0.1,
      secure: true,
      rootPassword: SECRET.sqlPassword,
    });
    assert.ok(sim.certsDir, "a secure sim cluster has a certs dir");
    sshd = await startSshd({ host: sim.nodes[0].sqlAddr.split(":")[0], authorizedKeys: [key.publicKey] });
    mirror = await serveReleaseMirror(sim, ["v23.1.12", "v23.1.13", "v23.1.14"]);

    // Stack "cfg": the root program; non-credential config written plain, every credential set with --secret.
    root = rootProgram();
    const cfg = new PulumiWorkspace({ programDir: root.dir, stack: "cfg" });
    workspaces.push(cfg);
    await cfg.init();
    const plainNodes = nodes().map((n, i) => {
      if (i !== 0) return n;
      const { privateKey: _k, privateKeyPassword: _p, password: _w, ...conn } = n.connection as unknown as Record<string, unknown>;
      return { ...n, connection: conn };
    });
    const { password: _sqlPw, ...sqlPlain } = sqlConfig();
    root.setConfig("cfg", { version: "v23.1.11", nodes: plainNodes, sql: sqlPlain, strategy: fastStrategy(), release: {} });
    const secretSet = async (k: string, v: string): Promise<void> => cfg.setConfig(`${NS}:${k}`, v, { secret: true, path: true });
    await secretSet("nodes[0].connection.privateKey", key.privateKey);
    await secretSet("nodes[0].connection.privateKeyPassword", SECRET.keyPassphrase);
    await secretSet("nodes[0].connection.password", SECRET.sshPassword);
    await secretSet("sql.password", SECRET.sqlPassword);
    await secretSet("release.urlTemplate", mirrorTemplate());
    subjects.cfg = {
      ws: cfg,
      setVersion: async (v) => root.setConfig("cfg", { version: v }),
      setHooks: async (h) => {
        await secretSet("hooks.backupCommand", h.backupCommand);
        await secretSet("hooks.backupSql", h.backupSql);
      },
    };

    // Stack "plain": a user program given every credential as a plain string.
    plain = copyProgram(fixture("secrets-plain"));
    const argsFile = path.join(plain.dir, "args.json");
    let args: Record<string, unknown> = {
      version: "v23.1.12",
      nodes: nodes(),
      sql: sqlConfig(),
      release: { urlTemplate: mirrorTemplate() },
      strategy: fastStrategy(),
    };
    const writeArgs = (patch: Record<string, unknown>): void => {
      args = { ...args, ...patch };
      fs.writeFileSync(argsFile, JSON.stringify(args));
    };
    writeArgs({});
    const prog = new PulumiWorkspace({ programDir: plain.dir, stack: "plain" });
    workspaces.push(prog);
    await prog.init();
    await prog.setConfig("secrets-plain:argsFile", argsFile);
    await prog.setConfig("secrets-plain:sdk", path.join(REPO_ROOT, "dist", "sdk"));
    subjects.plain = { ws: prog, setVersion: async (v) => writeArgs({ version: v }), setHooks: async (h) => writeArgs({ hooks: h }) };

    monitor = await watch(sim);
  });

  after(async () => {
    await monitor?.stop();
    for (const ws of workspaces) await ws.dispose();
    root?.dispose();
    plain?.dispose();
    await mirror?.close();
    await sim?.stop();
    await sshd?.stop();
    admin?.remove();
    key?.remove();
  });

  afterEach(() => {
    // Whatever happened, no command printed a secret (nor a line of the private key).
    assertNoSecrets(
      workspaces.flatMap((w) => w.transcript),
      [...Object.values(SECRET), key.privateKey],
    );
  });

  /** Output of a run, for matching. */
  const text = (r: { stdout: string; stderr: string }): string => `${r.stdout}\n${r.stderr}`;

  /** The run every subject goes through: roll `from` -> `to`, then three failures aimed at `failTo`, then refresh. */
  async function exercise(s: Subject, from: string, to: string, failTo: string): Promise<void> {
    await s.setHooks(HOOKS.ok);
    await s.ws.ok(["up", "--yes", "--skip-preview"]); // adopts at `from`: nothing rolled
    assert.deepStrictEqual(await runningBuilds(sim), { n1: from, n2: from, n3: from });

    await s.setVersion(to);
    const preview = await s.ws.ok(["preview", "--diff"]);
    assert.match(text(preview), /\[secret\]/, "preview --diff shows the secret fields as [secret]");
    assert.match(text(preview), new RegExp(`${from.replace(/\./g, "\\.")}.*${to.replace(/\./g, "\\.")}`), "and the version move");
    await s.ws.ok(["up", "--yes", "--skip-preview"]);
    assert.deepStrictEqual(await runningBuilds(sim), { n1: to, n2: to, n3: to }, "rolled, the hooks having passed");

    // A release that is not on the mirror: the error names the URL, without its password.
    await s.setVersion("v23.1.19");
    const badUrl = await s.ws.run(["up", "--yes", "--skip-preview"]);
    assert.notStrictEqual(badUrl.code, 0);
    assert.match(text(badUrl), /http:\/\/redacted@[^\s]*cockroach-v23\.1\.19\.linux-amd64\.tgz/);

    // The backup command fails and echoes its token on stderr, in a URL and bare.
    await s.setVersion(failTo);
    await s.setHooks(HOOKS.failingCommand);
    const badCommand = await s.ws.run(["up", "--yes", "--skip-preview"]);
    assert.notStrictEqual(badCommand.code, 0);
    assert.match(
      text(badCommand),
      /hooks: backup command exited 3: upload to https:\/\/redacted@store\.example\/x refused \(token redacted\)/,
    );

    // The backup statement fails: the error names it, its key and passphrase masked.
    await s.setHooks(HOOKS.failingSql);
    const badSql = await s.ws.run(["up", "--yes", "--skip-preview"]);
    assert.notStrictEqual(badSql.code, 0);
    assert.match(
      text(badSql),
      /hooks: backup SQL failed: BACKUP INTO 's3:\/\/bucket\/crdb\?AWS_ACCESS_KEY_ID=AKIAE2E&AWS_SECRET_ACCESS_KEY=redacted' WITH encryption_passphrase = 'redacted'/,
    );
    assert.deepStrictEqual(await runningBuilds(sim), { n1: to, n2: to, n3: to }, "no failure touched a node");

    await s.ws.ok(["refresh", "--yes", "--skip-preview"]);
    await monitor.stop();
    assert.deepStrictEqual(monitor.violations({ maxUnavailable: 1 }), []);
    monitor = await watch(sim);
  }

  /** The exported state: no secret in plain text, every credential field inside an envelope. */
  async function assertState(s: Subject): Promise<{ inputs: string[]; outputs: string[]; outs: Record<string, unknown> }> {
    const exported = await s.ws.exportStack();
    for (const v of [...Object.values(SECRET), key.privateKey.split("\n")[1]]) {
      assert.ok(!exported.text.includes(v), "stack export holds no secret in plain text");
    }
    const resource = exported.json.deployment.resources?.find((r) => String(r.type).endsWith("crdb-upgrade:ClusterVersion"));
    assert.ok(resource, "the ClusterVersion resource is in the state");
    const inputs = secretPaths(resource.inputs);
    const outputs = secretPaths(resource.outputs);
    for (const p of CREDENTIAL_PATHS) {
      assert.ok(inside(p, inputs), `input ${p} is secret (secret inputs: ${inputs.join(", ")})`);
      assert.ok(inside(p, outputs), `output ${p} is secret (secret outputs: ${outputs.join(", ")})`);
    }
    const outs = resource.outputs as Record<string, unknown>;
    assert.ok(!secretPaths(outs.lastRollout).length && outs.lastRollout, "lastRollout stays readable (it is redacted instead)");
    return { inputs, outputs, outs };
  }

  it("secret config (root program): preview, up, failures naming URL, stderr and statement, refresh; state encrypted", async () => {
    const s = subjects.cfg;
    await exercise(s, "v23.1.11", "v23.1.12", "v23.1.13");
    const state = await assertState(s);
    // The config objects that hold a secret are secret leaf by leaf, so the diff still names fields...
    assert.ok(state.inputs.includes("sql.user") && !state.inputs.includes("sql"), "sql: secret per field, not as a whole");
    // ...and the strategy, which holds none, stays readable in the preview.
    assert.ok(!state.inputs.some((p) => p.startsWith("strategy")), "strategy is not secret");
  });

  it("plain values in a program: the resource makes the credential fields secret, and only them", async () => {
    const s = subjects.plain;
    await exercise(s, "v23.1.12", "v23.1.13", "v23.1.14");
    const state = await assertState(s);
    assert.deepStrictEqual([...state.inputs].sort(), [...EXPECTED_ENVELOPES].sort(), "exactly the credential fields are secret inputs");
    assert.deepStrictEqual([...state.outputs].sort(), [...EXPECTED_ENVELOPES].sort(), "and secret outputs");
  });

  it("keeps every credential out of the stack config file of the secret-config stack", () => {
    const file = root.readConfigFile("cfg");
    for (const v of Object.values(SECRET)) assert.ok(!file.includes(v));
  });
});
