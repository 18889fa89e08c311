/**
 * The secrets-detector rule table: one entry per credential format, each with the issuer's (or the
 * reference scanner's) documentation as its source. In the spirit of gitleaks' rule set
 * (https://github.com/gitleaks/gitleaks/tree/master/cmd/generate/config/rules), written from the issuers'
 * published formats. docs/policies.md lists every rule; `secrets_scanner.ts` runs them.
 *
 * Three kinds of rules:
 * - {@link TOKEN_RULES}: a token recognised by its own shape, starting with a literal prefix
 *   (`ghp_`, `AKIA`, `sk-ant-`, `-----BEGIN`…), tried only where a word starts with the prefix;
 * - {@link KEY_RULES}: a value assigned to a key whose *name* says what it is (`aws_secret_access_key =`,
 *   `AccountKey=`, `TWILIO_AUTH_TOKEN=`), and the generic rule for any secret-sounding name
 *   (`password`, `token`, `api_key`, `client_secret`, `Authorization: Bearer`);
 * - URLs with a password (`postgres://user:pw@host`), see {@link DATABASE_SCHEMES}.
 *
 * Every regex has bounded repeats only and is run sticky at a candidate position, so a scan is linear
 * in the text length.
 *
 * @module
 */

/** Every built-in kind, as named in findings and markers (`[SECRET:<kind>]`). */
export const SECRET_KINDS = [
  "aws_access_key",
  "aws_secret_key",
  "github_token",
  "gitlab_token",
  "slack_token",
  "slack_webhook",
  "stripe_key",
  "openai_key",
  "anthropic_key",
  "google_api_key",
  "twilio",
  "sendgrid",
  "npm_token",
  "jwt",
  "private_key",
  "database_url",
  "azure_storage",
  "generic",
] as const;

/** One built-in kind. */
export type SecretKind = typeof SECRET_KINDS[number];

/** A validation a token must pass besides its shape. */
export type TokenCheck =
  /** The last 6 characters are the base62 CRC32 of the 30 before them (GitHub and npm tokens). */
  | "crc32"
  /** The first part decodes to a JSON header with `alg` (JWTs). */
  | "jwt_header"
  /** The body between the BEGIN and END lines has at least 64 base64 characters. */
  | "pem_body";

/** A token recognised by its shape. */
export interface TokenRule {
  /** Stable id (docs/policies.md). */
  id: string;
  kind: SecretKind;
  /** Literal prefixes; the rule is tried only where a word starts with one of them. */
  prefixes: readonly string[];
  /**
   * Regex source run sticky at the prefix's position. The named group `v` (when present) is the random
   * part that the placeholder and entropy checks look at; the whole match is redacted.
   */
  pattern: string;
  check?: TokenCheck;
  /** Minimum Shannon entropy (bits per character) of the random part; lower is a placeholder. */
  minEntropy: number;
  /** Documentation of the format. */
  source: string;
}

