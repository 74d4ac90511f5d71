import type { Spec } from "../core/types";

/** The run's overall deadline: strategy.overallDeadline, or a caller's shorter bound (the plugin's customTimeouts). */
export function boundedBy(spec: Spec, timeoutMs: number | undefined): Spec {
  if (timeoutMs === undefined || !(timeoutMs > 0) || timeoutMs >= spec.strategy.overallDeadlineMs) return spec;
  return { ...spec, strategy: { ...spec.strategy, overallDeadlineMs: timeoutMs } };
}
