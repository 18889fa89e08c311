/**
 * The strict zod schema of the `policy-config.yaml` document (SPEC 3).
 *
 * Unknown keys are errors everywhere. Policy blocks (`policy.<kind>`) are
 * validated separately against the schemas registered by the policy layer, so
 * this module stays at the bottom of the dependency graph.
 *
 * @module
 */
import { z } from "zod";

const SEMVER = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/;
const ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

const positiveInt = z.number().int().positive();
const nonNegativeInt = z.number().int().nonnegative();

/** Provider kinds a target may use. */
export const PROVIDER_KINDS = ["openai", "anthropic", "azure", "mock"] as const;
/** Routing strategies of SPEC 3.4. */
export const ROUTING_STRATEGIES = ["ordered", "round_robin", "weighted", "lowest_latency"] as const;
/** Fallback triggers of SPEC 3.4. */
export const FALLBACK_TRIGGERS = ["rate_limit", "server_error", "timeout", "connection_error"] as const;

/** `secret_key_ref`: where a target's key comes from. */
export const secretRefSchema = z.union([
  z.strictObject({ env: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "an environment variable name") }),
  z.strictObject({ store: z.string().min(1).max(200) }),
]);

/** `data_policy` of a target: what the provider promises about retention and training. */
export const dataPolicySchema = z.strictObject({
  zero_data_retention: z.boolean().default(false),
  training_opt_out: z.boolean().default(false),
  retention_days: nonNegativeInt.optional(),
});

/** One provider target. */
export const targetSchema = z.strictObject({
  id: z.string().regex(ID, "letters, digits, '.', '_', ':' or '-', at most 128"),
  provider: z.enum(PROVIDER_KINDS),
  model: z.string().min(1).max(200).optional(),
  base_url: z.url({ protocol: /^https?$/ }).optional(),
  secret_key_ref: secretRefSchema.optional(),
  weight: z.number().nonnegative().max(1_000_000).default(1),
  timeout_ms: positiveInt.max(600_000).default(60_000),
  connect_timeout_ms: positiveInt.max(120_000).default(10_000),
  /** Azure: API version query parameter. */
  api_version: z.string().min(1).max(40).optional(),
  /** Azure: deployment name (defaults to `model`). */
  deployment: z.string().min(1).max(200).optional(),
  /** Extra static headers sent upstream (never secrets: use secret_key_ref). */
  headers: z.record(z.string().regex(/^[A-Za-z0-9-]+$/), z.string().max(4096)).optional(),
  /** mock provider only: fixed reply text instead of the deterministic echo. */
  mock_response: z.string().max(1_000_000).optional(),
  data_policy: dataPolicySchema.optional(),
});

/** A model-based route: requests whose model matches `model` (a glob) go to `targets` first. */
export const routeSchema = z.strictObject({
  model: z.string().min(1).max(200),
  targets: z.array(z.string()).min(1),
});

/** `providers` section. */
export const providersSchema = z.strictObject({
  routing: z.strictObject({
    strategy: z.enum(ROUTING_STRATEGIES).default("ordered"),
    routes: z.array(routeSchema).default([]),
  }).default({ strategy: "ordered", routes: [] }),
  fallback: z.strictObject({
    triggers: z.array(z.enum(FALLBACK_TRIGGERS)).default([
      "rate_limit",
      "server_error",
      "timeout",
      "connection_error",
    ]),
    max_fallback_attempts: nonNegativeInt.max(20).default(2),
  }).default({
    triggers: ["rate_limit", "server_error", "timeout", "connection_error"],
    max_fallback_attempts: 2,
  }),
  circuit_breaker: z.strictObject({
    threshold: positiveInt.max(10_000).default(5),
    cooldown_seconds: z.number().positive().max(86_400).default(30),
  }).default({ threshold: 5, cooldown_seconds: 30 }),
  targets: z.array(targetSchema).min(1, "at least one target is required"),
});

/** `pack` section (SPEC 3.1). */
export const packSchema = z.strictObject({
  name: z.string().min(1).max(200),
  version: z.string().regex(SEMVER, "a semantic version such as 1.4.0"),
  enabled: z.boolean(),
  id: z.string().max(200).optional(),
  author: z.string().max(200).optional(),
  description: z.string().max(2000).optional(),
});

const windowed = {
  max_requests: positiveInt,
  window_seconds: z.number().positive().max(86_400),
};

