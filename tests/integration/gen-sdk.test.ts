/**
 * Typed SDKs for the provider plugin (issue 12): `pulumi package gen-sdk`
 * (the real CLI at the engine's release) writes the Node.js, Python and Go SDKs
 * from the plugin's schema, and each is proven usable by its own toolchain:
 *   - Node.js: `tsc` type-checks the generated package with a program that
 *     declares a ClusterVersion (against the repo's @pulumi/pulumi);
 *   - Python: the generated package, installed with pip (offline), is imported
 *     with the venv's `pulumi` SDK from PyPI, and its input classes build a
 *     ClusterVersion's arguments;
 *   - Go: `go build` of a program declaring a ClusterVersion, against the
 *     generated package (replace directive to the output dir) and sdk/v3.
 * gen-sdk asks each language's host to generate (pkg/cmd/pulumi/packages.GenSDK):
 * the hosts ensure-pulumi builds call upstream's pkg/v3 generators. .NET: no
 * dotnet SDK is installable from Debian's archive, so no C# SDK is built here.
 * Needs the engine and the venv (scripts/test-setup); runs under nsrun.
 */
import * as assert from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PulumiWorkspace, REPO_ROOT } from "../support/pulumi";
import { schemaSource, venvPython } from "../support/plugin-package";

const SDK_RELEASE = (
  JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "package.json"), "utf8")) as {
    devDependencies: Record<string, string>;
  }
).devDependencies["@pulumi/pulumi"].replace(/^[^0-9]*/, "");

const NODE = { name: "n1", sqlAddr: "10.0.0.1:26257", httpAddr: "10.0.0.1:8080", binaryPath: "/usr/local/bin/cockroach" };

