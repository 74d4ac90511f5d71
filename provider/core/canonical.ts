/**
 * A stable rendering for comparison: object keys sorted, undefined members dropped.
 * Built by appending to one string (diff renders every node of a 500-node spec twice per call).
 */
export function canonical(v: unknown): string {
  if (v === undefined) return "undefined";
  let out = "";
  const put = (x: unknown): void => {
    if (Array.isArray(x)) {
      out += "[";
      for (let i = 0; i < x.length; i++) {
        if (i > 0) out += ",";
        if (x[i] === undefined) out += "undefined";
        else put(x[i]);
      }
      out += "]";
    } else if (typeof x === "object" && x !== null) {
      const o = x as Record<string, unknown>;
      const keys = Object.keys(o)
        .filter((k) => o[k] !== undefined)
        .sort();
      out += "{";
      keys.forEach((k, i) => {
        out += `${i > 0 ? "," : ""}${JSON.stringify(k)}:`;
        put(o[k]);
      });
      out += "}";
    } else out += JSON.stringify(x);
  };
  put(v);
  return out;
}

/**
 * canonical(a) === canonical(b), without building the strings: comparing two
 * long concatenated strings flattens both, which made a 500-node diff slow.
 */
export function sameCanonical(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((x, i) => sameCanonical(x, b[i]));
  }
  if (typeof a === "object" && a !== null && typeof b === "object" && b !== null) {
    const x = a as Record<string, unknown>;
    const y = b as Record<string, unknown>;
    const kx = Object.keys(x).filter((k) => x[k] !== undefined);
    const ky = Object.keys(y).filter((k) => y[k] !== undefined);
    return kx.length === ky.length && kx.every((k) => y[k] !== undefined && sameCanonical(x[k], y[k]));
  }
  if (a === undefined || b === undefined) return false;
  return JSON.stringify(a) === JSON.stringify(b);
}