/** Tokens recognised by their shape. */
export const TOKEN_RULES: readonly TokenRule[] = [
  {
    id: "aws-access-key-id",
    kind: "aws_access_key",
    prefixes: ["AKIA", "ASIA", "ABIA", "ACCA", "A3T"],
    pattern: "(?:AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])(?<v>[A-Z0-9]{16})(?![A-Za-z0-9])",
    minEntropy: 2.5,
    source:
      "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html#identifiers-unique-ids",
  },
  {
    id: "github-token",
    kind: "github_token",
    prefixes: ["ghp_", "gho_", "ghu_", "ghs_", "ghr_"],
    pattern: "gh[pousr]_(?<v>[A-Za-z0-9]{36})(?![A-Za-z0-9_])",
    check: "crc32",
    minEntropy: 3,
    source:
      "https://github.blog/engineering/platform-security/behind-githubs-new-authentication-token-formats/",
  },
  {
    id: "github-fine-grained-pat",
    kind: "github_token",
    prefixes: ["github_pat_"],
    pattern: "github_pat_(?<v>[A-Za-z0-9]{22}_[A-Za-z0-9]{59})(?![A-Za-z0-9_])",
    minEntropy: 3,
    source:
      "https://docs.github.com/en/authentication/keeping-your-account-and-data-secure/managing-your-personal-access-tokens",
  },
  {
    id: "gitlab-token",
    kind: "gitlab_token",
    prefixes: [
      "glpat-",
      "gldt-",
      "glrt-",
      "glcbt-",
      "glptt-",
      "glft-",
      "glimt-",
      "glagent-",
      "gloas-",
      "glsoat-",
    ],
    pattern:
      "gl(?:pat|dt|rt|cbt|ptt|ft|imt|agent|oas|soat)-(?:[0-9a-zA-Z]{1,5}_)?(?<v>[A-Za-z0-9_-]{20,64}(?:\\.[A-Za-z0-9]{2}\\.[A-Za-z0-9]{9,10})?)(?![A-Za-z0-9_-])",
    minEntropy: 3,
    source: "https://docs.gitlab.com/security/tokens/#token-prefixes",
  },
  {
    id: "gitlab-runner-registration-token",
    kind: "gitlab_token",
    prefixes: ["GR1348941"],
    pattern: "GR1348941(?<v>[A-Za-z0-9_-]{20})(?![A-Za-z0-9_-])",
    minEntropy: 3,
    source: "https://docs.gitlab.com/security/tokens/#token-prefixes",
  },
  {
    id: "slack-token",
    kind: "slack_token",
    prefixes: ["xoxb-", "xoxp-", "xoxa-", "xoxr-", "xoxs-", "xoxe-", "xoxe.", "xapp-"],
    pattern:
      "(?:xox[bpars]-|xoxe\\.xox[bp]-|xoxe-|xapp-)[0-9]{1,13}-(?:[A-Za-z0-9]{1,40}-){0,4}(?<v>[A-Za-z0-9]{8,200})(?![A-Za-z0-9-])",
    minEntropy: 3,
    source: "https://api.slack.com/concepts/token-types",
  },
  {
    id: "slack-webhook",
    kind: "slack_webhook",
    prefixes: ["https://hooks.slack.com/", "http://hooks.slack.com/", "hooks.slack.com/"],
    pattern:
      "(?:https?://)?hooks\\.slack\\.com/(?:services|workflows|triggers)/T[A-Z0-9]{6,12}/[A-Z0-9]{6,14}/(?:[0-9]{6,20}/)?(?<v>[A-Za-z0-9]{16,48})(?![A-Za-z0-9])",
    minEntropy: 3,
    source: "https://api.slack.com/messaging/webhooks",
  },
  {
    id: "stripe-secret-key",
    kind: "stripe_key",
    prefixes: ["sk_live_", "sk_test_", "rk_live_", "rk_test_", "whsec_"],
    pattern: "(?:[sr]k_(?:live|test)_|whsec_)(?<v>[A-Za-z0-9]{20,247})(?![A-Za-z0-9_])",
    minEntropy: 3,
    source: "https://docs.stripe.com/keys",
  },
  {
    id: "anthropic-api-key",
    kind: "anthropic_key",
    prefixes: ["sk-ant-"],
    pattern: "sk-ant-[a-z]{2,8}[0-9]{0,3}-(?<v>[A-Za-z0-9_-]{32,300})(?![A-Za-z0-9_-])",
    minEntropy: 3,
    source: "https://docs.anthropic.com/en/api/overview#authentication",
  },
  {
    // Project, service-account and admin keys, and the legacy `sk-` + 48 characters; keys of
    // OpenAI-compatible providers with the same `sk-` shape are reported as openai_key too.
    id: "openai-api-key",
    kind: "openai_key",
    prefixes: ["sk-"],
    pattern: "sk-(?!ant-)(?:(?:proj|svcacct|admin|None)-)?(?<v>[A-Za-z0-9_-]{32,300})(?![A-Za-z0-9_-])",
    minEntropy: 3,
    source: "https://platform.openai.com/docs/api-reference/authentication",
  },
  {
    id: "google-api-key",
    kind: "google_api_key",
    prefixes: ["AIza"],
    pattern: "AIza(?<v>[0-9A-Za-z_-]{35})(?![A-Za-z0-9_-])",
    minEntropy: 3,
    source: "https://cloud.google.com/docs/authentication/api-keys",
  },
  {
    id: "twilio-api-key",
    kind: "twilio",
    prefixes: ["SK"],
    pattern: "SK(?<v>[0-9a-f]{32})(?![A-Za-z0-9])",
    minEntropy: 3,
    source: "https://www.twilio.com/docs/iam/api-keys",
  },
  {
    id: "sendgrid-api-key",
    kind: "sendgrid",
    prefixes: ["SG."],
    pattern: "SG\\.(?<v>[A-Za-z0-9_-]{16,32}\\.[A-Za-z0-9_-]{16,64})(?![A-Za-z0-9_-])",
    minEntropy: 3,
    source: "https://www.twilio.com/docs/sendgrid/ui/account-and-settings/api-keys",
  },
  {
    id: "npm-access-token",
    kind: "npm_token",
    prefixes: ["npm_"],
    pattern: "npm_(?<v>[A-Za-z0-9]{36})(?![A-Za-z0-9_])",
    check: "crc32",
    minEntropy: 3,
    source: "https://github.blog/security/announcing-npms-new-access-token-format/",
  },
  {
    id: "jwt",
    kind: "jwt",
    prefixes: ["eyJ"],
    pattern:
      "eyJ[A-Za-z0-9_-]{8,2048}\\.(?<v>eyJ[A-Za-z0-9_-]{8,8192}\\.[A-Za-z0-9_-]{16,2048})(?![A-Za-z0-9_-])",
    check: "jwt_header",
    minEntropy: 3,
    source: "https://datatracker.ietf.org/doc/html/rfc7519#section-3",
  },
  {
    // The body may be unterminated (a paste cut short, or a stream piece): the scanner then takes the
    // base64 lines that follow.
    id: "private-key",
    kind: "private_key",
    prefixes: ["-----BEGIN "],
    pattern:
      "-----BEGIN (?:(?:RSA|DSA|EC|OPENSSH|ENCRYPTED|PGP|SSH2|ED25519) ){0,2}PRIVATE KEY(?: BLOCK)?-----",
    check: "pem_body",
    minEntropy: 0,
    source: "https://datatracker.ietf.org/doc/html/rfc7468#section-10",
  },
  {
    id: "putty-private-key",
    kind: "private_key",
    prefixes: ["PuTTY-User-Key-File-"],
    pattern: "PuTTY-User-Key-File-[23]: [a-z0-9-]{3,40}",
    check: "pem_body",
    minEntropy: 0,
    source: "https://the.earth.li/~sgtatham/putty/0.78/htmldoc/AppendixC.html",
  },
];

