/**
 * The cluster's shared SQL table store, kept by the fabric so that what one
 * node acknowledged every node reads, across node restarts. Until the SQL
 * engine's TableStore contract is wired, this answers `tables` requests
 * with an error.
 */
import { TableOp } from "./protocol";

export function createTableHandler(_file: string): (op: TableOp) => unknown {
  return (op) => {
    throw new Error(`table store operation ${op.op} is not supported yet`);
  };
}
