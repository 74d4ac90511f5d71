/**
 * CockroachDB licence keys for tests, encoded as licenseccl does (the
 * simulator's encoder): no key is real, and none grants anything outside the
 * simulator.
 */
import { encodeLicense, type LicenseType } from "../../sim/fabric/license";

const DAY_S = 24 * 3600;

export function licenseKey(type: LicenseType, validForS = 365 * DAY_S): string {
  return encodeLicense({
    validUntilUnixSec: Math.floor(Date.now() / 1000) + validForS,
    type,
    organizationName: "crdb-upgrade tests",
    usage: 3,
  });
}
