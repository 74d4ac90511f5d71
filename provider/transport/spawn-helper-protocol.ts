/** The messages between the local transport and its spawn helper process (spawn-helper.ts). Types only. */
import type { ExecResult } from "./transport";

export type HelperRequest =
  | {
      readonly t: "run";
      readonly id: number;
      readonly argv: readonly string[];
      readonly timeoutMs?: number;
      readonly stdin?: string;
      readonly env?: Readonly<Record<string, string>>;
      /** The provider's whole environment, sent only when it changed since the helper was forked. */
      readonly baseEnv?: Readonly<Record<string, string>>;
    }
  | { readonly t: "abort"; readonly id: number };

/** The result, or the TransportError's parts (what, cause) when the command could not be run. */
export type HelperReply =
  | { readonly id: number; readonly result: ExecResult; readonly error?: undefined }
  | { readonly id: number; readonly error: { readonly what: string; readonly cause?: string } };
