/**
 * Validation of pushed configs with the gateway's own loader and lint, and
 * extraction of what the control plane needs from them (version, name,
 * `store` secret references).
 *
 * `${VAR}` references are resolved by each gateway from its own environment,
 * never from the control plane's. Here, defaults apply, and a variable without
 * a default is a warning (the gateway must set it); checks of the values it
 * fills in are then warnings too, because only the gateway knows the value.
 *
 * @module
 */
import type { ConfigIssue } from "../config/errors.ts";
import { storeRefs } from "../config/store_refs.ts";
import { lintWithoutEnvironment } from "../config/placeholder_lint.ts";
import { policyKindInfo } from "../policy/registry.ts";
import type { ValidationDetail } from "./errors.ts";

/** Outcome of {@link validatePushedConfig}. */
export type PushValidation =
  | {
    ok: true;
    version: string;
    name: string;
    storeRefs: string[];
    warnings: ValidationDetail[];
  }
  | { ok: false; errors: ValidationDetail[]; warnings: ValidationDetail[] };

function detail(issue: ConfigIssue): ValidationDetail {
  const d: ValidationDetail = { code: issue.code, path: issue.path, message: issue.message };
  if (issue.hint) d.hint = issue.hint;
  if (issue.line !== undefined) d.line = issue.line;
  if (issue.column !== undefined) d.column = issue.column;
  return d;
}

/** Lints a pushed config text exactly as a gateway would load it (minus the gateway's environment). */
export function validatePushedConfig(text: string): PushValidation {
  const { result, unset, unsetPaths } = lintWithoutEnvironment([{ name: "config", text }], policyKindInfo());
  const errors: ValidationDetail[] = [];
  const warnings: ValidationDetail[] = unset.map((i) => ({
    ...detail(i),
    message: `${i.message} here; every gateway that runs this config must set it`,
  }));
  for (const issue of result.issues) {
    if (issue.severity === "error" && !unsetPaths.has(issue.path)) errors.push(detail(issue));
    else warnings.push(detail(issue));
  }
  const rawVersion = (result.document as { pack?: { version?: unknown } } | undefined)?.pack?.version;
  if (typeof rawVersion === "string" && rawVersion.includes("${")) {
    errors.push({
      code: "E008",
      path: "pack.version",
      message: "pack.version must be written literally: it is the key of the stored config",
      hint: "replace the ${…} reference with the version, e.g. 1.4.0",
    });
  }
  if (errors.length === 0 && !result.config) {
    // Only checks of variable-filled values failed, and no placeholder fits: say so.
    errors.push(
      ...warnings.filter((w) => unsetPaths.has(w.path) && w.code !== "E007").map((w) => ({
        ...w,
        hint: "give the variable a default (${NAME:-value}) so the control plane can validate the config",
      })),
    );
  }
  if (errors.length > 0 || !result.config) return { ok: false, errors, warnings };
  return {
    ok: true,
    version: result.config.pack.version,
    name: result.config.pack.name,
    storeRefs: storeRefs(result.document),
    warnings,
  };
}
