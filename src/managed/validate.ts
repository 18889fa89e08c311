/**
 * Validation of a config received from the control plane, before the main
 * thread sees it: the digest covers the exact bytes, the signature (when the
 * gateway has a verification key) is valid, the document passes the gateway's
 * own lint, and `pack.version` is the version the control plane says it is.
 *
 * The worker has no environment access, so unset `${VAR}` references are
 * checked for shape only here (a placeholder stands in, defaults apply, as on
 * the control plane); the main thread resolves them
 * from the real environment when it compiles, and a failure there is reported
 * as a rejection too.
 *
 * @module
 */
import { type ConfigIssue, formatIssue } from "../config/errors.ts";
import { type PolicyKindInfo, sha256Digest } from "../config/load.ts";
import { lintWithoutEnvironment } from "../config/placeholder_lint.ts";
import { SignatureError, verifyConfig } from "../config/signature.ts";
import { storeRefs } from "../config/store_refs.ts";
import type { RuntimeState } from "./client.ts";

/** Why a received config was not applied. */
export type RejectionCode =
  | "digest_mismatch"
  | "version_mismatch"
  | "invalid_config"
  | "missing_signature"
  | "invalid_signature"
  | "compile_failed";

/** A config the gateway refuses; the previous one keeps serving. */
export class ConfigRejectedError extends Error {
  readonly code: RejectionCode;
  readonly version: string;
  constructor(code: RejectionCode, version: string, message: string) {
    super(message);
    this.name = "ConfigRejectedError";
    this.code = code;
    this.version = version;
  }
}

/** A received config that passed every check the worker can make. */
export interface ValidatedConfig {
  version: string;
  digest: string;
  text: string;
  /** The parsed document as JSON text, so the main thread need not parse YAML again. */
  json: string;
  format: "yaml" | "json";
  /** Names referenced by `secret_key_ref: { store: NAME }`. */
  storeRefs: string[];
}

/** Options of {@link validateRuntimeState}. */
export interface ValidateOptions {
  policyKinds: ReadonlyMap<string, PolicyKindInfo>;
  /** Verification key: when set, unsigned or wrongly signed configs are rejected. */
  publicKey?: CryptoKey;
}

/** Runs every check; throws {@link ConfigRejectedError}. */
export async function validateRuntimeState(
  state: RuntimeState,
  options: ValidateOptions,
): Promise<ValidatedConfig> {
  const version = state.desired_version;
  const digest = sha256Digest(state.config);
  if (digest !== state.digest) {
    throw new ConfigRejectedError(
      "digest_mismatch",
      version,
      `the config's digest is ${digest}, not the ${state.digest.slice(0, 80)} the control plane announced`,
    );
  }
  if (options.publicKey) {
    try {
      await verifyConfig(options.publicKey, state.config, state.signature);
    } catch (err) {
      if (err instanceof SignatureError) {
        throw new ConfigRejectedError(
          err.code === "missing_signature" ? "missing_signature" : "invalid_signature",
          version,
          err.message,
        );
      }
      throw err;
    }
  }
  const source = [{ name: `control-plane:${version}`, text: state.config }];
  const { result, unsetPaths } = lintWithoutEnvironment(source, options.policyKinds);
  const errors = result.issues.filter((i) => i.severity === "error" && !unsetPaths.has(i.path));
  if (errors.length > 0) {
    throw new ConfigRejectedError("invalid_config", version, describeIssues(errors));
  }
  const packVersion = (result.document as { pack?: { version?: unknown } } | undefined)?.pack?.version;
  if (packVersion !== version) {
    throw new ConfigRejectedError(
      "version_mismatch",
      version,
      `pack.version is ${JSON.stringify(packVersion)} but the control plane announced ${
        JSON.stringify(version)
      }`,
    );
  }
  return {
    version,
    digest,
    text: state.config,
    json: JSON.stringify(result.document),
    format: state.config_format,
    storeRefs: storeRefs(result.document),
  };
}

/** The first issues as one line (status reports carry it as `last_error`). */
export function describeIssues(issues: readonly ConfigIssue[]): string {
  const shown = issues.slice(0, 3).map(formatIssue).join("; ");
  return `invalid config: ${shown}${issues.length > 3 ? ` (and ${issues.length - 3} more)` : ""}`;
}