/** How a key rule judges the value assigned to a matching name. */
export type ValueShape =
  /** 40 base64 characters (an AWS secret access key). */
  | "aws_secret"
  /** 86–88 base64 characters ending in `=` or `==` (an Azure storage account key). */
  | "azure_key"
  /** A URL-encoded or base64 signature of 40+ characters (an Azure SAS `sig`). */
  | "azure_sig"
  /** 32 hex digits (a Twilio auth token). */
  | "hex32"
  /** An npm auth token: `npm_…` or a UUID. */
  | "npm"
  /** A password of a connection string: any non-placeholder value. */
  | "password"
  /** The generic rule: see {@link GENERIC_NAME}. */
  | "generic";

/** A value identified by the name it is assigned to. */
export interface KeyRule {
  id: string;
  kind: SecretKind;
  /** Matched against the key name with its words joined by `_`, lower-cased (`AWS_SECRET_ACCESS_KEY` → `aws_secret_access_key`). */
  name: RegExp;
  value: ValueShape;
  /** When set, the rule also needs one of these (lower-case) words within 300 characters of the key. */
  near?: readonly string[];
  source: string;
}

/** Named values, tried in order before the generic rule. */
export const KEY_RULES: readonly KeyRule[] = [
  {
    id: "aws-secret-access-key",
    kind: "aws_secret_key",
    name: /(?:^|_)(?:aws_)?secret_?(?:access_)?key(?:_id)?$|^secretaccesskey$|^aws_secret/,
    value: "aws_secret",
    source: "https://docs.aws.amazon.com/cli/latest/userguide/cli-configure-files.html",
  },
  {
    id: "azure-storage-account-key",
    kind: "azure_storage",
    name: /^account_?key$|storage_?(?:account_)?key|^azure_storage_(?:account_)?key/,
    value: "azure_key",
    source: "https://learn.microsoft.com/en-us/azure/storage/common/storage-configure-connection-string",
  },
  {
    id: "azure-sas-signature",
    kind: "azure_storage",
    name: /^sig$/,
    value: "azure_sig",
    near: ["sv="],
    source: "https://learn.microsoft.com/en-us/rest/api/storageservices/create-service-sas",
  },
  {
    id: "twilio-auth-token",
    kind: "twilio",
    name: /auth_?token|api_?secret|^token$/,
    value: "hex32",
    near: ["twilio", "account_sid", "accountsid"],
    source: "https://www.twilio.com/docs/iam/api/authtoken",
  },
  {
    id: "npmrc-auth-token",
    kind: "npm_token",
    name: /^_?auth_?token$/,
    value: "npm",
    near: ["registry", "npm"],
    source: "https://docs.npmjs.com/cli/v10/configuring-npm/npmrc#auth-related-configuration",
  },
  {
    id: "connection-string-password",
    kind: "database_url",
    name: /^(?:password|pwd)$/,
    value: "password",
    near: ["server=", "data source=", "host=", "user id=", "uid=", "initial catalog=", "database="],
    source: "https://learn.microsoft.com/en-us/dotnet/framework/data/adonet/connection-string-syntax",
  },
];

/**
 * The generic rule's names: a key is secret-sounding when one of its words is (or, for glued names such as
 * `PGPASSWORD` or `authToken`, contains) one of these.
 */
