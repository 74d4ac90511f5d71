/**
 * Signals, as CockroachDB's `start` handles them (reference §4, CR
 * `pkg/cli/start.go`): the first SIGTERM or SIGINT drains gracefully and
 * exits (0 for SIGTERM, 1 for SIGINT); a further SIGTERM is ignored; any
 * other signal during shutdown stops hard. A signal before the node has
 * started stops hard at once.
 */
import type { NodeRuntime } from "./runtime";

const SIGNAL_NAMES: Readonly<Record<string, string>> = { SIGTERM: "terminated", SIGINT: "interrupt", SIGQUIT: "quit" };

export function installSignalHandlers(rt: NodeRuntime): void {
  let shuttingDown = false;
  const onSignal = (sig: NodeJS.Signals): void => {
    const name = SIGNAL_NAMES[sig] ?? sig;
    if (shuttingDown) {
      if (sig === "SIGTERM") {
        rt.announce(`received additional signal '${name}'; continuing graceful shutdown`);
        return;
      }
      rt.announce(
        `received signal '${name}' during shutdown, initiating hard shutdown - node may take longer to restart & clients may need to wait for leases to expire`,
      );
      rt.onExit(1);
      return;
    }
    shuttingDown = true;
    if (!rt.started) {
      rt.announce("too early to drain; used hard shutdown instead");
      rt.onExit(1);
      return;
    }
    rt.announce("initiating graceful shutdown of server");
    rt.shutdown().then(
      () => {
        rt.announce("server drained and shutdown completed");
        rt.onExit(sig === "SIGTERM" ? 0 : 1);
      },
      (e: Error) => {
        rt.log.error("1@cli/start.go:900", `graceful shutdown failed: ${e.message}`);
        rt.onExit(1);
      },
    );
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
  process.on("SIGQUIT", onSignal);
  // CockroachDB ignores SIGHUP (it only rotates logs).
  process.on("SIGHUP", () => undefined);
}
