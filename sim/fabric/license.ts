/**
 * CockroachDB's licence key, as `enterprise.license` holds it: the prefix
 * `crl-0-` and the base64 (standard alphabet, no padding) of a `License`
 * protobuf (CR `pkg/ccl/utilccl/licenseccl/license.go` Encode/Decode,
 * `license.proto`):
 *
 *   int64 valid_until_unix_sec = 2;
 *   enum Type { NonCommercial = 0; Enterprise = 1; Evaluation = 2; Free = 3; Trial = 4; }
 *   Type type = 3;
 *   string organization_name = 4;
 *   enum Usage { Unspecified = 0; Production = 1; PreProduction = 2; Development = 3; }
 *   Usage usage = 5;
 *
 * The simulator decodes what CockroachDB decodes (no signature exists in the
 * format) and encodes keys for tests.
 */

export const LICENSE_PREFIX = "crl-0-";

export const LICENSE_TYPES = ["NonCommercial", "Enterprise", "Evaluation", "Free", "Trial"] as const;
export type LicenseType = (typeof LICENSE_TYPES)[number];

export interface License {
  readonly validUntilUnixSec: number;
  readonly type: LicenseType;
  readonly organizationName: string;
  readonly usage: number;
}

/** CockroachDB's wording when a SET of enterprise.license does not decode. */
export class InvalidLicense extends Error {
  constructor(detail?: string) {
    super(detail ? `invalid license string: ${detail}` : "invalid license string");
  }
}

/** Decodes a key; undefined for the empty string (no licence). */
export function decodeLicense(key: string): License | undefined {
  if (key === "") return undefined;
  if (!key.startsWith(LICENSE_PREFIX)) throw new InvalidLicense();
  const body = key.slice(LICENSE_PREFIX.length);
  if (!/^[A-Za-z0-9+/]*$/.test(body)) throw new InvalidLicense("illegal base64 data");
  const fields = readFields(Buffer.from(body, "base64"));
  const typeIndex = Number(fields.get(3) ?? 0n);
  const type = LICENSE_TYPES[typeIndex];
  if (type === undefined) throw new InvalidLicense(`unknown license type ${typeIndex}`);
  const org = fields.get(4);
  return {
    validUntilUnixSec: Number(fields.get(2) ?? 0n),
    type,
    organizationName: org instanceof Buffer ? org.toString("utf8") : "",
    usage: Number(fields.get(5) ?? 0n),
  };
}

/** Encodes a key the way licenseccl.(*License).Encode does (field order 2..5, zero values omitted). */
export function encodeLicense(l: License): string {
  const out: number[] = [];
  const varintField = (field: number, v: bigint): void => {
    if (v === 0n) return;
    out.push((field << 3) | 0, ...varint(v));
  };
  varintField(2, BigInt(l.validUntilUnixSec));
  varintField(3, BigInt(LICENSE_TYPES.indexOf(l.type)));
  if (l.organizationName !== "") {
    const bytes = Buffer.from(l.organizationName, "utf8");
    out.push((4 << 3) | 2, ...varint(BigInt(bytes.length)), ...bytes);
  }
  varintField(5, BigInt(l.usage));
  return LICENSE_PREFIX + Buffer.from(out).toString("base64").replace(/=+$/, "");
}

/** Whether the licence type obliges the cluster to send telemetry (CR license.Enforcer RefreshForLicenseChange). */
export function requiresTelemetry(type: LicenseType): boolean {
  return type === "Free" || type === "Trial";
}

function varint(v: bigint): number[] {
  // int64 fields encode negative values as 10-byte two's complement.
  let x = v < 0n ? (1n << 64n) + v : v;
  const bytes: number[] = [];
  do {
    let b = Number(x & 0x7fn);
    x >>= 7n;
    if (x !== 0n) b |= 0x80;
    bytes.push(b);
  } while (x !== 0n);
  return bytes;
}

/** Field number -> varint value or length-delimited bytes; unknown wire types fail like protoutil.Unmarshal. */
function readFields(buf: Buffer): Map<number, bigint | Buffer> {
  const fields = new Map<number, bigint | Buffer>();
  let pos = 0;
  const readVarint = (): bigint => {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (pos >= buf.length) throw new InvalidLicense("unexpected EOF");
      const b = buf[pos++];
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result;
      shift += 7n;
      if (shift > 63n) throw new InvalidLicense("integer overflow");
    }
  };
  while (pos < buf.length) {
    const tag = Number(readVarint());
    const field = tag >> 3;
    const wire = tag & 7;
    if (wire === 0) fields.set(field, BigInt.asIntN(64, readVarint()));
    else if (wire === 2) {
      const len = Number(readVarint());
      if (pos + len > buf.length) throw new InvalidLicense("unexpected EOF");
      fields.set(field, buf.subarray(pos, pos + len));
      pos += len;
    } else throw new InvalidLicense(`illegal wireType ${wire}`);
  }
  return fields;
}
