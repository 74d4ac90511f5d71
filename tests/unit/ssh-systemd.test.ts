/**
 * The systemd process manager's exact command lines, the reading of
 * `systemctl is-active`, and a unit file whose stop timeout covers a drain.
 * systemd itself cannot run here (no systemd as PID 1), so these are the
 * parts that can be checked: what the provider would send and how it reads
 * the answers.
 */
import * as assert from "assert";
import { minTimeoutStopSec, processStateFromIsActive, renderSystemdUnit, systemctlArgv } from "../../provider/node/process-manager";
import { shellJoin } from "../../provider/transport/transport";

describe("provider/process-systemd", () => {
  it("builds the exact systemctl command lines, behind sudo -n when asked", () => {
    const lines = (["stop", "start", "is-active"] as const).flatMap((verb) =>
      [false, true].map((sudo) => shellJoin(systemctlArgv(verb, "cockroach.service", sudo))),
    );
    assert.deepStrictEqual(lines, [
      "systemctl stop cockroach.service",
      "sudo -n systemctl stop cockroach.service",
      "systemctl start cockroach.service",
      "sudo -n systemctl start cockroach.service",
      "systemctl is-active cockroach.service",
      "sudo -n systemctl is-active cockroach.service",
    ]);
  });

  it("keeps template unit names intact as one argument", () => {
    assert.deepStrictEqual(systemctlArgv("stop", "cockroach@n1.service", false), ["systemctl", "stop", "cockroach@n1.service"]);
    assert.strictEqual(shellJoin(systemctlArgv("stop", "cockroach@n1.service", false)), "systemctl stop cockroach@n1.service");
  });

  const states: [string, string][] = [
    ["active\n", "running"],
    ["activating\n", "running"],
    ["reloading\n", "running"],
    ["deactivating\n", "draining"],
    ["inactive\n", "stopped"],
    ["failed\n", "stopped"],
    ["", "unknown"],
    ["sudo: a password is required\n", "unknown"],
  ];
  for (const [out, state] of states) {
    it(`reads is-active ${JSON.stringify(out.trim())} as ${state}`, () => {
      assert.strictEqual(processStateFromIsActive(out), state);
    });
  }

  it("never lets systemd's stop timeout cut a drain short: at least the drain deadline, never below 300 s", () => {
    assert.strictEqual(minTimeoutStopSec(10 * 60_000), 600);
    assert.strictEqual(minTimeoutStopSec(60_000), 300);
    assert.strictEqual(minTimeoutStopSec(900_500), 901);
  });

  it("renders a unit that runs cockroach in the foreground and gives a SIGTERM drain the whole deadline", () => {
    const unit = renderSystemdUnit({
      binaryPath: "/usr/local/bin/cockroach",
      startFlags: ["--certs-dir=/var/lib/cockroach/certs", "--join=10.0.0.1,10.0.0.2"],
      drainDeadlineMs: 15 * 60_000,
    });
    assert.match(
      unit,
      /^ExecStart=\/usr\/local\/bin\/cockroach start --certs-dir=\/var\/lib\/cockroach\/certs --join=10\.0\.0\.1,10\.0\.0\.2$/m,
    );
    assert.match(unit, /^TimeoutStopSec=900$/m);
    assert.match(unit, /^KillSignal=SIGTERM$/m);
    assert.match(unit, /^Type=notify$/m);
    assert.match(unit, /^User=cockroach$/m);
    assert.doesNotMatch(unit, /--background/);
  });
});