export const GENERIC_NAME = {
  /** Password-like: short human values count (6+ characters with two character classes, or 12+). */
  password: /pass(?:word|wd|phrase)|^pwd$|pwd$|^pw$|^pass$/,
  /** Token-like: the value must look random (12+ characters, entropy, digits or mixed case). */
  token:
    /secret|token(?!s$|i[sz]|count)|credential|^creds?$|^auth$|^api_?key$|^apikey|^access_?key$|private_?key|signing_?key|encryption_?key|master_?key|^bearer$|^sas$|^authkey$|^passkey$/,
  /** A `key` word counts after one of these (`api key`, `x-api-key`, `license key`). */
  keyAfter:
    /^(?:api|access|secret|private|signing|encryption|master|license|client|app|service|auth|account|storage|subscription|admin|deploy|webhook|session|jwt|hmac|aes|x)$/,
  /** Names with one of these words are not secrets (`public_key`, `token_url`, `max_tokens`, `key_id`). */
  exclude:
    /^(?:public|publishable|pub|id|ids|name|names|url|uri|urls|endpoint|file|filename|path|dir|length|len|size|type|count|expiry|expires|expiration|expire|ttl|hash|hashed|format|version|header|field|prefix|suffix|limit|limits|max|min|usage|budget|rotation|enabled|required|cache|partition|sort|primary|foreign|idempotency|tokenizer|keyboard|keyword|keywords|hint|label|description|placeholder|mask|masked|last4|policy|scope|scopes|issuer|audience|algorithm|alg|kid|env|variable|var|location|regex|pattern|rules|form|input|reset|strength|manager|provider|mode|store|ref|reference|lookup|method|fingerprint|thumbprint)$/,
} as const;

/** URL schemes whose `user:password@` makes the URL a `database_url` (others are `generic`). */
export const DATABASE_SCHEMES: ReadonlySet<string> = new Set([
  "postgres",
  "postgresql",
  "mysql",
  "mysqlx",
  "mariadb",
  "mongodb",
  "mongodb+srv",
  "redis",
  "rediss",
  "amqp",
  "amqps",
  "mssql",
  "sqlserver",
  "oracle",
  "cockroachdb",
  "clickhouse",
  "couchdb",
  "cassandra",
  "neo4j",
  "neo4j+s",
  "bolt",
  "memcached",
  "snowflake",
  "db2",
  "jdbc:postgresql",
  "jdbc:mysql",
  "jdbc:sqlserver",
  "jdbc:oracle:thin",
]);

/** Source of the URL rule (userinfo in URLs). */
export const URL_PASSWORD_SOURCE = "https://datatracker.ietf.org/doc/html/rfc3986#section-3.2.1";

/**
 * Published example credentials (issuers' documentation and well-known samples): never findings.
 * Compared with the token (or the value of a key rule) exactly.
 */
export const DOCUMENTED_EXAMPLES: ReadonlySet<string> = new Set([
  // AWS IAM documentation.
  "AKIAIOSFODNN7EXAMPLE",
  "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
  "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY",
  // jwt.io's sample token.
  "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
  // Stripe documentation test keys.
  "sk_test_4eC39HqLyjWDarjtT1zdp7dc",
  "sk_test_BQokikJOvBiI2HlWgH4olfQ2",
  // The Azurite / storage emulator account key (devstoreaccount1), published by Microsoft.
  "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==",
]);

/**
 * Lower-case fragments that make a value a placeholder rather than a credential (`your-api-key-here`,
 * `sk_live_xxxxxxxx…`, `AKIA…EXAMPLE`). Real random tokens contain a given 4+ letter word with negligible
 * probability.
 */
export const PLACEHOLDER_FRAGMENTS: readonly string[] = [
  "example",
  "sample",
  "dummy",
  "placeholder",
  "your",
  "xxxx",
  "****",
  "....",
  "\u2026",
  "0000000",
  "1234567",
  "abcdefg",
  "fake",
  "redacted",
  "insert",
  "replace",
  "changeme",
  "change_me",
  "notreal",
  "not_real",
  "todo",
];

/** Whole values (lower-case, without punctuation) that stand for a secret instead of being one. */
export const PLACEHOLDER_VALUES: ReadonlySet<string> = new Set([
  "password",
  "passwd",
  "pass",
  "secret",
  "token",
  "apikey",
  "key",
  "changeme",
  "admin",
  "root",
  "test",
  "none",
  "null",
  "nil",
  "undefined",
  "true",
  "false",
  "required",
  "optional",
  "string",
  "str",
  "text",
  "value",
  "empty",
  "default",
  "hidden",
  "masked",
  "redacted",
  "secretpassword",
  "mypassword",
  "yourpassword",
  "userpassword",
  "dbpassword",
  "username",
  "user",
  "letmein",
  "qwerty",
  "example",
]);
