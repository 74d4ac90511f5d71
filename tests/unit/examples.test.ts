/**
 * The example programs users copy stay valid: the GitHub Actions workflow
 * parses and has the preview-on-PR / up-on-merge shape the README promises.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";

const EXAMPLES = path.resolve(__dirname, "..", "..", "..", "examples");

interface Step {
  readonly uses?: string;
  readonly run?: string;
  readonly with?: Record<string, unknown>;
}
interface Workflow {
  readonly on: Record<string, unknown>;
  readonly jobs: Record<string, { readonly if?: string; readonly steps: Step[] }>;
}

describe("examples/github-actions", () => {
  const file = path.join(EXAMPLES, "github-actions", ".github", "workflows", "crdb-version.yml");
  const workflow = parse(fs.readFileSync(file, "utf8"), { strict: true, uniqueKeys: true }) as Workflow;

  const pulumiStep = (job: string): Step => {
    const step = workflow.jobs[job].steps.find((s) => s.uses?.startsWith("pulumi/actions@"));
    assert.ok(step, `job ${job} has a pulumi/actions step`);
    return step;
  };

  it("parses as YAML with unique keys", () => {
    assert.ok(workflow.jobs);
  });

  it("runs on pull requests and on pushes to main", () => {
    assert.ok("pull_request" in workflow.on);
    assert.deepStrictEqual((workflow.on.push as { branches: string[] }).branches, ["main"]);
  });

  it("previews with --diff, keeping stderr (the plan lines), and posts the result to the pull request", () => {
    const steps = workflow.jobs.preview.steps;
    const preview = steps.find((s) => s.run?.includes("pulumi preview"));
    assert.ok(preview?.run, "a pulumi preview step");
    assert.match(preview.run, /pulumi preview --diff/);
    assert.match(preview.run, /2>&1 \| tee "\$RUNNER_TEMP\/preview\.txt"/);
    assert.match(preview.run, /set -o pipefail/);
    const comment = steps.find((s) => s.uses?.startsWith("marocchino/sticky-pull-request-comment@"));
    assert.strictEqual(comment?.with?.path, "${{ runner.temp }}/preview.txt");
    assert.match(workflow.jobs.preview.if ?? "", /pull_request/);
  });

  it("applies with pulumi up only on main", () => {
    const step = pulumiStep("apply");
    assert.strictEqual(step.with?.command, "up");
    assert.match(workflow.jobs.apply.if ?? "", /refs\/heads\/main/);
  });

  it("installs dependencies before running pulumi in every job", () => {
    for (const job of Object.keys(workflow.jobs)) {
      const steps = workflow.jobs[job].steps;
      const install = steps.findIndex((s) => s.run === "npm ci");
      const run = steps.findIndex((s) => s.uses?.startsWith("pulumi/actions@") || s.run?.includes("pulumi "));
      assert.ok(install >= 0 && install < run, `${job}: npm ci before pulumi`);
    }
  });
});

describe("examples/* programs", function () {
  this.timeout(120_000);
  it("type-check against this package's SDK (tsconfig.examples.json)", () => {
    const root = path.resolve(EXAMPLES, "..");
    const tsc = require.resolve("typescript/bin/tsc");
    const r = require("child_process").spawnSync(process.execPath, [tsc, "-p", path.join(root, "tsconfig.examples.json")], {
      encoding: "utf8",
    }) as { status: number; stdout: string; stderr: string };
    assert.strictEqual(r.status, 0, `tsc reported:\n${r.stdout}${r.stderr}`);
  });
});
