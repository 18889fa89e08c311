/**
 * CLI failures with their exit code (SPEC 1: 1 runtime failure, 2 usage or validation).
 *
 * @module
 */

/** A failure the CLI reports as one message and an exit code. */
export class CliError extends Error {
  readonly exitCode: 1 | 2;
  constructor(message: string, exitCode: 1 | 2 = 1) {
    super(message);
    this.name = "CliError";
    this.exitCode = exitCode;
  }
}
