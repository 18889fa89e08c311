/**
 * `kt config keygen` and `kt config sign`: Ed25519 keys and detached
 * signatures of config documents (SPEC 1.2).
 *
 * @module
 */
import { Command } from "commander";
import { generateConfigKeyPair, SignatureError, signConfig } from "../../config/signature.ts";
import { CliError } from "../errors.ts";
import { readTextFile } from "../config_files.ts";

function writeFile(path: string, text: string, mode: number): void {
  try {
    Deno.writeTextFileSync(path, text, { mode, createNew: true });
  } catch (err) {
    if (err instanceof Deno.errors.AlreadyExists) {
      throw new CliError(`${path} already exists; remove it or choose another --out-dir`, 2);
    }
    if (err instanceof Deno.errors.NotCapable || err instanceof Deno.errors.PermissionDenied) {
      throw new CliError(
        `kt cannot write files here (the gateway binary has no write access): use --stdout and redirect it`,
        2,
      );
    }
    throw new CliError(`cannot write ${path}: ${err instanceof Error ? err.message : err}`, 1);
  }
}

/** `kt config keygen`. */
export function configKeygenCommand(): Command {
  return new Command("keygen")
    .description("make an Ed25519 key pair for signing configs (private key 0600, public key for gateways)")
    .option("--out-dir <dir>", "where to write kt-config.key and kt-config.pub", ".")
    .option("--stdout", "print both PEM keys instead of writing files")
    .action(async (flags: { outDir: string; stdout?: boolean }) => {
      const pair = await generateConfigKeyPair();
      if (flags.stdout) {
        console.log(pair.privateKeyPem + pair.publicKeyPem);
        return;
      }
      const dir = flags.outDir.replace(/\/+$/, "") || ".";
      writeFile(`${dir}/kt-config.key`, pair.privateKeyPem, 0o600);
      writeFile(`${dir}/kt-config.pub`, pair.publicKeyPem, 0o644);
      console.log(`wrote ${dir}/kt-config.key (keep it secret) and ${dir}/kt-config.pub`);
      console.log(`gateways verify with: KEEPTRUSTS_CONFIG_PUBLIC_KEY="$(cat ${dir}/kt-config.pub)"`);
    });
}

/** `kt config sign`. */
export function configSignCommand(): Command {
  return new Command("sign")
    .description("print the base64 Ed25519 signature of a config file's exact bytes")
    .requiredOption("--key <file>", "PEM private key from kt config keygen")
    .requiredOption("--file <config>", "the config file to sign")
    .action(async (flags: { key: string; file: string }) => {
      const key = readTextFile(flags.key);
      const bytes = readTextFile(flags.file);
      try {
        console.log(await signConfig(key, bytes));
      } catch (err) {
        if (err instanceof SignatureError) throw new CliError(`${flags.key}: ${err.message}`, 2);
        throw err;
      }
    });
}
