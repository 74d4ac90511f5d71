/**
 * Small pieces every node command shares: the shell function that tells a
 * live process from a gone one, the reading of `cockroach version` output,
 * and the trimming of command output for error messages. Pure: no I/O.
 */

/**
 * Shell function: is the pid a live process? An exited process that its
 * parent has not reaped yet (a zombie, state Z in /proc) answers `kill -0`
 * too, but is gone for our purposes: ports closed, store unlocked.
 * Builtins only (`kill`, `read`, parameter expansion; the state is the first
 * word after the last ") " of /proc/<pid>/stat): the stop's wait calls it
 * every 100 ms, and a `$(sed | cut)` there cost three processes a call.
 */
export const ALIVE_FN = `alive() { kill -0 "$1" 2>/dev/null || return 1; [ -r /proc/$1/stat ] || return 0; _alive_s=; { read -r _alive_s < /proc/$1/stat; } 2>/dev/null; case "\${_alive_s##*") "}" in Z*) return 1 ;; esac; return 0; }`;

/** `v23.1.12` from `--build-tag` output, or from the `Build Tag:` line of `cockroach version`. */
export function parseBuildTag(out: string): string | undefined {
  const line = out.split("\n").find((l) => /^\s*Build Tag:/i.test(l));
  const tag = line ? line.replace(/^\s*Build Tag:\s*/i, "") : out.trim().split("\n")[0];
  const t = tag?.trim();
  return t ? t : undefined;
}

/** Command output for an error: the last lines, trimmed. */
export function trimOut(s: string, maxLines = 12): string {
  const lines = s.trim().split("\n");
  return lines.slice(-maxLines).join("\n");
}
