/**
 * CockroachDB releases Cockroach Labs withdrew ("This patch release has been
 * withdrawn ... Do not upgrade to this release"): never a target. Data kept
 * beside the version rules; the source is `withdrawn: true` in
 * cockroachdb/docs `src/current/_data/releases.yml` (read for every release
 * from April 2023 to July 2025; older withdrawn releases are below the
 * oldest series the provider supports). Add a row when a release is withdrawn.
 */

export interface WithdrawnRelease {
  readonly tag: string;
  /** Why, in a few words, and where to read more. */
  readonly reason: string;
}

const DOCS = "https://www.cockroachlabs.com/docs/releases";

export const WITHDRAWN_RELEASES: readonly WithdrawnRelease[] = [
  { tag: "v22.1.19", reason: `withdrawn by Cockroach Labs (release notes: ${DOCS}/v22.1#v22-1-19)` },
  { tag: "v22.2.8", reason: `withdrawn by Cockroach Labs (release notes: ${DOCS}/v22.2#v22-2-8)` },
  { tag: "v23.1.0", reason: `withdrawn by Cockroach Labs; v23.1.1 replaced it (release notes: ${DOCS}/v23.1#v23-1-0)` },
  { tag: "v24.2.1", reason: `withdrawn by Cockroach Labs (release notes: ${DOCS}/v24.2#v24-2-1)` },
];

/** The withdrawal of `tag` (exact release tag, e.g. "v24.2.1"), if any. */
export function withdrawnRelease(tag: string): WithdrawnRelease | undefined {
  const t = tag.trim();
  return WITHDRAWN_RELEASES.find((w) => w.tag === t);
}
