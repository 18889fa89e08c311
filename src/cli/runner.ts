/**
 * Running a commander program as a binary: strict parsing everywhere, and
 * failures mapped to exit codes (0 success, 1 runtime failure, 2 usage or
 * validation error) with one `name: message` line on stderr.
 *
 * @module
 */
import { type Command, CommanderError } from "commander";
import { CliError } from "./errors.ts";

/** Applies exitOverride and strict option parsing to every command of the tree. */
function harden(cmd: Command): void {
  cmd.exitOverride();
  cmd.allowUnknownOption(false);
  cmd.allowExcessArguments(false);
  for (const sub of cmd.commands) harden(sub);
}

const CLEAN_EXITS = new Set(["commander.helpDisplayed", "commander.version", "commander.help"]);

/** Parses `args` with `program` and runs the chosen command; resolves with the exit code. */
export async function runProgram(program: Command, name: string, args: string[]): Promise<number> {
  harden(program);
  try {
    await program.parseAsync(args, { from: "user" });
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) return CLEAN_EXITS.has(err.code) ? 0 : 2;
    if (err instanceof CliError) {
      console.error(`${name}: ${err.message}`);
      return err.exitCode;
    }
    console.error(`${name}: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  }
}
