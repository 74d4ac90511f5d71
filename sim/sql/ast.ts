/** Syntax tree produced by the parser and consumed by the planner/executor. */
import { SqlType } from "../pgwire/types";

export type Expr =
  | { readonly kind: "literal"; readonly value: null | boolean | string | number | bigint; readonly type: SqlType; readonly text?: string }
  | { readonly kind: "param"; readonly index: number }
  | { readonly kind: "column"; readonly parts: readonly string[] }
  | { readonly kind: "star"; readonly table?: string }
  | { readonly kind: "unary"; readonly op: "-" | "+" | "not"; readonly arg: Expr }
  | { readonly kind: "binary"; readonly op: string; readonly left: Expr; readonly right: Expr }
  | { readonly kind: "isnull"; readonly arg: Expr; readonly not: boolean }
  | { readonly kind: "isbool"; readonly arg: Expr; readonly value: boolean; readonly not: boolean }
  | { readonly kind: "in"; readonly arg: Expr; readonly list: readonly Expr[] | SelectStmt; readonly not: boolean }
  | { readonly kind: "between"; readonly arg: Expr; readonly low: Expr; readonly high: Expr; readonly not: boolean }
  | { readonly kind: "like"; readonly arg: Expr; readonly pattern: Expr; readonly not: boolean; readonly caseInsensitive: boolean }
  | {
      readonly kind: "case";
      readonly operand?: Expr;
      readonly whens: readonly { readonly when: Expr; readonly then: Expr }[];
      readonly else?: Expr;
    }
  | { readonly kind: "cast"; readonly arg: Expr; readonly type: SqlType }
  | { readonly kind: "func"; readonly name: string; readonly args: readonly Expr[]; readonly star: boolean; readonly distinct: boolean }
  | { readonly kind: "subquery"; readonly select: SelectStmt }
  /** ARRAY[a, b, ...] */
  | { readonly kind: "array"; readonly elements: readonly Expr[] }
  /** arr[i], 1-based */
  | { readonly kind: "subscript"; readonly arg: Expr; readonly index: Expr }
  /** left <op> ANY|ALL (array or subquery) */
  | {
      readonly kind: "quantified";
      readonly op: string;
      readonly quantifier: "any" | "all";
      readonly left: Expr;
      readonly right: Expr | SelectStmt;
    }
  | { readonly kind: "exists"; readonly select: SelectStmt; readonly not: boolean };

export interface SelectItem {
  readonly expr: Expr;
  readonly alias?: string;
}

export interface OrderItem {
  readonly expr: Expr;
  readonly desc: boolean;
  /** undefined = CockroachDB default (NULLs first ascending, last descending). */
  readonly nullsFirst?: boolean;
}

export type FromItem =
  | { readonly kind: "table"; readonly name: readonly string[]; readonly alias?: string }
  | { readonly kind: "subquery"; readonly select: SelectStmt; readonly alias?: string }
  | {
      readonly kind: "join";
      readonly type: "inner" | "left" | "right" | "full" | "cross";
      readonly left: FromItem;
      readonly right: FromItem;
      readonly using?: readonly string[];
      readonly on?: Expr;
    };

export interface SelectCore {
  readonly kind: "select";
  readonly distinct: boolean;
  readonly items: readonly SelectItem[];
  readonly from?: FromItem;
  readonly where?: Expr;
  readonly groupBy: readonly Expr[];
  readonly having?: Expr;
}

export interface SelectStmt {
  readonly kind: "select";
  readonly core: SelectCore;
  /** UNION [ALL] chain, applied left to right. */
  readonly unions: readonly { readonly all: boolean; readonly core: SelectCore }[];
  readonly orderBy: readonly OrderItem[];
  readonly limit?: Expr;
  readonly offset?: Expr;
}

export interface ColumnDef {
  readonly name: string;
  readonly type: SqlType;
  readonly notNull: boolean;
  readonly primaryKey: boolean;
  readonly default?: Expr;
  /** Source text of the DEFAULT expression, kept for the stored schema. */
  readonly defaultSql?: string;
}

export interface Assignment {
  readonly column: string;
  readonly expr: Expr;
}

export interface OnConflict {
  readonly columns: readonly string[];
  /** Empty = DO NOTHING. */
  readonly updates: readonly Assignment[];
  readonly where?: Expr;
}

export type Statement =
  | SelectStmt
  | {
      readonly kind: "insert";
      readonly table: readonly string[];
      readonly columns?: readonly string[];
      readonly rows?: readonly (readonly (Expr | "default")[])[];
      readonly select?: SelectStmt;
      readonly onConflict?: OnConflict;
      readonly upsert: boolean;
      readonly returning?: readonly SelectItem[];
    }
  | {
      readonly kind: "update";
      readonly table: readonly string[];
      readonly alias?: string;
      readonly sets: readonly Assignment[];
      readonly where?: Expr;
      readonly returning?: readonly SelectItem[];
    }
  | {
      readonly kind: "delete";
      readonly table: readonly string[];
      readonly alias?: string;
      readonly where?: Expr;
      readonly returning?: readonly SelectItem[];
    }
  | {
      readonly kind: "create-table";
      readonly name: readonly string[];
      readonly ifNotExists: boolean;
      readonly columns: readonly ColumnDef[];
      readonly primaryKey: readonly string[];
    }
  | { readonly kind: "create-database"; readonly name: string; readonly ifNotExists: boolean }
  | { readonly kind: "drop-table"; readonly names: readonly (readonly string[])[]; readonly ifExists: boolean }
  | { readonly kind: "drop-database"; readonly name: string; readonly ifExists: boolean }
  | { readonly kind: "show-cluster-setting"; readonly name: string }
  | { readonly kind: "show-cluster-settings" }
  | { readonly kind: "set-cluster-setting"; readonly name: string; /** null = RESET / DEFAULT */ readonly value: Expr | null }
  | { readonly kind: "set-var"; readonly name: string; readonly values: readonly Expr[] }
  | { readonly kind: "reset-var"; readonly name: string }
  | { readonly kind: "show-var"; readonly name: string }
  | { readonly kind: "show-databases" }
  | { readonly kind: "show-tables"; readonly database?: string }
  | { readonly kind: "use"; readonly database: string }
  | { readonly kind: "backup"; readonly text: string }
  /** `password`: undefined = no PASSWORD option, null = PASSWORD NULL. */
  | { readonly kind: "create-role"; readonly name: string; readonly ifNotExists: boolean; readonly password?: Expr | null }
  | { readonly kind: "alter-role"; readonly name: string; readonly ifExists: boolean; readonly password?: Expr | null }
  | { readonly kind: "drop-role"; readonly names: readonly string[]; readonly ifExists: boolean }
  | { readonly kind: "show-users" }
  | { readonly kind: "transaction"; readonly command: "BEGIN" | "COMMIT" | "ROLLBACK" | "SAVEPOINT" | "RELEASE" };
