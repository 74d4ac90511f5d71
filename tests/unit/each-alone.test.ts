/**
 * A batch's nodes each at their own pace (each-alone.ts): no barrier between
 * phases; after the first failure no node begins another step, and the
 * batch fails only once every step in flight has ended.
 */
import * as assert from "assert";
import { alone } from "../../provider/rollout/each-alone";

const tick = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe("each alone: a batch's nodes through their steps", () => {
  it("a node's next step does not wait for another node's slower step", async () => {
    const log: string[] = [];
    await alone(
      [
        { name: "a", stop: 1 },
        { name: "b", stop: 30 },
      ],
      async (m, step) => {
        await step(async () => {
          await tick(m.stop);
          log.push(`${m.name} stopped`);
        });
        await step(async () => log.push(`${m.name} started`));
      },
    );
    assert.deepStrictEqual(log, ["a stopped", "a started", "b stopped", "b started"]);
  });

  it("after a failure no other node begins a step, the step in flight ends first, and the first error is thrown", async () => {
    const log: string[] = [];
    const run = alone(["a", "b", "c"], async (name, step) => {
      await step(async () => {
        if (name === "a") throw new Error("a: stop failed");
        await tick(name === "b" ? 30 : 1);
        log.push(`${name} stopped`);
      });
      await step(async () => log.push(`${name} started`));
    });
    await assert.rejects(run, /a: stop failed/);
    // b and c finished the stop they were in; neither started after a failed.
    assert.deepStrictEqual(log.sort(), ["b stopped", "c stopped"]);
  });
});
