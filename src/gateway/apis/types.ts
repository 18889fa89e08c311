/**
 * What each client API module provides: its request and answer field trees (walk.ts), usage, the
 * fields that bound the answer's length, what output it cannot govern, and its stream dialect
 * (sse_guard.ts).
 *
 * @module
 */
import type { ApiKind } from "../../providers/types.ts";
import type { Usage } from "./common.ts";
import type { Node, Obj } from "./walk.ts";
import type { StreamDialect } from "../sse_guard.ts";

/** One client API (`/v1/chat/completions`, `/v1/messages`, …). */
export interface ClientApi {
  readonly api: ApiKind;
  /** The request body's field tree. */
  readonly request: Node;
  /** A complete answer's field tree (walked in output mode: unknown fields are scanned). */
  readonly answer: Node;
  /** Token usage of a complete answer. */
  usage(body: Obj): Usage;
  /** Request fields that cap the answer's tokens, first present wins. */
  readonly maxTokensFields: readonly string[];
  /**
   * The path of a request field that asks for output no text policy can read (per-token log
   * probabilities, spoken audio), or undefined. Refused while an output policy reads text.
   */
  ungovernedOutput(body: Obj): string | undefined;
  /** How the API streams (undefined: it does not). */
  readonly stream?: StreamDialect;
}
