/**
 * Entry point of the `kt-control-plane` binary:
 * `kt-control-plane serve [--listen 0.0.0.0:8081] [--database <path|postgres://…>] [--data-dir <d>]`.
 * See docs/control_plane.md.
 *
 * @module
 */
import { runControlPlaneCli } from "./src/cli/control_plane_main.ts";

if (import.meta.main) {
  Deno.exit(await runControlPlaneCli(Deno.args));
}
