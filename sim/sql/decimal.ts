/**
 * Exact decimal numbers (CockroachDB DECIMAL): a bigint coefficient and a
 * base-10 scale. Enough arithmetic for the queries the simulator runs; the
 * text form keeps the scale, so `'1537554433.373651000'::DECIMAL` prints back
 * unchanged, as CockroachDB does.
 */

/** Digits after the point kept by division, as CockroachDB's 20-digit decimal context. */
const DIVISION_DIGITS = 20;

export class Decimal {
  constructor(
    readonly coef: bigint,
    readonly scale: number,
  ) {}

  static fromBigInt(v: bigint): Decimal {
    return new Decimal(v, 0);
  }

  static fromNumber(n: number): Decimal {
    const parsed = Decimal.parse(String(n));
    if (parsed === undefined) throw new RangeError(`${n} is not a finite number`);
    return parsed;
  }

  /** Parses "12", "-1.50", ".5", "1e3", "1.5E-2"; undefined if not a number. */
  static parse(text: string): Decimal | undefined {
    const m = /^\s*([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?\s*$/.exec(text);
    if (m === null || (m[2] === "" && (m[3] ?? "") === "")) return undefined;
    const [, sign, intPart, fracPart = "", exp = "0"] = m;
    let coef = BigInt((intPart || "0") + fracPart);
    let scale = fracPart.length - Number(exp);
    if (scale < 0) {
      coef *= 10n ** BigInt(-scale);
      scale = 0;
    }
    return new Decimal(sign === "-" ? -coef : coef, scale);
  }

  private rescale(scale: number): bigint {
    return this.coef * 10n ** BigInt(scale - this.scale);
  }

  add(o: Decimal): Decimal {
    const s = Math.max(this.scale, o.scale);
    return new Decimal(this.rescale(s) + o.rescale(s), s);
  }

  sub(o: Decimal): Decimal {
    return this.add(o.neg());
  }

  mul(o: Decimal): Decimal {
    return new Decimal(this.coef * o.coef, this.scale + o.scale);
  }

  /** Quotient with up to 20 fractional digits, trailing zeros trimmed (1/2 = 0.5, 10/2 = 5). */
  div(o: Decimal): Decimal {
    if (o.coef === 0n) throw new RangeError("division by zero");
    const s = Math.max(this.scale, o.scale);
    const num = this.rescale(s + DIVISION_DIGITS);
    const q = roundDiv(num, o.rescale(s));
    return new Decimal(q, DIVISION_DIGITS).trimmed(Math.max(0, this.scale - o.scale));
  }

  /** Remainder with the sign of the dividend. */
  mod(o: Decimal): Decimal {
    if (o.coef === 0n) throw new RangeError("division by zero");
    const s = Math.max(this.scale, o.scale);
    return new Decimal(this.rescale(s) % o.rescale(s), s);
  }

  neg(): Decimal {
    return new Decimal(-this.coef, this.scale);
  }

  abs(): Decimal {
    return this.coef < 0n ? this.neg() : this;
  }

  cmp(o: Decimal): number {
    const s = Math.max(this.scale, o.scale);
    const a = this.rescale(s);
    const b = o.rescale(s);
    return a < b ? -1 : a > b ? 1 : 0;
  }

  /** Rounds half away from zero to `digits` fractional digits. */
  round(digits: number): Decimal {
    if (digits >= this.scale) return this;
    return new Decimal(roundDiv(this.coef, 10n ** BigInt(this.scale - digits)), digits);
  }

  /** Integer value, rounded half away from zero (CockroachDB's DECIMAL -> INT cast). */
  toBigInt(): bigint {
    return this.round(0).coef;
  }

  toNumber(): number {
    return Number(this.toString());
  }

  /** Drops trailing fractional zeros but keeps at least `minScale` digits. */
  trimmed(minScale = 0): Decimal {
    let { coef, scale } = this;
    while (scale > minScale && coef % 10n === 0n) {
      coef /= 10n;
      scale--;
    }
    return new Decimal(coef, scale);
  }

  toString(): string {
    const negative = this.coef < 0n;
    const digits = (negative ? -this.coef : this.coef).toString();
    if (this.scale === 0) return (negative ? "-" : "") + digits;
    const padded = digits.padStart(this.scale + 1, "0");
    const cut = padded.length - this.scale;
    return (negative ? "-" : "") + padded.slice(0, cut) + "." + padded.slice(cut);
  }
}

/** Integer division rounding half away from zero. */
function roundDiv(num: bigint, den: bigint): bigint {
  const negative = num < 0n !== den < 0n;
  const n = num < 0n ? -num : num;
  const d = den < 0n ? -den : den;
  const q = (n * 2n + d) / (2n * d);
  return negative ? -q : q;
}
