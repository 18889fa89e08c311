/**
 * The `kt` command line: builds the commander program and maps failures to
 * exit codes (0 success, 1 runtime failure, 2 usage or validation error).
 *
 * @module
 */
import { Command } from "commander";
import { KT_VERSION } from "../version.ts";
import { runProgram } from "./runner.ts";
import { gatewayReloadCommand, gatewayRunCommand } from "./commands/gateway_run.ts";
import { healthcheckCommand } from "./commands/healthcheck.ts";
import { configSchemaCommand } from "./commands/config_schema.ts";
import { configKeygenCommand, configSignCommand } from "./commands/config_sign.ts";
import { serviceCommand } from "./commands/service.ts";
import { policyCommand } from "./commands/policy.ts";
import { initCommand } from "./commands/init.ts";
import { runCommand } from "./commands/run_managed.ts";
import { configPushCommand, eventsCommand, gatewayAdminCommands } from "./commands/control_plane_client.ts";

/** Builds the `kt` program. */
export function buildProgram(): Command {
  const program = new Command("kt")
    .description("kt: a governance gateway for LLM traffic")
    .version(KT_VERSION, "-V, --version", "print the kt version")
    .enablePositionalOptions()
    .showHelpAfterError("(add --help for usage)")
    .configureHelp({ sortSubcommands: true });

  const gateway = new Command("gateway").description("run and manage gateways");
  gateway.addCommand(gatewayRunCommand());
  gateway.addCommand(gatewayReloadCommand());
  gatewayAdminCommands(gateway);
  program.addCommand(gateway);

  const config = new Command("config").description("config documents: schema, signing, publishing");
  config.addCommand(configSchemaCommand());
  config.addCommand(configKeygenCommand());
  config.addCommand(configSignCommand());
  configPushCommand(config);
  program.addCommand(config);

  program.addCommand(healthcheckCommand());
  program.addCommand(serviceCommand());
  program.addCommand(policyCommand());
  program.addCommand(initCommand());
  program.addCommand(eventsCommand());
  program.addCommand(runCommand());
  return program;
}

/** Runs the CLI with `args`; resolves with the exit code. */
export function runCli(args: string[]): Promise<number> {
  return runProgram(buildProgram(), "kt", args);
}
