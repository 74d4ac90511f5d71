/**
 * The nodes of a batch, each through its own steps at its own pace: no node
 * waits for another node's slowest phase (a barrier per phase made a
 * 10-node batch wait for the slowest stop, then the slowest swap, ...).
 * Only for steps every member is already cleared for (roll-batch.ts: after
 * the guard before the stop, which covers the whole batch).
 */

/**
 * Each member's steps, the members concurrently. After the first failure no
 * member begins another step (`step` throws it), and the batch fails only
 * once every step in flight has ended: nothing is left running behind the
 * rollback that follows.
 */
export async function alone<M>(
  members: readonly M[],
  steps: (m: M, step: <T>(fn: () => Promise<T>) => Promise<T>) => Promise<unknown>,
): Promise<void> {
  let failure: { readonly e: unknown } | undefined;
  const step = <T>(fn: () => Promise<T>): Promise<T> => (failure ? Promise.reject(failure.e) : fn());
  await Promise.all(
    members.map((m) =>
      steps(m, step).catch((e: unknown) => {
        failure ??= { e };
      }),
    ),
  );
  if (failure) throw failure.e;
}
