/**
 * `kt healthcheck`: exits 0 when the local gateway answers /readyz (for images
 * without a shell or curl).
 *
 * @module
 */
import { Command } from "commander";
import { CliError } from "../errors.ts";
import { localUrl } from "./gateway_run.ts";

/** `kt healthcheck [--url]`. */
export function healthcheckCommand(): Command {
  return new Command("healthcheck")
    .description("exit 0 when the local gateway is ready (GET /readyz), 1 otherwise")
    .option(
      "--url <url>",
      "readiness URL (default http://127.0.0.1:<port of KEEPTRUSTS_LISTEN or 41002>/readyz)",
    )
    .option("--timeout <seconds>", "give up after this many seconds", "3")
    .action(async (flags: { url?: string; timeout: string }) => {
      const url = flags.url ?? `${localUrl()}/readyz`;
      const signal = AbortSignal.timeout(Math.max(0.1, Number(flags.timeout) || 3) * 1000);
      let res: Response;
      try {
        res = await fetch(url, { signal });
      } catch (err) {
        throw new CliError(
          `not ready: ${url} did not answer (${err instanceof Error ? err.message : err})`,
          1,
        );
      }
      const body = await res.text();
      if (res.status !== 200) {
        throw new CliError(`not ready: ${url} answered ${res.status} ${body.slice(0, 200)}`, 1);
      }
      console.log(`ready: ${body.slice(0, 200)}`);
    });
}
