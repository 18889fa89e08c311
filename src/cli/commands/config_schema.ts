/**
 * `kt config schema`: the JSON Schema of the config document, generated from
 * the zod schema (policy blocks included), for editors.
 *
 * @module
 */
import { Command } from "commander";
import { z } from "zod";
import { buildConfigSchema } from "../../config/schema.ts";
import { POLICY_KINDS } from "../../policy/registry.ts";

/** The config document's JSON Schema. */
export function configJsonSchema(): Record<string, unknown> {
  const blocks = Object.fromEntries([...POLICY_KINDS].map(([kind, def]) => [kind, def.schema]));
  const schema = z.toJSONSchema(buildConfigSchema(blocks), { io: "input", unrepresentable: "any" }) as Record<
    string,
    unknown
  >;
  return {
    $id: "https://keeptrusts.dev/schemas/policy-config.json",
    title: "kt policy-config.yaml",
    ...schema,
  };
}

/** `kt config schema`. */
export function configSchemaCommand(): Command {
  return new Command("schema")
    .description("print the JSON Schema of policy-config.yaml (for editors)")
    .action(() => {
      console.log(JSON.stringify(configJsonSchema(), null, 2));
    });
}
