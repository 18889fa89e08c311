/**
 * Linting a config without the environment of the gateway that will run it
 * (the control plane on push, the managed poller's worker on receipt).
 *
 * A `${VAR}` without a default that is unset here is reported (E007), then
 * filled with each of {@link VARIABLE_PLACEHOLDERS} in turn until one fits the
 * field it fills, so that the rest of the document is still checked. Variables
 * with a default keep their default: a placeholder stands in for unset ones only.
 *
 * @module
 */
import type { ConfigIssue } from "./errors.ts";
import { type ConfigSource, lintConfig, type LintResult, type PolicyKindInfo } from "./load.ts";
import { VARIABLE_PLACEHOLDERS } from "./variables.ts";

/** Outcome of {@link lintWithoutEnvironment}. */
export interface PlaceholderLint {
  /** The lint of the document with placeholders standing in for `unset` (or the plain lint when none was). */
  result: LintResult;
  /** One E007 issue per unset variable without default. */
  unset: ConfigIssue[];
  /** Document paths holding an unset variable: checks failing there depend on the gateway's value. */
  unsetPaths: ReadonlySet<string>;
}

const UNSET_NAME = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/;

/** Lints `sources` with no environment; see the module documentation. */
export function lintWithoutEnvironment(
  sources: readonly ConfigSource[],
  policyKinds: ReadonlyMap<string, PolicyKindInfo>,
): PlaceholderLint {
  let result = lintConfig(sources, { env: () => undefined, policyKinds });
  const unset = result.issues.filter((i) => i.code === "E007");
  const unsetPaths = new Set(unset.map((i) => i.path));
  if (unset.length > 0) {
    const unsetNames = new Set(unset.map((i) => UNSET_NAME.exec(i.message)?.[1] ?? ""));
    for (const placeholder of VARIABLE_PLACEHOLDERS) {
      result = lintConfig(sources, {
        env: (n) => (unsetNames.has(n) ? placeholder : undefined),
        policyKinds,
      });
      if (result.config) break;
    }
  }
  return { result, unset, unsetPaths };
}