function run(cmd: string, args: readonly string[], cwd: string, env: NodeJS.ProcessEnv = process.env): string {
  try {
    return execFileSync(cmd, args, { cwd, env, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: 10 * 60 * 1000 });
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${cmd} ${args.join(" ")} failed in ${cwd}: ${err.message}\n${err.stdout ?? ""}\n${err.stderr ?? ""}`);
  }
}

/** Go on PATH, else where the official tarball puts it (as scripts/ensure-pulumi looks). */
function goBinary(): string {
  for (const d of (process.env.PATH ?? "").split(path.delimiter).concat("/usr/local/go/bin")) {
    if (d && fs.existsSync(path.join(d, "go"))) return path.join(d, "go");
  }
  throw new Error("go is not installed: the generated Go SDK cannot be built (install Go >= 1.25)");
}

describe("generated SDKs: pulumi package gen-sdk from the plugin's schema, then each language's compiler", function () {
  this.timeout(10 * 60 * 1000);
  let ws: PulumiWorkspace;
  let out: string;
  let schema: { language: { go: { importBasePath: string } } };

  const genSdk = async (language: string): Promise<string> => {
    const r = await ws.ok(["package", "gen-sdk", path.join(out, "schema.json"), "--language", language, "--out", out]);
    assert.match(r.stderr + r.stdout, new RegExp(`SDK has been written to .*${language}`));
    return path.join(out, language);
  };

  before(async () => {
    out = fs.mkdtempSync(path.join(os.tmpdir(), "crdb-gen-sdk-"));
    ws = new PulumiWorkspace({ programDir: out });
    // The schema as the engine reads it (from schema.json or from the plugin itself).
    const got = await ws.ok(["package", "get-schema", schemaSource()]);
    fs.writeFileSync(path.join(out, "schema.json"), got.stdout);
    schema = JSON.parse(got.stdout) as typeof schema;
  });

  after(async () => {
    await ws?.dispose();
    if (out) fs.rmSync(out, { recursive: true, force: true });
  });

  it("Node.js: tsc type-checks the generated SDK and a program declaring ClusterVersion", async () => {
    const dir = await genSdk("nodejs");
    fs.symlinkSync(path.join(REPO_ROOT, "node_modules"), path.join(dir, "node_modules"), "dir");
    fs.writeFileSync(
      path.join(dir, "program.ts"),
      [
        'import * as crdb from "./index";',
        'const cluster = new crdb.ClusterVersion("cluster", {',
        '  version: "v23.1.12",',
        `  nodes: [{ ...${JSON.stringify(NODE)}, process: { manager: "cockroach", pidFile: "/var/run/cockroach.pid", startFlags: ["--insecure"] } }],`,
        "  sql: { insecure: true },",
        '  strategy: { canaryBake: "5m", maxUnavailable: 1 },',
        "});",
        "export const finalized = cluster.finalized;",
        "export const nodeStatuses = cluster.nodeStatuses;",
        "",
      ].join("\n"),
    );
    const generated = (
      JSON.parse(fs.readFileSync(path.join(dir, "tsconfig.json"), "utf8").replace(/^\s*\/\/.*$/gm, "")) as {
        files: string[];
      }
    ).files;
    fs.writeFileSync(
      path.join(dir, "tsconfig.check.json"),
      JSON.stringify({ extends: "./tsconfig.json", compilerOptions: { noEmit: true }, files: [...generated, "program.ts"] }),
    );
    run(process.execPath, [path.join(REPO_ROOT, "node_modules", "typescript", "bin", "tsc"), "-p", "tsconfig.check.json"], dir);
  });

  it("Python: the generated package imports with the pulumi SDK from PyPI and builds ClusterVersion's arguments", async () => {
    const dir = await genSdk("python");
    const check = [
      "import importlib.metadata, pulumi, pulumi_crdb_upgrade as crdb",
      "args = crdb.ClusterVersionArgs(version='v23.1.12', nodes=[crdb.NodeArgs(name='n1', sql_addr='10.0.0.1:26257',",
      "    http_addr='10.0.0.1:8080', binary_path='/usr/local/bin/cockroach',",
      "    process=crdb.CockroachProcessArgs(manager='cockroach', pid_file='/var/run/cockroach.pid', start_flags=['--insecure']))],",
      "    sql=crdb.SqlArgs(insecure=True))",
      "assert args.version == 'v23.1.12' and args.nodes[0].sql_addr == '10.0.0.1:26257'",
      "assert isinstance(crdb.ClusterVersion.finalized, property) and isinstance(crdb.ClusterVersion.node_statuses, property)",
      "print(importlib.metadata.version('pulumi'))",
    ].join("\n");
    // Installed as an operator would (pip; the SDK reads its own version from its metadata), offline, into a
    // directory of its own so the shared venv stays as test-setup made it.
    const site = path.join(out, "python-site");
    run(venvPython(), ["-m", "pip", "install", "-q", "--no-index", "--no-deps", "--no-build-isolation", "--target", site, dir], out);
    const printed = run(venvPython(), ["-c", check], out, { ...process.env, PYTHONPATH: site });
    assert.strictEqual(printed.trim(), SDK_RELEASE, "the venv's pulumi SDK is the @pulumi/pulumi release");
  });

  it("Go: go build of a program declaring ClusterVersion against the generated SDK", async () => {
    const dir = await genSdk("go");
    const importPath = schema.language.go.importBasePath; // e.g. example.com/crdb-upgrade/sdk/go/crdbupgrade
    const modulePath = path.posix.dirname(importPath);
    const pkg = path.posix.basename(importPath);
    assert.ok(fs.existsSync(path.join(dir, pkg, "clusterVersion.go")), `gen-sdk wrote ${pkg}/clusterVersion.go`);
    // The generated SDK is a package without go.mod: the operator's module wraps it, as here.
    fs.writeFileSync(
      path.join(dir, "go.mod"),
      `module ${modulePath}\n\ngo 1.25\n\nrequire github.com/pulumi/pulumi/sdk/v3 v${SDK_RELEASE}\n`,
    );
    const prog = path.join(out, "goprog");
    fs.mkdirSync(prog);
    fs.writeFileSync(
      path.join(prog, "go.mod"),
      // pkg/v3 is required only to select the dependency versions the engine's build put in the module
      // cache: the test runs offline (network namespace), so the module cache is the proxy (GOPROXY=off).
      `module crdbprog\n\ngo 1.25\n\nrequire (\n\t${modulePath} v0.0.0\n\tgithub.com/pulumi/pulumi/sdk/v3 v${SDK_RELEASE}\n` +
        `\tgithub.com/pulumi/pulumi/pkg/v3 v${SDK_RELEASE}\n)\n\nreplace ${modulePath} => ${dir}\n`,
    );
    fs.writeFileSync(
      path.join(prog, "main.go"),
      `package main

import (
	crdb "${importPath}"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

func main() {
	pulumi.Run(func(ctx *pulumi.Context) error {
		cluster, err := crdb.NewClusterVersion(ctx, "cluster", &crdb.ClusterVersionArgs{
			Version: pulumi.String("v23.1.12"),
			Nodes: crdb.NodeArray{crdb.NodeArgs{
				Name:       pulumi.String("${NODE.name}"),
				SqlAddr:    pulumi.String("${NODE.sqlAddr}"),
				HttpAddr:   pulumi.String("${NODE.httpAddr}"),
				BinaryPath: pulumi.String("${NODE.binaryPath}"),
				Process: crdb.CockroachProcessArgs{
					Manager:    pulumi.String("cockroach"),
					PidFile:    pulumi.String("/var/run/cockroach.pid"),
					StartFlags: pulumi.StringArray{pulumi.String("--insecure")},
				},
			}},
			Sql: crdb.SqlArgs{Insecure: pulumi.Bool(true)},
		})
		if err != nil {
			return err
		}
		ctx.Export("finalized", cluster.Finalized)
		return nil
	})
}
`,
    );
    const go = goBinary();
    const env = {
      ...process.env,
      PATH: `${path.dirname(go)}${path.delimiter}${process.env.PATH ?? ""}`,
      GOFLAGS: "-mod=mod -buildvcs=false",
      GOTOOLCHAIN: "local",
      GOPROXY: "off",
      GOSUMDB: "off",
    };
    // -s -w: no symbol table or DWARF, so the link (most of this step) is shorter.
    run(go, ["build", "-ldflags=-s -w", "-o", path.join(prog, "crdbprog"), "."], prog, env);
    assert.ok(fs.statSync(path.join(prog, "crdbprog")).size > 0, "go build wrote the program");
  });
});
