/**
 * Process-wide services the request pipeline uses (not config-derived: those
 * live in the snapshot).
 *
 * @module
 */
import type { AuditSink } from "../audit/event.ts";
import type { Logger } from "../observability/log.ts";
import type { GatewayMetrics } from "../observability/metrics.ts";
import type { ConcurrencyGate } from "./limits.ts";
import type { RuntimeSnapshot } from "./snapshot.ts";
import type { PdfExtractor } from "./apis/pdf_text.ts";

/** Request counters reported in `/health` and managed status reports. */
export interface RequestStats {
  total: number;
  blocked: number;
  redacted: number;
  errors: number;
}

/** Services shared by every request of a gateway process. */
export interface GatewayContext {
  readonly gatewayId?: string;
  readonly logger: Logger;
  readonly metrics: GatewayMetrics;
  readonly audit: AuditSink;
  readonly gate: ConcurrencyGate;
  readonly stats: RequestStats;
  /** Extracts PDF text for input policies (absent: PDFs are unreadable, see `coverage.opaque_files`). */
  readonly pdf?: PdfExtractor;
  /** Called once when a request that used `snapshot` has fully ended (body included). */
  onRequestDone(snapshot: RuntimeSnapshot): void;
}
