/**
 * What the provider reads from CockroachDB's licence key (the value of
 * `SHOW CLUSTER SETTING enterprise.license`): its type and expiry. The key is
 * `crl-0-` + base64 (standard alphabet, unpadded) of the `License` protobuf
 * (CR `pkg/ccl/utilccl/licenseccl/license.go` Decode, `license.proto`:
 * field 2 `valid_until_unix_sec` int64, field 3 `type` enum NonCommercial=0,
 * Enterprise=1, Evaluation=2, Free=3, Trial=4). The key itself is a secret
 * of the operator's: nothing here returns or logs it.
 */

export type LicenseType = "NonCommercial" | "Enterprise" | "Evaluation" | "Free" | "Trial";

const TYPES: readonly LicenseType[] = ["NonCommercial", "Enterprise", "Evaluation", "Free", "Trial"];
const PREFIX = "crl-0-";

export interface LicenseFacts {
  readonly type: LicenseType;
  /** Unix ms; 0 when the key carries none. */
  readonly validUntilMs: number;
}

export type LicenseReading = { readonly kind: "none" } | { readonly kind: "invalid" } | ({ readonly kind: "license" } & LicenseFacts);

/** Reads a key; never throws and never echoes it. */
export function readLicenseKey(key: string): LicenseReading {
  const text = key.trim();
  if (text === "") return { kind: "none" };
  if (!text.startsWith(PREFIX)) return { kind: "invalid" };
  const body = text.slice(PREFIX.length);
  if (!/^[A-Za-z0-9+/]*$/.test(body)) return { kind: "invalid" };
  const fields = protobufVarints(Buffer.from(body, "base64"));
  if (fields === undefined) return { kind: "invalid" };
  const type = TYPES[Number(fields.get(3) ?? 0n)];
  if (type === undefined) return { kind: "invalid" };
  return { kind: "license", type, validUntilMs: Number(fields.get(2) ?? 0n) * 1000 };
}

/** Free and Trial licences oblige the cluster to send telemetry (CR license.Enforcer RefreshForLicenseChange). */
export function licenseRequiresTelemetry(type: LicenseType): boolean {
  return type === "Free" || type === "Trial";
}

/** The varint fields of a protobuf message (length-delimited ones skipped); undefined when malformed. */
function protobufVarints(buf: Buffer): Map<number, bigint> | undefined {
  const out = new Map<number, bigint>();
  let pos = 0;
  const varint = (): bigint | undefined => {
    let result = 0n;
    for (let shift = 0n; shift <= 63n; shift += 7n) {
      if (pos >= buf.length) return undefined;
      const b = buf[pos++];
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result;
    }
    return undefined;
  };
  while (pos < buf.length) {
    const tag = varint();
    if (tag === undefined) return undefined;
    const wire = Number(tag & 7n);
    if (wire === 0) {
      const v = varint();
      if (v === undefined) return undefined;
      out.set(Number(tag >> 3n), BigInt.asIntN(64, v));
    } else if (wire === 2) {
      const len = varint();
      if (len === undefined || pos + Number(len) > buf.length) return undefined;
      pos += Number(len);
    } else return undefined;
  }
  return out;
}