/** Every limit section (SPEC 3.6). */
export const limitsShape = {
  size_limits: z.strictObject({
    max_body_bytes: positiveInt.max(1 << 30).default(1_048_576),
    max_response_bytes: positiveInt.max(1 << 30).default(10_485_760),
    max_json_depth: positiveInt.max(1000).default(64),
  }).optional(),
  global_rate_limit: z.strictObject(windowed).optional(),
  ip_rate_limit: z.strictObject({ ...windowed, trust_proxy_depth: nonNegativeInt.max(10).default(0) })
    .optional(),
  user_rate_limit: z.strictObject({
    ...windowed,
    header_names: z.array(z.string().min(1)).default(["x-user-id"]),
  })
    .optional(),
  token_rate_limit: z.strictObject({
    max_tokens: positiveInt,
    window_seconds: z.number().positive().max(86_400),
    header_names: z.array(z.string().min(1)).optional(),
  }).optional(),
  rate_limit_store: z.strictObject({
    redis_url: z.string().regex(/^rediss?:\/\//, "a redis:// or rediss:// URL"),
    key_prefix: z.string().max(100).default("kt:rl:"),
  }).optional(),
};

/** Client authentication (SPEC 7.4). */
export const clientAuthSchema = z.strictObject({
  api_keys: z.array(z.strictObject({
    id: z.string().regex(ID),
    key_hash: z.string().regex(/^sha256:[0-9a-f]{64}$/, "sha256:<64 lowercase hex digits>").optional(),
    key_env: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/).optional(),
    role: z.string().max(100).optional(),
  })).default([]),
});

/** Timeouts for the client side of the gateway (SPEC 4.5). */
export const timeoutsSchema = z.strictObject({
  request_body_ms: positiveInt.max(600_000).default(30_000),
  policy_ms: positiveInt.max(60_000).default(2_000),
});

/**
 * What the gateway does with content its policies cannot read (docs/policies.md "Content coverage"):
 * unknown fields (`reject` answers 400 `unsupported_content`; `scan` reads every string inside as
 * text), images and audio, files it cannot read (unreadable PDFs, `file_id` and URL references), and
 * token-id arrays while a content policy is in the chain.
 */
export const coverageSchema = z.strictObject({
  unknown: z.enum(["reject", "scan"]).default("reject"),
  media: z.enum(["allow", "block"]).default("allow"),
  opaque_files: z.enum(["reject", "allow"]).default("reject"),
  token_ids: z.enum(["reject", "allow"]).default("reject"),
});

/** The defaults of {@link coverageSchema}. */
export const COVERAGE_DEFAULTS = {
  unknown: "reject",
  media: "allow",
  opaque_files: "reject",
  token_ids: "reject",
} as const;

/**
 * Builds the document schema. `policyBlock` validates each `policy.<kind>` block; it
 * defaults to "any object" so that the config layer needs no knowledge of policy kinds.
 */
export function buildConfigSchema(policyBlocks?: Record<string, z.ZodType>) {
  const policy = policyBlocks
    ? z.strictObject(Object.fromEntries(Object.entries(policyBlocks).map(([k, s]) => [k, s.optional()])))
    : z.record(z.string(), z.record(z.string(), z.unknown()).nullable());
  return z.strictObject({
    pack: packSchema,
    providers: providersSchema,
    policies: z.strictObject({ chain: z.array(z.string()).default([]) }).default({ chain: [] }),
    policy: policy.default({}),
    ...limitsShape,
    client_auth: clientAuthSchema.optional(),
    timeouts: timeoutsSchema.default({ request_body_ms: 30_000, policy_ms: 2_000 }),
    coverage: coverageSchema.default(COVERAGE_DEFAULTS),
  });
}

/** The base document schema (policy blocks unchecked). */
export const configSchema = buildConfigSchema();

/** A validated config document (defaults applied). */
export type KtConfig = z.infer<typeof configSchema>;
/** One validated target. */
export type TargetConfig = z.infer<typeof targetSchema>;
/** The validated `providers` section. */
export type ProvidersConfig = z.infer<typeof providersSchema>;
/** A `secret_key_ref`. */
export type SecretRef = z.infer<typeof secretRefSchema>;
/** A target's `data_policy`. */
export type DataPolicy = z.infer<typeof dataPolicySchema>;
