// Held-out set written 2026-12-04 by a writer who had not read the detectors' rules, from family descriptions only. Never used to tune. Do not edit labels to match a detector.
/**
 * Held-out secrets corpus (written 2026-12-04).
 *
 * Held-out set written 2026-12-04 by a writer who had not read the detectors' rules, from family
 * descriptions only. Never used to tune. Do not edit labels to match a detector.
 *
 * Every credential-shaped value below is produced at module load by a seeded PRNG (mulberry32), so the
 * corpus is deterministic and contains no real credential. Formats follow the issuers' published shapes;
 * GitHub classic tokens and npm tokens carry a CRC32 checksum of their 30-character random part, encoded in
 * base62 (0-9A-Za-z) and left-padded with "0" to 6 characters.
 *
 * Labelling conventions:
 *  - `expected` lists one kind per credential occurrence in the text (a text with two Slack tokens lists
 *    "slack_token" twice). No case repeats the same value twice.
 *  - A connection string with a password counts once, as "database_url" (its password is not also "generic");
 *    an Azure storage connection string counts once, as "azure_storage".
 *  - Twilio: an Account SID (AC…) or API key SID (SK…) counts as "twilio". Auth tokens / API secrets in the
 *    Twilio cases are always read from the environment, never written out, to keep labels unambiguous.
 *  - "generic" = a password/secret/token assigned in a key=value / `key: value` / header context whose
 *    value is random and high-entropy and matches no issuer format listed in SecretKind.
 *  - Negatives: documented example keys, masked values, placeholders, empty names, public keys/certs,
 *    hashes/digests/ids, GitHub-shaped strings with a wrong checksum, Stripe test-mode keys, etc.
 */

/** A text a user might paste into an assistant, and the credentials really in it. */
export interface SecretCase {
  name: string;
  text: string;
  expected: SecretKind[];
}

export type SecretKind =
  | "aws_access_key"
  | "aws_secret_key"
  | "github_token"
  | "gitlab_token"
  | "slack_token"
  | "slack_webhook"
  | "stripe_key"
  | "openai_key"
  | "anthropic_key"
  | "google_api_key"
  | "twilio"
  | "sendgrid"
  | "npm_token"
  | "jwt"
  | "private_key"
  | "database_url"
  | "azure_storage"
  | "generic";

// ---------------------------------------------------------------------------------------------------------
// Deterministic generation helpers
// ---------------------------------------------------------------------------------------------------------

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const rand = mulberry32(0x20261204);

const DIGITS = "0123456789";
const UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const LOWER = "abcdefghijklmnopqrstuvwxyz";
const B62 = DIGITS + UPPER + LOWER;
const HEX = "0123456789abcdef";
const B32 = UPPER + "234567";
const B64 = UPPER + LOWER + DIGITS + "+/";
const B64URL = UPPER + LOWER + DIGITS + "-_";
const UPPER_ALNUM = UPPER + DIGITS;
const SECRET_CHARS = B62 + "!#%*+-._~@^";

function int(lo: number, hi: number): number {
  return lo + Math.floor(rand() * (hi - lo + 1));
}

function pick(alphabet: string, n: number): string {
  let s = "";
  for (let i = 0; i < n; i++) s += alphabet[Math.floor(rand() * alphabet.length)];
  return s;
}

function digitsNoLeadingZero(n: number): string {
  return pick("123456789", 1) + pick(DIGITS, n - 1);
}

function randBytes(n: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(Math.floor(rand() * 256));
  return out;
}

function b64Bytes(bytes: number[]): string {
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin);
}

function b64urlText(text: string): string {
  const bytes = Array.from(new TextEncoder().encode(text));
  return b64Bytes(bytes).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function b64Text(text: string): string {
  return b64Bytes(Array.from(new TextEncoder().encode(text)));
}

const CRC_TABLE: Uint32Array = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32(s: string): number {
  let c = 0xffffffff;
  for (const byte of new TextEncoder().encode(s)) c = CRC_TABLE[(c ^ byte) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function base62(n: number, width: number): string {
  let s = "";
  while (n > 0) {
    s = B62[n % 62] + s;
    n = Math.floor(n / 62);
  }
  return s.padStart(width, "0");
}

/** A random string that surely mixes upper, lower and digits (used for passwords / generic secrets). */
function mixed(alphabet: string, n: number): string {
  const needUpper = /[A-Z]/.test(alphabet);
  for (;;) {
    const s = pick(alphabet, n);
    if ((!needUpper || /[A-Z]/.test(s)) && /[a-z]/.test(s) && /[0-9]/.test(s)) return s;
  }
}

// ---- issuer formats -------------------------------------------------------------------------------------

const awsId = (prefix = "AKIA"): string => prefix + pick(B32, 16);
const awsSecret = (): string => pick(B64, 40);

/** GitHub classic token: prefix + 30 base62 + base62(crc32(random part)), 6 chars, zero-padded. */
function gh(prefix: "ghp_" | "gho_" | "ghu_" | "ghs_" | "ghr_" = "ghp_"): string {
  const e = pick(B62, 30);
  return prefix + e + base62(crc32(e), 6);
}

/** Same shape as gh() but with a deliberately wrong checksum. */
function ghBad(prefix: "ghp_" | "gho_" | "ghu_" | "ghs_" | "ghr_" = "ghp_"): string {
  const e = pick(B62, 30);
  const good = base62(crc32(e), 6);
  let bad = good;
  while (bad === good) bad = pick(B62, 6);
  return prefix + e + bad;
}

const ghFine = (): string => "github_pat_" + pick(B62, 22) + "_" + pick(B62, 59);

const glpat = (): string => "glpat-" + pick(B62 + "-_", 20);
const glpatRoutable = (): string => "glpat-" + pick(B64URL, 27) + ".01." + pick(DIGITS + LOWER, 9);
const glrt = (): string => "glrt-" + pick(B62 + "-_", 20);
const gldt = (): string => "gldt-" + pick(B62 + "-_", 20);

const xoxb = (): string =>
  "xoxb-" + digitsNoLeadingZero(int(10, 13)) + "-" + digitsNoLeadingZero(13) + "-" + pick(B62, 24);
const xoxp = (): string =>
  "xoxp-" + digitsNoLeadingZero(int(10, 13)) + "-" + digitsNoLeadingZero(int(10, 13)) + "-" +
  digitsNoLeadingZero(13) + "-" + pick(HEX, 32);
const xapp = (): string =>
  "xapp-1-A" + pick(UPPER_ALNUM, 10) + "-" + digitsNoLeadingZero(13) + "-" + pick(HEX, 64);
const slackHook = (): string =>
  "https://hooks.slack.com/services/T" + pick(UPPER_ALNUM, int(8, 10)) + "/B" +
  pick(UPPER_ALNUM, int(8, 10)) +
  "/" + pick(B62, 24);

const skLive = (): string => "sk_live_" + pick(B62, 24);
const skLive51 = (): string => "sk_live_51" + pick(B62, 97);
const rkLive = (): string => "rk_live_51" + pick(B62, 97);

const openaiProj = (): string => "sk-proj-" + pick(B64URL, 74) + "T3BlbkFJ" + pick(B64URL, 74);
const openaiSvc = (): string => "sk-svcacct-" + pick(B64URL, 74) + "T3BlbkFJ" + pick(B64URL, 74);
const openaiLegacy = (): string => "sk-" + pick(B62, 20) + "T3BlbkFJ" + pick(B62, 20);

const antKey = (): string => "sk-ant-api03-" + pick(B64URL, 93) + "AA";
const antAdmin = (): string => "sk-ant-admin01-" + pick(B64URL, 93) + "AA";

const gkey = (): string => "AIzaSy" + pick(B62 + "-_", 33);

const twAC = (): string => "AC" + pick(HEX, 32);
const twSK = (): string => "SK" + pick(HEX, 32);

const sg = (): string => "SG." + pick(B64URL, 22) + "." + pick(B64URL, 43);

function npm(): string {
  const e = pick(B62, 30);
  return "npm_" + e + base62(crc32(e), 6);
}

function jwt(header: Record<string, unknown>, payload: Record<string, unknown>, sigLen = 43): string {
  return b64urlText(JSON.stringify(header)) + "." + b64urlText(JSON.stringify(payload)) + "." +
    pick(B64URL, sigLen);
}

const azureKey = (): string => b64Bytes(randBytes(64));
const azureConn = (account: string): string =>
  `DefaultEndpointsProtocol=https;AccountName=${account};AccountKey=${azureKey()};EndpointSuffix=core.windows.net`;

const pw = (n = 20): string => mixed(B62, n);
const secretVal = (n = 32): string => mixed(SECRET_CHARS, n);
const hexStr = (n: number): string => pick(HEX, n);

function wrap(s: string, width: number): string {
  const lines: string[] = [];
  for (let i = 0; i < s.length; i += width) lines.push(s.slice(i, i + width));
  return lines.join("\n");
}

function pem(label: string, der: number[]): string {
  return `-----BEGIN ${label}-----\n${wrap(b64Bytes(der), 64)}\n-----END ${label}-----`;
}

// DER prefixes (structure headers) followed by random key material of plausible length.
const rsaPkcs1 = (): string =>
  pem("RSA PRIVATE KEY", [
    0x30,
    0x82,
    0x04,
    0xa4,
    0x02,
    0x01,
    0x00,
    0x02,
    0x82,
    0x01,
    0x01,
    0x00,
    ...randBytes(1180),
  ]);
const rsaPkcs8 = (): string =>
  pem("PRIVATE KEY", [
    0x30,
    0x82,
    0x04,
    0xbe,
    0x02,
    0x01,
    0x00,
    0x30,
    0x0d,
    0x06,
    0x09,
    0x2a,
    0x86,
    0x48,
    0x86,
    0xf7,
    0x0d,
    0x01,
    0x01,
    0x01,
    0x05,
    0x00,
    0x04,
    0x82,
    0x04,
    0xa8,
    0x30,
    0x82,
    0x04,
    0xa4,
    0x02,
    0x01,
    0x00,
    0x02,
    0x82,
    0x01,
    0x01,
    0x00,
    ...randBytes(1180),
  ]);
const ecKey = (): string =>
  pem("EC PRIVATE KEY", [
    0x30,
    0x77,
    0x02,
    0x01,
    0x01,
    0x04,
    0x20,
    ...randBytes(32),
    0xa0,
    0x0a,
    0x06,
    0x08,
    0x2a,
    0x86,
    0x48,
    0xce,
    0x3d,
    0x03,
    0x01,
    0x07,
    0xa1,
    0x44,
    0x03,
    0x42,
    0x00,
    0x04,
    ...randBytes(64),
  ]);

function sshString(bytes: number[]): number[] {
  const n = bytes.length;
  return [(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255, ...bytes];
}
const ascii = (s: string): number[] => Array.from(new TextEncoder().encode(s));

/** An OpenSSH-format ed25519 private key with the real container layout and random key bytes. */
function opensshEd25519(comment: string): string {
  const pub = randBytes(32);
  const pubBlob = [...sshString(ascii("ssh-ed25519")), ...sshString(pub)];
  const check = randBytes(4);
  let priv = [
    ...check,
    ...check,
    ...sshString(ascii("ssh-ed25519")),
    ...sshString(pub),
    ...sshString([...randBytes(32), ...pub]),
    ...sshString(ascii(comment)),
  ];
  for (let i = 1; priv.length % 8 !== 0; i++) priv = [...priv, i];
  const body = [
    ...ascii("openssh-key-v1"),
    0,
    ...sshString(ascii("none")),
    ...sshString(ascii("none")),
    ...sshString([]),
    0,
    0,
    0,
    1,
    ...sshString(pubBlob),
    ...sshString(priv),
  ];
  return `-----BEGIN OPENSSH PRIVATE KEY-----\n${
    wrap(b64Bytes(body), 70)
  }\n-----END OPENSSH PRIVATE KEY-----`;
}

function sshEd25519Public(comment: string): string {
  const blob = [...sshString(ascii("ssh-ed25519")), ...sshString(randBytes(32))];
  return `ssh-ed25519 ${b64Bytes(blob)} ${comment}`;
}

function sshRsaPublic(comment: string): string {
  const blob = [
    ...sshString(ascii("ssh-rsa")),
    ...sshString([0x01, 0x00, 0x01]),
    ...sshString([0x00, ...randBytes(256)]),
  ];
  return `ssh-rsa ${b64Bytes(blob)} ${comment}`;
}

const publicKeyPem = (): string =>
  pem("PUBLIC KEY", [
    0x30,
    0x82,
    0x01,
    0x22,
    0x30,
    0x0d,
    0x06,
    0x09,
    0x2a,
    0x86,
    0x48,
    0x86,
    0xf7,
    0x0d,
    0x01,
    0x01,
    0x01,
    0x05,
    0x00,
    0x03,
    0x82,
    0x01,
    0x0f,
    0x00,
    0x30,
    0x82,
    0x01,
    0x0a,
    0x02,
    0x82,
    0x01,
    0x01,
    0x00,
    ...randBytes(257),
    0x02,
    0x03,
    0x01,
    0x00,
    0x01,
  ]);
const certPem = (): string =>
  pem("CERTIFICATE", [0x30, 0x82, 0x03, 0x5a, 0x30, 0x82, 0x02, 0x42, ...randBytes(850)]);

function pgpPrivate(): string {
  const body = wrap(b64Bytes([0x95, 0x05, 0x86, 0x04, ...randBytes(1300)]), 64);
  return `-----BEGIN PGP PRIVATE KEY BLOCK-----\n\n${body}\n=${
    pick(B64, 4)
  }\n-----END PGP PRIVATE KEY BLOCK-----`;
}

const uuid = (): string =>
  `${hexStr(8)}-${hexStr(4)}-4${hexStr(3)}-${pick("89ab", 1)}${hexStr(3)}-${hexStr(12)}`;

/** Escape newlines for embedding a PEM inside a JSON string (as GCP service-account files do). */
const jsonNl = (s: string): string => s.replace(/\n/g, "\\n");

const now = 1796400000; // 2026-12-04-ish, used in JWT iat/exp claims

// ---------------------------------------------------------------------------------------------------------
// Positives
// ---------------------------------------------------------------------------------------------------------

export const HELDOUT_2026_SECRETS_POSITIVE: SecretCase[] = [
  // ---- AWS ------------------------------------------------------------------------------------------------
  {
    name: "aws: .env with key id and secret",
    text: `# backend/.env  (don't commit!!)
NODE_ENV=production
PORT=8080
AWS_ACCESS_KEY_ID=${awsId()}
AWS_SECRET_ACCESS_KEY=${awsSecret()}
AWS_DEFAULT_REGION=eu-west-1
S3_BUCKET=acme-invoices-prod`,
    expected: ["aws_access_key", "aws_secret_key"],
  },
  {
    name: "aws: ~/.aws/credentials with two profiles, only one filled in",
    text: `why does \`aws s3 ls --profile deploy\` say "partial credentials found"? here's my file:

[default]
aws_access_key_id = ${awsId()}
aws_secret_access_key = ${awsSecret()}

[deploy]
aws_access_key_id =
region = us-east-2`,
    expected: ["aws_access_key", "aws_secret_key"],
  },
  {
    name: "aws: boto3 client with hardcoded keys",
    text: `import boto3

s3 = boto3.client(
    "s3",
    aws_access_key_id="${awsId()}",
    aws_secret_access_key="${awsSecret()}",
    region_name="ap-southeast-2",
)
resp = s3.list_objects_v2(Bucket="media-uploads")
print(resp["KeyCount"])  # always prints 0??`,
    expected: ["aws_access_key", "aws_secret_key"],
  },
  {
    name: "aws: InvalidAccessKeyId error log with temporary key id",
    text: `2026-11-30T09:14:02.771Z ERROR uploader  S3 PutObject failed
botocore.exceptions.ClientError: An error occurred (InvalidAccessKeyId) when calling the PutObject operation: The AWS Access Key Id you provided does not exist in our records.
    AWSAccessKeyId: ${awsId("ASIA")}
    RequestId: 7Q2M9XKZ1B3H8D0F
    HostId: aGVsbG8tdGhpcy1pcy1hLWhvc3QtaWQ=`,
    expected: ["aws_access_key"],
  },
  {
    name: "aws: terraform provider block",
    text: `provider "aws" {
  region     = "us-west-2"
  access_key = "${awsId()}"
  secret_key = "${awsSecret()}"
}

resource "aws_s3_bucket" "logs" {
  bucket = "team-logs-2026"
}`,
    expected: ["aws_access_key", "aws_secret_key"],
  },
  {
    name: "aws: docker-compose environment block",
    text: `services:
  worker:
    image: ghcr.io/acme/worker:1.8.2
    environment:
      - AWS_REGION=us-east-1
      - AWS_ACCESS_KEY_ID=${awsId()}
      - AWS_SECRET_ACCESS_KEY=${awsSecret()}
      - QUEUE_URL=https://sqs.us-east-1.amazonaws.com/123456789012/jobs
    restart: unless-stopped`,
    expected: ["aws_access_key", "aws_secret_key"],
  },
  {
    name: "aws: JS SDK v3 S3Client credentials object",
    text: `const client = new S3Client({
  region: "eu-central-1",
  credentials: {
    accessKeyId: "${awsId()}",
    secretAccessKey: "${awsSecret()}",
  },
});
// works locally but Lambda gives AccessDenied, any idea?`,
    expected: ["aws_access_key", "aws_secret_key"],
  },
  {
    name: "aws: s3cmd config",
    text: `[default]
access_key = ${awsId()}
secret_key = ${awsSecret()}
host_base = s3.amazonaws.com
host_bucket = %(bucket)s.s3.amazonaws.com
use_https = True`,
    expected: ["aws_access_key", "aws_secret_key"],
  },
  {
    name: "aws: Java application.properties",
    text: `spring.application.name=report-service
cloud.aws.region.static=us-east-1
cloud.aws.credentials.access-key=${awsId()}
cloud.aws.credentials.secret-key=${awsSecret()}
cloud.aws.stack.auto=false`,
    expected: ["aws_access_key", "aws_secret_key"],
  },
  {
    name: "aws: shell history with export lines",
    text: `  512  cd infra/
  513  export AWS_ACCESS_KEY_ID=${awsId()}
  514  export AWS_SECRET_ACCESS_KEY=${awsSecret()}
  515  terraform plan -out plan.bin
  516  history | tail`,
    expected: ["aws_access_key", "aws_secret_key"],
  },
  {
    name: "aws: GitHub Actions workflow with env",
    text: `jobs:
  deploy:
    runs-on: ubuntu-latest
    env:
      AWS_ACCESS_KEY_ID: ${awsId()}
      AWS_SECRET_ACCESS_KEY: ${awsSecret()}
    steps:
      - uses: actions/checkout@v4
      - run: aws s3 sync ./dist s3://www.example-shop.com --delete`,
    expected: ["aws_access_key", "aws_secret_key"],
  },

  // ---- GitHub ---------------------------------------------------------------------------------------------
  {
    name: "github: classic PAT in git remote URL",
    text: `$ git remote -v
origin  https://${gh("ghp_")}@github.com/acme-corp/billing-api.git (fetch)
origin  https://github.com/acme-corp/billing-api.git (push)
why are fetch and push different?`,
    expected: ["github_token"],
  },
  {
    name: "github: curl with token header",
    text: `curl -s -H "Authorization: token ${gh("ghp_")}" \\
  -H "Accept: application/vnd.github+json" \\
  https://api.github.com/repos/acme-corp/infra/actions/runs?per_page=5`,
    expected: ["github_token"],
  },
  {
    name: "github: gh CLI hosts.yml with OAuth token",
    text: `# ~/.config/gh/hosts.yml
github.com:
    user: dana-k
    oauth_token: ${gh("gho_")}
    git_protocol: ssh`,
    expected: ["github_token"],
  },
  {
    name: "github: installation token in CI log",
    text: `[2026-12-01 10:22:41] Fetching installation token for app 381920...
[2026-12-01 10:22:42] POST /app/installations/41022918/access_tokens -> 201
[2026-12-01 10:22:42] token=${gh("ghs_")} expires_at=2026-12-01T11:22:42Z
[2026-12-01 10:22:43] cloning acme/monorepo@main`,
    expected: ["github_token"],
  },
  {
    name: "github: OAuth JSON response with user token and refresh token",
    text: `{
  "access_token": "${gh("ghu_")}",
  "expires_in": 28800,
  "refresh_token": "${gh("ghr_")}",
  "refresh_token_expires_in": 15811200,
  "scope": "",
  "token_type": "bearer"
}`,
    expected: ["github_token", "github_token"],
  },
  {
    name: "github: fine-grained PAT in .env",
    text: `GITHUB_OWNER=acme-corp
GITHUB_REPO=release-notes
GITHUB_TOKEN=${ghFine()}
RELEASE_CHANNEL=beta`,
    expected: ["github_token"],
  },
  {
    name: "github: Go code with token in oauth2 static source",
    text: `ts := oauth2.StaticTokenSource(
	&oauth2.Token{AccessToken: "${gh("ghp_")}"},
)
tc := oauth2.NewClient(ctx, ts)
client := github.NewClient(tc)`,
    expected: ["github_token"],
  },
  {
    name: "github: pip requirements with token in git URL",
    text: `requests==2.32.3
pydantic==2.9.2
internal-utils @ git+https://${ghFine()}@github.com/acme-corp/internal-utils.git@v0.14.0`,
    expected: ["github_token"],
  },
  {
    name: "github: docker build arg in shell history",
    text: `docker build --build-arg GH_TOKEN=${gh("ghp_")} -t acme/api:dev .
# the token ends up in the image history, how do I avoid that?`,
    expected: ["github_token"],
  },

  // ---- GitLab ---------------------------------------------------------------------------------------------
  {
    name: "gitlab: PAT in clone URL",
    text: `git clone https://oauth2:${glpat()}@gitlab.com/platform-team/helm-charts.git
fatal: repository not found  <- but I can see it in the UI`,
    expected: ["gitlab_token"],
  },
  {
    name: "gitlab: PRIVATE-TOKEN header",
    text:
      `curl --header "PRIVATE-TOKEN: ${glpat()}" "https://gitlab.example.org/api/v4/projects/42/pipelines?status=failed"`,
    expected: ["gitlab_token"],
  },
  {
    name: "gitlab: python-gitlab config file",
    text: `[global]
default = work
ssl_verify = true
timeout = 5

[work]
url = https://gitlab.internal.acme.io
private_token = ${glpat()}
api_version = 4`,
    expected: ["gitlab_token"],
  },
  {
    name: "gitlab: runner config.toml with runner authentication token",
    text: `concurrent = 4

[[runners]]
  name = "build-box-03"
  url = "https://gitlab.com/"
  token = "${glrt()}"
  executor = "docker"
  [runners.docker]
    image = "alpine:3.20"
    privileged = false`,
    expected: ["gitlab_token"],
  },
  {
    name: "gitlab: deploy token used with docker login",
    text: `echo "${gldt()}" | docker login registry.gitlab.com -u gitlab+deploy-token-118 --password-stdin
Error response from daemon: Get "https://registry.gitlab.com/v2/": denied: access forbidden`,
    expected: ["gitlab_token"],
  },
  {
    name: "gitlab: terraform provider",
    text: `provider "gitlab" {
  base_url = "https://gitlab.com/api/v4/"
  token    = "${glpat()}"
}`,
    expected: ["gitlab_token"],
  },
  {
    name: "gitlab: newer routable PAT in .env",
    text: `GITLAB_URL=https://gitlab.com
GITLAB_TOKEN=${glpatRoutable()}
GITLAB_PROJECT_ID=58211934`,
    expected: ["gitlab_token"],
  },

  // ---- Slack tokens ---------------------------------------------------------------------------------------
  {
    name: "slack: bot token in slack_sdk code",
    text: `from slack_sdk import WebClient

client = WebClient(token="${xoxb()}")
client.chat_postMessage(channel="#deploys", text="Deploy finished :rocket:")`,
    expected: ["slack_token"],
  },
  {
    name: "slack: user token in curl",
    text: `curl -X POST https://slack.com/api/users.profile.set \\
  -H "Authorization: Bearer ${xoxp()}" \\
  -H "Content-type: application/json; charset=utf-8" \\
  --data '{"profile":{"status_text":"on call","status_emoji":":pager:"}}'`,
    expected: ["slack_token"],
  },
  {
    name: "slack: Bolt .env with bot and app-level tokens",
    text: `SLACK_BOT_TOKEN=${xoxb()}
SLACK_APP_TOKEN=${xapp()}
SLACK_SIGNING_SECRET_FILE=/run/secrets/slack_signing
PORT=3000`,
    expected: ["slack_token", "slack_token"],
  },
  {
    name: "slack: Node Bolt App constructor",
    text: `const app = new App({
  token: "${xoxb()}",
  signingSecret: process.env.SLACK_SIGNING_SECRET,
  socketMode: false,
});`,
    expected: ["slack_token"],
  },
  {
    name: "slack: error log with token in request dump",
    text:
      `slack_sdk.errors.SlackApiError: The request to the Slack API failed. (url: https://www.slack.com/api/conversations.history)
The server responded with: {'ok': False, 'error': 'missing_scope', 'needed': 'channels:history', 'provided': 'chat:write'}
DEBUG request headers: {'Authorization': 'Bearer ${xoxb()}', 'User-Agent': 'Python/3.12 slackclient/3.33.1'}`,
    expected: ["slack_token"],
  },
  {
    name: "slack: Kubernetes secret stringData",
    text: `apiVersion: v1
kind: Secret
metadata:
  name: slackbot
  namespace: chatops
type: Opaque
stringData:
  SLACK_BOT_TOKEN: ${xoxb()}`,
    expected: ["slack_token"],
  },
  {
    name: "slack: app-level token alone in shell",
    text: `$ export SLACK_APP_TOKEN=${xapp()}
$ python socket_mode_app.py
⚡️ Bolt app is running!`,
    expected: ["slack_token"],
  },

  // ---- Slack webhooks -------------------------------------------------------------------------------------
  {
    name: "slack_webhook: curl POST",
    text:
      `curl -X POST -H 'Content-type: application/json' --data '{"text":"Backup completed"}' ${slackHook()}`,
    expected: ["slack_webhook"],
  },
  {
    name: "slack_webhook: Alertmanager receiver",
    text: `receivers:
  - name: team-sre
    slack_configs:
      - api_url: '${slackHook()}'
        channel: '#alerts-prod'
        send_resolved: true
        title: '{{ .CommonLabels.alertname }}'`,
    expected: ["slack_webhook"],
  },
  {
    name: "slack_webhook: Python requests",
    text: `import requests, json
WEBHOOK = "${slackHook()}"
def notify(msg):
    requests.post(WEBHOOK, data=json.dumps({"text": msg}), timeout=5)`,
    expected: ["slack_webhook"],
  },
  {
    name: "slack_webhook: Jenkinsfile",
    text: `post {
    failure {
        sh """curl -s -X POST -d '{"text":"Build \${env.BUILD_NUMBER} failed"}' ${slackHook()}"""
    }
}`,
    expected: ["slack_webhook"],
  },
  {
    name: "slack_webhook: .env",
    text: `SLACK_WEBHOOK_URL=${slackHook()}
NOTIFY_ON=failure,recovery`,
    expected: ["slack_webhook"],
  },
  {
    name: "slack_webhook: Grafana contact point JSON",
    text: `{
  "name": "ops-slack",
  "type": "slack",
  "settings": {
    "url": "${slackHook()}",
    "recipient": "#grafana",
    "mentionChannel": "here"
  }
}`,
    expected: ["slack_webhook"],
  },
  {
    name: "slack_webhook: GitHub Actions step",
    text: `- name: Notify Slack
  if: failure()
  run: |
    curl -X POST -H 'Content-type: application/json' \\
      --data "{\\"text\\":\\"$GITHUB_REPOSITORY failed on $GITHUB_REF\\"}" \\
      ${slackHook()}`,
    expected: ["slack_webhook"],
  },

  // ---- Stripe ---------------------------------------------------------------------------------------------
  {
    name: "stripe: live secret key in .env",
    text: `STRIPE_SECRET_KEY=${skLive51()}
STRIPE_PRICE_PRO=price_1QxYzAbCdEfGhIjK
CHECKOUT_SUCCESS_URL=https://shop.example.com/thanks`,
    expected: ["stripe_key"],
  },
  {
    name: "stripe: restricted key with curl -u",
    text: `curl https://api.stripe.com/v1/charges?limit=3 -u ${rkLive()}:`,
    expected: ["stripe_key"],
  },
  {
    name: "stripe: Python api_key assignment",
    text: `import stripe
stripe.api_key = "${skLive()}"

session = stripe.checkout.Session.create(
    mode="subscription",
    line_items=[{"price": "price_1PqR2sT3uV4wX5yZ", "quantity": 1}],
)`,
    expected: ["stripe_key"],
  },
  {
    name: "stripe: Node require with key",
    text: `const stripe = require("stripe")("${skLive51()}");
const refund = await stripe.refunds.create({ payment_intent: "pi_3QabcDEFghiJKL0m1nOpQrSt" });`,
    expected: ["stripe_key"],
  },
  {
    name: "stripe: application log line",
    text:
      `[payments] 2026-11-28 22:10:07 WARN retrying Stripe call (attempt 2/3) key=${skLive()} endpoint=/v1/payment_intents status=429`,
    expected: ["stripe_key"],
  },
  {
    name: "stripe: PHP config array",
    text: `<?php
return [
    'stripe' => [
        'secret' => '${skLive51()}',
        'currency' => 'eur',
    ],
];`,
    expected: ["stripe_key"],
  },
  {
    name: "stripe: Rails credentials dump",
    text: `$ bin/rails credentials:show
stripe:
  secret_key: ${rkLive()}
  webhook_tolerance: 300
secret_key_base: <redacted>`,
    expected: ["stripe_key"],
  },

  // ---- OpenAI ---------------------------------------------------------------------------------------------
  {
    name: "openai: project key in .env",
    text: `OPENAI_API_KEY=${openaiProj()}
OPENAI_MODEL=gpt-4.1-mini
MAX_TOKENS=800`,
    expected: ["openai_key"],
  },
  {
    name: "openai: curl bearer",
    text: `curl https://api.openai.com/v1/chat/completions \\
  -H "Content-Type: application/json" \\
  -H "Authorization: Bearer ${openaiProj()}" \\
  -d '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}'
it returns 429 insufficient_quota even though I have credit`,
    expected: ["openai_key"],
  },
  {
    name: "openai: Python client constructor",
    text: `from openai import OpenAI
client = OpenAI(api_key="${openaiProj()}")
resp = client.responses.create(model="gpt-4.1", input="Summarise this ticket")`,
    expected: ["openai_key"],
  },
  {
    name: "openai: legacy key in LangChain snippet",
    text: `from langchain_openai import ChatOpenAI
llm = ChatOpenAI(model="gpt-3.5-turbo", openai_api_key="${openaiLegacy()}", temperature=0)`,
    expected: ["openai_key"],
  },
  {
    name: "openai: service-account key in k8s secret",
    text: `apiVersion: v1
kind: Secret
metadata:
  name: llm-gateway
stringData:
  OPENAI_API_KEY: "${openaiSvc()}"`,
    expected: ["openai_key"],
  },
  {
    name: "openai: Jupyter cell setting env var",
    text: `In [3]: import os
        os.environ["OPENAI_API_KEY"] = "${openaiProj()}"
In [4]: from openai import OpenAI; OpenAI().models.list()`,
    expected: ["openai_key"],
  },
  {
    name: "openai: JS fetch",
    text: `const r = await fetch("https://api.openai.com/v1/embeddings", {
  method: "POST",
  headers: { "Authorization": "Bearer ${openaiLegacy()}", "Content-Type": "application/json" },
  body: JSON.stringify({ model: "text-embedding-3-small", input: texts }),
});`,
    expected: ["openai_key"],
  },

  // ---- Anthropic ------------------------------------------------------------------------------------------
  {
    name: "anthropic: .env",
    text: `ANTHROPIC_API_KEY=${antKey()}
ANTHROPIC_MODEL=claude-sonnet-4-5`,
    expected: ["anthropic_key"],
  },
  {
    name: "anthropic: curl x-api-key",
    text: `curl https://api.anthropic.com/v1/messages \\
  -H "x-api-key: ${antKey()}" \\
  -H "anthropic-version: 2023-06-01" \\
  -H "content-type: application/json" \\
  -d '{"model":"claude-haiku-4-5","max_tokens":256,"messages":[{"role":"user","content":"ping"}]}'`,
    expected: ["anthropic_key"],
  },
  {
    name: "anthropic: Python SDK constructor",
    text: `import anthropic
client = anthropic.Anthropic(api_key="${antKey()}")
msg = client.messages.create(model="claude-opus-4-1", max_tokens=1024, messages=[{"role": "user", "content": q}])`,
    expected: ["anthropic_key"],
  },
  {
    name: "anthropic: TypeScript SDK",
    text: `import Anthropic from "@anthropic-ai/sdk";
const anthropic = new Anthropic({ apiKey: "${antKey()}" });`,
    expected: ["anthropic_key"],
  },
  {
    name: "anthropic: admin key in curl for usage report",
    text:
      `curl "https://api.anthropic.com/v1/organizations/usage_report/messages?starting_at=2026-11-01T00:00:00Z" \\
  --header "anthropic-version: 2023-06-01" \\
  --header "x-api-key: ${antAdmin()}"`,
    expected: ["anthropic_key"],
  },
  {
    name: "anthropic: TOML config for a CLI tool",
    text: `[provider.anthropic]
api_key = "${antKey()}"
model = "claude-sonnet-4-5"
max_tokens = 4096`,
    expected: ["anthropic_key"],
  },
  {
    name: "anthropic: shell export in a bug report",
    text: `Steps to reproduce:
1. export ANTHROPIC_API_KEY=${antKey()}
2. run \`aider --model sonnet\`
3. observe "overloaded_error" after ~30s`,
    expected: ["anthropic_key"],
  },

  // ---- Google API keys ------------------------------------------------------------------------------------
  {
    name: "google: Firebase web config",
    text: `const firebaseConfig = {
  apiKey: "${gkey()}",
  authDomain: "pet-tracker-4f1a2.firebaseapp.com",
  projectId: "pet-tracker-4f1a2",
  storageBucket: "pet-tracker-4f1a2.appspot.com",
  messagingSenderId: "918273645501",
  appId: "1:918273645501:web:3c9d2e1f0a7b6c5d"
};`,
    expected: ["google_api_key"],
  },
  {
    name: "google: Maps JS script tag",
    text: `<script async
  src="https://maps.googleapis.com/maps/api/js?key=${gkey()}&callback=initMap&libraries=places">
</script>`,
    expected: ["google_api_key"],
  },
  {
    name: "google: Gemini API curl with key query param",
    text:
      `curl "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:generateContent?key=${gkey()}" \\
  -H 'Content-Type: application/json' \\
  -d '{"contents":[{"parts":[{"text":"Explain RAID 5"}]}]}'`,
    expected: ["google_api_key"],
  },
  {
    name: "google: google-services.json fragment",
    text: `"client": [{
  "client_info": { "mobilesdk_app_id": "1:55512340987:android:ab12cd34ef56ab78", "android_client_info": { "package_name": "com.example.steps" } },
  "api_key": [{ "current_key": "${gkey()}" }]
}]`,
    expected: ["google_api_key"],
  },
  {
    name: "google: YouTube Data API in Python",
    text: `from googleapiclient.discovery import build
youtube = build("youtube", "v3", developerKey="${gkey()}")
req = youtube.search().list(q="lofi", part="snippet", maxResults=5)`,
    expected: ["google_api_key"],
  },
  {
    name: "google: .env for a Next.js app",
    text: `NEXT_PUBLIC_SITE_URL=https://trails.example.com
GOOGLE_PLACES_API_KEY=${gkey()}`,
    expected: ["google_api_key"],
  },
  {
    name: "google: Android strings.xml",
    text: `<resources>
    <string name="app_name">Steps</string>
    <string name="google_maps_key" templateMergeStrategy="preserve" translatable="false">${gkey()}</string>
</resources>`,
    expected: ["google_api_key"],
  },

  // ---- Twilio ---------------------------------------------------------------------------------------------
  {
    name: "twilio: Python client with account SID (token from env)",
    text: `import os
from twilio.rest import Client
client = Client("${twAC()}", os.environ["TWILIO_AUTH_TOKEN"])
client.messages.create(to="+15558675310", from_="+15017122661", body="Your code is 481920")`,
    expected: ["twilio"],
  },
  {
    name: "twilio: curl -u with SID and env token",
    text: `curl -X POST "https://api.twilio.com/2010-04-01/Accounts/$TWILIO_ACCOUNT_SID/Messages.json" \\
  --data-urlencode "Body=Hello" --data-urlencode "To=+15558675310" --data-urlencode "From=+15017122661" \\
  -u ${twAC()}:$TWILIO_AUTH_TOKEN`,
    expected: ["twilio"],
  },
  {
    name: "twilio: .env with account SID and API key SID",
    text: `TWILIO_ACCOUNT_SID=${twAC()}
TWILIO_API_KEY=${twSK()}
TWILIO_API_SECRET=\${TWILIO_API_SECRET_FROM_VAULT}
TWILIO_FROM=+15017122661`,
    expected: ["twilio", "twilio"],
  },
  {
    name: "twilio: Node client with API key SID",
    text: `const client = require("twilio")("${twSK()}", process.env.TWILIO_API_SECRET, {
  accountSid: "${twAC()}",
});`,
    expected: ["twilio", "twilio"],
  },
  {
    name: "twilio: webhook request log",
    text: `POST /sms/inbound 200 12ms
  AccountSid=${twAC()}
  From=%2B15558675310
  Body=STOP
  MessageSid=SM${hexStr(32)}`,
    expected: ["twilio"],
  },
  {
    name: "twilio: Go config struct literal",
    text: `cfg := notify.TwilioConfig{
	AccountSID: "${twAC()}",
	AuthToken:  os.Getenv("TWILIO_AUTH_TOKEN"),
	From:       "+15017122661",
}`,
    expected: ["twilio"],
  },

  // ---- SendGrid -------------------------------------------------------------------------------------------
  {
    name: "sendgrid: .env",
    text: `SENDGRID_API_KEY=${sg()}
MAIL_FROM=no-reply@example.com`,
    expected: ["sendgrid"],
  },
  {
    name: "sendgrid: curl bearer",
    text: `curl --request POST --url https://api.sendgrid.com/v3/mail/send \\
  --header "Authorization: Bearer ${sg()}" \\
  --header 'Content-Type: application/json' \\
  --data '{"personalizations":[{"to":[{"email":"qa@example.com"}]}],"from":{"email":"no-reply@example.com"},"subject":"test","content":[{"type":"text/plain","value":"hi"}]}'`,
    expected: ["sendgrid"],
  },
  {
    name: "sendgrid: Python client",
    text: `from sendgrid import SendGridAPIClient
sg = SendGridAPIClient("${sg()}")
response = sg.send(message)
print(response.status_code)  # 403 forbidden?`,
    expected: ["sendgrid"],
  },
  {
    name: "sendgrid: Django SMTP settings",
    text: `EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
EMAIL_HOST = "smtp.sendgrid.net"
EMAIL_PORT = 587
EMAIL_USE_TLS = True
EMAIL_HOST_USER = "apikey"
EMAIL_HOST_PASSWORD = "${sg()}"`,
    expected: ["sendgrid"],
  },
  {
    name: "sendgrid: Node setApiKey",
    text: `const sgMail = require("@sendgrid/mail");
sgMail.setApiKey("${sg()}");`,
    expected: ["sendgrid"],
  },
  {
    name: "sendgrid: postfix sasl_passwd",
    text: `# /etc/postfix/sasl_passwd
[smtp.sendgrid.net]:587 apikey:${sg()}`,
    expected: ["sendgrid"],
  },

  // ---- npm ------------------------------------------------------------------------------------------------
  {
    name: "npm: .npmrc authToken",
    text: `registry=https://registry.npmjs.org/
//registry.npmjs.org/:_authToken=${npm()}
save-exact=true`,
    expected: ["npm_token"],
  },
  {
    name: "npm: GitHub Actions NODE_AUTH_TOKEN hardcoded",
    text: `- uses: actions/setup-node@v4
  with:
    node-version: 22
    registry-url: https://registry.npmjs.org
- run: npm publish --access public
  env:
    NODE_AUTH_TOKEN: ${npm()}`,
    expected: ["npm_token"],
  },
  {
    name: "npm: Dockerfile writing .npmrc",
    text: `FROM node:22-alpine
WORKDIR /app
RUN echo "//registry.npmjs.org/:_authToken=${npm()}" > .npmrc
COPY package*.json ./
RUN npm ci && rm .npmrc`,
    expected: ["npm_token"],
  },
  {
    name: "npm: .yarnrc.yml",
    text: `nodeLinker: node-modules
npmScopes:
  acme:
    npmRegistryServer: "https://registry.npmjs.org"
    npmAuthToken: "${npm()}"`,
    expected: ["npm_token"],
  },
  {
    name: "npm: shell history npm config set",
    text: `npm config set //registry.npmjs.org/:_authToken ${npm()}
npm whoami
npm publish`,
    expected: ["npm_token"],
  },
  {
    name: "npm: CI log echoing env",
    text: `+ env | grep -i npm
NPM_CONFIG_LOGLEVEL=warn
NPM_TOKEN=${npm()}
+ npm publish --tag next
npm notice Publishing to https://registry.npmjs.org/ with tag next and public access`,
    expected: ["npm_token"],
  },

  // ---- JWT ------------------------------------------------------------------------------------------------
  {
    name: "jwt: curl bearer HS256",
    text: `curl -H "Authorization: Bearer ${
      jwt({ alg: "HS256", typ: "JWT" }, { sub: "user_8812", role: "admin", iat: now, exp: now + 3600 })
    }" https://api.internal.example.com/v2/admin/users`,
    expected: ["jwt"],
  },
  {
    name: "jwt: Supabase service_role key in .env",
    text: `SUPABASE_URL=https://xyzcompany.supabase.co
SUPABASE_SERVICE_ROLE_KEY=${
      jwt({ alg: "HS256", typ: "JWT" }, {
        iss: "supabase",
        ref: "qwertyuiopasdfgh",
        role: "service_role",
        iat: now - 86400 * 200,
        exp: now + 86400 * 3000,
      })
    }`,
    expected: ["jwt"],
  },
  {
    name: "jwt: raw HTTP request dump",
    text: `GET /api/orders?page=2 HTTP/1.1
Host: shop.example.com
Accept: application/json
Authorization: Bearer ${
      jwt({ alg: "RS256", typ: "JWT", kid: "k1-2026" }, {
        iss: "https://auth.example.com/",
        sub: "auth0|6650f1e2c3b4a59687",
        aud: "shop-api",
        iat: now,
        exp: now + 900,
        scope: "orders:read",
      }, 342)
    }
User-Agent: okhttp/4.12.0`,
    expected: ["jwt"],
  },
  {
    name: "jwt: cookie header",
    text: `Cookie: theme=dark; session=${
      jwt({ alg: "HS512", typ: "JWT" }, {
        uid: 5531,
        email: "maria@example.com",
        iat: now,
        exp: now + 604800,
      }, 86)
    }; _ga=GA1.2.1234567890.1700000000`,
    expected: ["jwt"],
  },
  {
    name: "jwt: pytest fixture with token",
    text: `@pytest.fixture
def auth_headers():
    token = "${jwt({ alg: "HS256", typ: "JWT" }, { sub: "svc-reporting", tenant: "acme", iat: now })}"
    return {"Authorization": f"Bearer {token}"}`,
    expected: ["jwt"],
  },
  {
    name: "jwt: Kubernetes service account token from a pod",
    text: `$ cat /var/run/secrets/kubernetes.io/serviceaccount/token
${
      jwt({ alg: "RS256", kid: pick(B64URL, 43) }, {
        aud: ["https://kubernetes.default.svc.cluster.local"],
        exp: now + 3600,
        iat: now,
        iss: "https://kubernetes.default.svc.cluster.local",
        "kubernetes.io": {
          namespace: "payments",
          pod: { name: "ledger-7d9f8b6c5-x2k4p", uid: uuid() },
          serviceaccount: { name: "ledger", uid: uuid() },
        },
        nbf: now,
        sub: "system:serviceaccount:payments:ledger",
      }, 342)
    }`,
    expected: ["jwt"],
  },
  {
    name: "jwt: localStorage paste from devtools",
    text: `> localStorage.getItem("auth")
'{"accessToken":"${
      jwt({ alg: "ES256", typ: "JWT" }, {
        sub: "42",
        name: "Test Admin",
        admin: true,
        iat: now,
        exp: now + 7200,
      }, 86)
    }","expiresIn":7200}'`,
    expected: ["jwt"],
  },
  {
    name: "jwt: Postman environment export",
    text: `{
  "name": "staging",
  "values": [
    { "key": "baseUrl", "value": "https://staging-api.example.com", "enabled": true },
    { "key": "accessToken", "value": "${
      jwt({ alg: "HS256", typ: "JWT" }, {
        sub: "qa-bot",
        roles: ["qa", "support"],
        iat: now,
        exp: now + 86400,
      })
    }", "enabled": true }
  ]
}`,
    expected: ["jwt"],
  },

  // ---- Private keys ---------------------------------------------------------------------------------------
  {
    name: "private_key: RSA PKCS#1 pasted with question",
    text: `is this the right format for the nginx ssl_certificate_key? it starts like this:

${rsaPkcs1()}`,
    expected: ["private_key"],
  },
  {
    name: "private_key: PKCS#8 PEM in a file listing",
    text: `$ cat certs/server.key
${rsaPkcs8()}
$ ls -l certs/
-rw-r--r-- 1 deploy deploy 1704 Nov 30 12:01 server.key`,
    expected: ["private_key"],
  },
  {
    name: "private_key: EC key",
    text: `${ecKey()}`,
    expected: ["private_key"],
  },
  {
    name: "private_key: OpenSSH ed25519 key from cat ~/.ssh/id_ed25519",
    text: `ok so I did cat ~/.ssh/id_ed25519 and got this, which part goes into GitHub?

${opensshEd25519("dev@laptop")}`,
    expected: ["private_key"],
  },
  {
    name: "private_key: GCP service account JSON (escaped newlines)",
    text: `{
  "type": "service_account",
  "project_id": "analytics-prod-3321",
  "private_key_id": "${hexStr(40)}",
  "private_key": "${jsonNl(rsaPkcs8())}\\n",
  "client_email": "bq-loader@analytics-prod-3321.iam.gserviceaccount.com",
  "client_id": "10928374650192837465",
  "auth_uri": "https://accounts.google.com/o/oauth2/auth",
  "token_uri": "https://oauth2.googleapis.com/token"
}`,
    expected: ["private_key"],
  },
  {
    name: "private_key: Kubernetes TLS secret with base64-encoded PEM key",
    text: `apiVersion: v1
kind: Secret
type: kubernetes.io/tls
metadata:
  name: web-tls
data:
  tls.crt: ${b64Text(certPem())}
  tls.key: ${b64Text(ecKey())}`,
    expected: ["private_key"],
  },
  {
    name: "private_key: PGP private key block",
    text: `exported with gpg --export-secret-keys --armor, can you tell me if it's expired?

${pgpPrivate()}`,
    expected: ["private_key"],
  },
  {
    name: "private_key: ansible inventory var with inline key",
    text: `all:
  hosts:
    bastion:
      ansible_host: 203.0.113.10
      ansible_user: ubuntu
      ansible_ssh_private_key: |
${opensshEd25519("ansible@ci").split("\n").map((l) => "        " + l).join("\n")}`,
    expected: ["private_key"],
  },

  // ---- Database URLs --------------------------------------------------------------------------------------
  {
    name: "database_url: postgres in .env",
    text: `DATABASE_URL=postgres://app_user:${pw(24)}@db.internal.example.com:5432/orders
REDIS_URL=redis://cache.internal.example.com:6379/0`,
    expected: ["database_url"],
  },
  {
    name: "database_url: MongoDB Atlas SRV",
    text: `const uri = "mongodb+srv://analytics:${
      pw(16)
    }@cluster0.ab1cd.mongodb.net/events?retryWrites=true&w=majority";
const client = new MongoClient(uri);`,
    expected: ["database_url"],
  },
  {
    name: "database_url: mysql in Rails database.yml",
    text: `production:
  adapter: mysql2
  url: mysql://rails:${pw(20)}@mysql-primary.prod:3306/storefront
  pool: 10`,
    expected: ["database_url"],
  },
  {
    name: "database_url: redis with password only",
    text: `CELERY_BROKER_URL = "redis://:${pw(32)}@10.0.4.17:6379/1"`,
    expected: ["database_url"],
  },
  {
    name: "database_url: rediss Upstash",
    text: `UPSTASH_REDIS_URL=rediss://default:${pw(34)}@eu1-brave-otter-38211.upstash.io:6379`,
    expected: ["database_url"],
  },
  {
    name: "database_url: SQLAlchemy create_engine",
    text: `engine = create_engine(
    "postgresql+psycopg2://etl:${pw(18)}@warehouse.cluster-abc123.us-east-1.rds.amazonaws.com:5432/dwh",
    pool_pre_ping=True,
)`,
    expected: ["database_url"],
  },
  {
    name: "database_url: connection error in a stack trace",
    text: `Traceback (most recent call last):
  File "/app/migrate.py", line 14, in <module>
    conn = psycopg.connect(DSN)
psycopg.OperationalError: connection failed: could not translate host name "pg-prod" to address
DSN was: postgresql://admin:${pw(22)}@pg-prod:5432/ledger?sslmode=require`,
    expected: ["database_url"],
  },
  {
    name: "database_url: JDBC with password parameter",
    text: `spring.datasource.url=jdbc:postgresql://pg.internal:5432/hr?user=hr_app&password=${pw(20)}&ssl=true
spring.jpa.hibernate.ddl-auto=validate`,
    expected: ["database_url"],
  },
  {
    name: "database_url: MongoDB replica set URI",
    text: `MONGO_URI=mongodb://root:${
      pw(20)
    }@mongo-0.mongo:27017,mongo-1.mongo:27017,mongo-2.mongo:27017/admin?replicaSet=rs0`,
    expected: ["database_url"],
  },

  // ---- Azure storage --------------------------------------------------------------------------------------
  {
    name: "azure_storage: appsettings.json connection string",
    text: `{
  "ConnectionStrings": {
    "Blob": "${azureConn("contosomedia01")}"
  },
  "Logging": { "LogLevel": { "Default": "Information" } }
}`,
    expected: ["azure_storage"],
  },
  {
    name: "azure_storage: Azure Functions local.settings.json",
    text: `{
  "IsEncrypted": false,
  "Values": {
    "AzureWebJobsStorage": "${azureConn("funcstate7731")}",
    "FUNCTIONS_WORKER_RUNTIME": "python"
  }
}`,
    expected: ["azure_storage"],
  },
  {
    name: "azure_storage: Python BlobServiceClient",
    text: `from azure.storage.blob import BlobServiceClient
svc = BlobServiceClient.from_connection_string("${azureConn("backupsweu")}")
container = svc.get_container_client("nightly")`,
    expected: ["azure_storage"],
  },
  {
    name: "azure_storage: .env",
    text: `AZURE_STORAGE_CONNECTION_STRING="${azureConn("mlartifacts")}"
AZURE_CONTAINER=models`,
    expected: ["azure_storage"],
  },
  {
    name: "azure_storage: az CLI output",
    text: `$ az storage account show-connection-string -g rg-data -n telemetryraw
{
  "connectionString": "${azureConn("telemetryraw")}"
}`,
    expected: ["azure_storage"],
  },
  {
    name: "azure_storage: account name and key as separate env vars",
    text: `AZURE_STORAGE_ACCOUNT=webassetscdn
AZURE_STORAGE_KEY=${azureKey()}`,
    expected: ["azure_storage"],
  },
  {
    name: "azure_storage: k8s secret",
    text: `apiVersion: v1
kind: Secret
metadata:
  name: blob-creds
stringData:
  connection: "${azureConn("k8slogsarchive")}"`,
    expected: ["azure_storage"],
  },

  // ---- Generic --------------------------------------------------------------------------------------------
  {
    name: "generic: session secret in .env",
    text: `SESSION_SECRET=${secretVal(48)}
COOKIE_DOMAIN=.example.com`,
    expected: ["generic"],
  },
  {
    name: "generic: YAML password field",
    text: `ldap:
  url: ldaps://ldap.corp.example.com:636
  bind_dn: cn=svc-wiki,ou=service,dc=corp,dc=example,dc=com
  password: "${secretVal(26)}"`,
    expected: ["generic"],
  },
  {
    name: "generic: JSON api_token for an internal service",
    text: `{
  "inventory_service": {
    "base_url": "https://inventory.internal",
    "api_token": "${pw(44)}"
  }
}`,
    expected: ["generic"],
  },
  {
    name: "generic: docker-compose postgres password plus matching DATABASE_URL",
    text: (() => {
      const p = pw(22);
      return `services:
  db:
    image: postgres:16
    environment:
      POSTGRES_USER: app
      POSTGRES_PASSWORD: ${p}
  api:
    build: .
    environment:
      DATABASE_URL: postgres://app:${p}@db:5432/app`;
    })(),
    expected: ["generic", "database_url"],
  },
  {
    name: "generic: Django SECRET_KEY",
    text: `# settings/production.py
DEBUG = False
SECRET_KEY = "${mixed(LOWER + DIGITS + "!@#%^&*(-_=+)", 50)}"
ALLOWED_HOSTS = ["app.example.com"]`,
    expected: ["generic"],
  },
  {
    name: "generic: OAuth client secret for an internal IdP",
    text: `oidc:
  issuer: https://sso.corp.example.com/realms/staff
  client_id: grafana
  client_secret: ${pw(32)}`,
    expected: ["generic"],
  },
  {
    name: "generic: redis.conf requirepass",
    text: `bind 0.0.0.0
protected-mode yes
port 6379
requirepass ${secretVal(30)}
maxmemory 2gb`,
    expected: ["generic"],
  },
  {
    name: "generic: X-Api-Key header for a custom API",
    text: `curl -H "X-Api-Key: ${pw(36)}" https://reports.partner-portal.example.net/v1/export?format=csv`,
    expected: ["generic"],
  },
  {
    name: "generic: Spring jwt.secret property",
    text: `jwt.secret=${b64Bytes(randBytes(48))}
jwt.expiration-ms=3600000`,
    expected: ["generic"],
  },
  {
    name: "generic: CLI --password flag in shell history",
    text: `  88  mysqldump --host=10.1.2.3 --user=backup --password='${
      secretVal(24)
    }' --all-databases > all.sql
  89  gzip all.sql`,
    expected: ["generic"],
  },
  {
    name: "generic: webhook signing secret for a home-grown service",
    text: `WEBHOOK_SIGNING_SECRET=${hexStr(64)}
WEBHOOK_TOLERANCE_SECONDS=300`,
    expected: ["generic"],
  },

  // ---- More contexts (prose pastes, less common files) ----------------------------------------------------
  {
    name: "github: ~/.git-credentials",
    text: `$ cat ~/.git-credentials
https://dana-k:${gh("ghp_")}@github.com`,
    expected: ["github_token"],
  },
  {
    name: "github: GitHub Packages token inside .npmrc (a GitHub token, not an npm token)",
    text: `@acme:registry=https://npm.pkg.github.com
//npm.pkg.github.com/:_authToken=${gh("ghp_")}`,
    expected: ["github_token"],
  },
  {
    name: "gitlab: git credential store",
    text: `https://ci-bot:${glpat()}@gitlab.example.org`,
    expected: ["gitlab_token"],
  },
  {
    name: "gitlab: Renovate hostRules",
    text: `module.exports = {
  platform: "gitlab",
  endpoint: "https://gitlab.example.org/api/v4/",
  hostRules: [{ matchHost: "gitlab.example.org", token: "${glpat()}" }],
};`,
    expected: ["gitlab_token"],
  },
  {
    name: "npm: Renovate npmrc option",
    text: `{
  "extends": ["config:recommended"],
  "npmrc": "//registry.npmjs.org/:_authToken=${npm()}"
}`,
    expected: ["npm_token"],
  },
  {
    name: "npm: GitLab CI variables",
    text: `publish:
  stage: release
  variables:
    NPM_TOKEN: "${npm()}"
  script:
    - echo "//registry.npmjs.org/:_authToken=\${NPM_TOKEN}" > .npmrc
    - npm publish`,
    expected: ["npm_token"],
  },
  {
    name: "slack_token: chat message pasting a bot token",
    text:
      `hey can you check why this bot token gets invalid_auth? ${xoxb()} — I created it yesterday in the app config page`,
    expected: ["slack_token"],
  },
  {
    name: "sendgrid: Ruby ActionMailer smtp settings",
    text: `config.action_mailer.smtp_settings = {
  user_name: "apikey",
  password: "${sg()}",
  domain: "example.com",
  address: "smtp.sendgrid.net",
  port: 587,
  authentication: :plain,
  enable_starttls_auto: true
}`,
    expected: ["sendgrid"],
  },
  {
    name: "sendgrid: PHP client",
    text: `$sendgrid = new \\SendGrid('${sg()}');
$response = $sendgrid->send($email);`,
    expected: ["sendgrid"],
  },
  {
    name: "twilio: PHP client",
    text: `$twilio = new Client("${twAC()}", getenv("TWILIO_AUTH_TOKEN"));
$message = $twilio->messages->create("+15558675310", ["from" => "+15017122661", "body" => "Hi"]);`,
    expected: ["twilio"],
  },
  {
    name: "twilio: Java init",
    text: `Twilio.init("${twAC()}", System.getenv("TWILIO_AUTH_TOKEN"));
Message message = Message.creator(new PhoneNumber("+15558675310"), new PhoneNumber("+15017122661"), "Ahoy").create();`,
    expected: ["twilio"],
  },
  {
    name: "private_key: RSA key inside a Python string literal",
    text: `PRIVATE_KEY = """${rsaPkcs1()}"""

def sign(payload: bytes) -> bytes:
    key = serialization.load_pem_private_key(PRIVATE_KEY.encode(), password=None)
    return key.sign(payload, padding.PKCS1v15(), hashes.SHA256())`,
    expected: ["private_key"],
  },
  {
    name: "private_key: terraform output of tls_private_key",
    text: `$ terraform output -raw deploy_key_private
${opensshEd25519("terraform")}`,
    expected: ["private_key"],
  },
  {
    name: "jwt: Firebase ID token printed in console",
    text: `[auth] got idToken ${
      jwt({ alg: "RS256", kid: hexStr(40), typ: "JWT" }, {
        iss: "https://securetoken.google.com/pet-tracker-4f1a2",
        aud: "pet-tracker-4f1a2",
        auth_time: now,
        user_id: pick(B62, 28),
        sub: pick(B62, 28),
        iat: now,
        exp: now + 3600,
        email: "tester@example.com",
        firebase: { identities: { email: ["tester@example.com"] }, sign_in_provider: "password" },
      }, 342)
    }`,
    expected: ["jwt"],
  },
  {
    name: "google: Gemini python configure",
    text: `import google.generativeai as genai
genai.configure(api_key="${gkey()}")
model = genai.GenerativeModel("gemini-2.5-pro")`,
    expected: ["google_api_key"],
  },
  {
    name: "openai: docker run -e",
    text: `docker run --rm -p 3000:8080 -e OPENAI_API_KEY=${openaiProj()} ghcr.io/open-webui/open-webui:main`,
    expected: ["openai_key"],
  },
  {
    name: "anthropic: prose paste asking why a key fails",
    text:
      `I keep getting 401 invalid x-api-key. This is the key I'm using: ${antKey()} — is there something wrong with the format?`,
    expected: ["anthropic_key"],
  },
  {
    name: "stripe: Go stripe.Key",
    text: `func init() {
	stripe.Key = "${skLive51()}"
}`,
    expected: ["stripe_key"],
  },
  {
    name: "azure_storage: C# BlobServiceClient",
    text: `var client = new BlobServiceClient("${azureConn("invoicearchive")}");
var container = client.GetBlobContainerClient("pdf");`,
    expected: ["azure_storage"],
  },
  {
    name: "generic: INI smtp password",
    text: `[smtp]
host = mail.corp.example.com
port = 465
username = noreply
password = ${secretVal(28)}`,
    expected: ["generic"],
  },
  {
    name: "generic: encryption key env var",
    text: `FIELD_ENCRYPTION_KEY=${b64Bytes(randBytes(32))}
FIELD_ENCRYPTION_ALGO=aes-256-gcm`,
    expected: ["generic"],
  },
  {
    name: "database_url: ClickHouse",
    text: `CLICKHOUSE_URL=clickhouse://default:${pw(24)}@ch-1.analytics.internal:9000/events`,
    expected: ["database_url"],
  },
  {
    name: "mixed: terraform.tfvars",
    text: `region          = "eu-west-1"
github_token    = "${ghFine()}"
slack_webhook   = "${slackHook()}"
db_password     = "${secretVal(30)}"`,
    expected: ["github_token", "slack_webhook", "generic"],
  },
  {
    name: "mixed: team chat thread sharing keys",
    text: `[10:02] ana: staging is broken, who has the sendgrid key?
[10:03] raj: here ${sg()}
[10:03] raj: and twilio sid is ${twAC()}, token is in 1password
[10:05] ana: thx`,
    expected: ["sendgrid", "twilio"],
  },
  // ---- Mixed ----------------------------------------------------------------------------------------------
  {
    name: "mixed: big production .env",
    text: `# ===== prod.env =====
APP_URL=https://app.example.com
DATABASE_URL=postgresql://prod_rw:${pw(26)}@prod-db.example.internal:5432/app
STRIPE_SECRET_KEY=${skLive51()}
SENDGRID_API_KEY=${sg()}
OPENAI_API_KEY=${openaiProj()}
SENTRY_ENVIRONMENT=production
LOG_LEVEL=info`,
    expected: ["database_url", "stripe_key", "sendgrid", "openai_key"],
  },
  {
    name: "mixed: heroku config output",
    text: `$ heroku config -a acme-prod
=== acme-prod Config Vars
ANTHROPIC_API_KEY:   ${antKey()}
DATABASE_URL:        postgres://u${hexStr(13)}:p${hexStr(63)}@ec2-52-1-2-3.compute-1.amazonaws.com:5432/d${
      hexStr(13)
    }
REDIS_URL:           rediss://:p${hexStr(63)}@ec2-34-5-6-7.compute-1.amazonaws.com:12340
WEB_CONCURRENCY:     2`,
    expected: ["anthropic_key", "database_url", "database_url"],
  },
  {
    name: "mixed: CI job log dumping env",
    text: `$ printenv | sort
CI=true
GITHUB_TOKEN=${gh("ghs_")}
HOME=/home/runner
NPM_TOKEN=${npm()}
SLACK_WEBHOOK=${slackHook()}
TZ=UTC`,
    expected: ["github_token", "npm_token", "slack_webhook"],
  },
  {
    name: "mixed: Kubernetes secret with several services",
    text: `apiVersion: v1
kind: Secret
metadata:
  name: app-secrets
type: Opaque
stringData:
  AWS_ACCESS_KEY_ID: ${awsId()}
  AWS_SECRET_ACCESS_KEY: ${awsSecret()}
  GOOGLE_MAPS_KEY: ${gkey()}
  TWILIO_ACCOUNT_SID: ${twAC()}`,
    expected: ["aws_access_key", "aws_secret_key", "google_api_key", "twilio"],
  },
  {
    name: "mixed: settings.toml for a chat bot",
    text: `[slack]
bot_token = "${xoxb()}"

[llm]
provider = "anthropic"
key = "${antKey()}"

[storage]
connection = "${azureConn("chatbotstore")}"`,
    expected: ["slack_token", "anthropic_key", "azure_storage"],
  },
  {
    name: "mixed: gitlab-ci variables section",
    text: `variables:
  GITLAB_API_TOKEN: "${glpat()}"
  STRIPE_KEY: "${rkLive()}"
  DEPLOY_ENV: staging

deploy:
  stage: deploy
  script: ./scripts/deploy.sh`,
    expected: ["gitlab_token", "stripe_key"],
  },
  {
    name: "mixed: vercel env pull output",
    text: `# Created by Vercel CLI
NEXT_PUBLIC_FIREBASE_API_KEY="${gkey()}"
NEXTAUTH_SECRET="${b64Bytes(randBytes(32))}"
OPENAI_API_KEY="${openaiProj()}"
VERCEL_ENV="development"`,
    expected: ["google_api_key", "generic", "openai_key"],
  },
  {
    name: "mixed: JWT plus database url in a bug report",
    text: `Repro: login returns this token: ${
      jwt({ alg: "HS256", typ: "JWT" }, { sub: "9", role: "support", iat: now, exp: now + 1800 })
    }
and the API then fails with "password authentication failed" against mysql://support_ro:${
      pw(18)
    }@10.20.0.8:3306/crm`,
    expected: ["jwt", "database_url"],
  },
];

// ---------------------------------------------------------------------------------------------------------
// Negatives
// ---------------------------------------------------------------------------------------------------------

/** Stripe's documented test card and other public constants used below. */
const AZURITE_KEY =
  "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

export const HELDOUT_2026_SECRETS_NEGATIVE: SecretCase[] = [
  // ---- documented example credentials ---------------------------------------------------------------------
  {
    name: "aws docs example keys in credentials file",
    text: `[default]
aws_access_key_id = AKIAIOSFODNN7EXAMPLE
aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY`,
    expected: [],
  },
  {
    name: "aws docs example in aws configure transcript",
    text: `$ aws configure
AWS Access Key ID [None]: AKIAIOSFODNN7EXAMPLE
AWS Secret Access Key [None]: wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY
Default region name [None]: us-west-2
Default output format [None]: json`,
    expected: [],
  },
  {
    name: "aws docs example keys in a tutorial export",
    text: `To try it, set the variables (these are the example values from the AWS docs, not real ones):

export AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE
export AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY`,
    expected: [],
  },
  {
    name: "aws docs example access key in IAM JSON",
    text: `{
    "AccessKey": {
        "UserName": "Bob",
        "Status": "Active",
        "CreateDate": "2015-03-09T18:39:23.411Z",
        "AccessKeyId": "AKIAIOSFODNN7EXAMPLE"
    }
}`,
    expected: [],
  },
  {
    name: "aws docs example temporary key id",
    text: `"Credentials": {
    "AccessKeyId": "ASIAIOSFODNN7EXAMPLE",
    "SecretAccessKey": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "SessionToken": "<session-token>",
    "Expiration": "2026-12-04T13:00:00Z"
}`,
    expected: [],
  },
  {
    name: "aws docs example key inside a SigV4 Credential scope",
    text:
      `Authorization: AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, SignedHeaders=host;range;x-amz-date, Signature=${
        hexStr(64)
      }`,
    expected: [],
  },
  {
    name: "aws account id and ARNs only",
    text: `Role ARN: arn:aws:iam::123456789012:role/ci-deployer
Bucket ARN: arn:aws:s3:::acme-artifacts
KMS key: arn:aws:kms:us-east-1:123456789012:key/${uuid()}`,
    expected: [],
  },
  {
    name: "Azurite local emulator well-known account key (public documentation value)",
    text:
      `AzureWebJobsStorage=DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=${AZURITE_KEY};BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;`,
    expected: [],
  },
  {
    name: "Azure UseDevelopmentStorage shortcut",
    text:
      `"Values": { "AzureWebJobsStorage": "UseDevelopmentStorage=true", "FUNCTIONS_WORKER_RUNTIME": "node" }`,
    expected: [],
  },
  {
    name: "jwt.io sample token from documentation",
    text:
      `The jwt.io debugger pre-fills this sample: eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c — paste yours on the left to decode it.`,
    expected: [],
  },
  {
    name: "Slack docs placeholder webhook",
    text:
      `Your webhook URL will look like https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX`,
    expected: [],
  },
  {
    name: "Stripe docs test card number",
    text:
      `Use card 4242 4242 4242 4242, any future expiry date and any 3-digit CVC to simulate a successful payment.`,
    expected: [],
  },
  {
    name: "TOTP docs example secret in otpauth URI",
    text: `otpauth://totp/Example:alice@google.com?secret=JBSWY3DPEHPK3PXP&issuer=Example`,
    expected: [],
  },
  {
    name: "TOTP base32 example in an RFC-style explanation",
    text:
      `For testing, RFC 6238 uses the ASCII seed "12345678901234567890", which in base32 is GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ. Any authenticator app should then show 94287082 at T=59.`,
    expected: [],
  },
  {
    name: "TOTP setup instructions with placeholder secret",
    text:
      `Can't scan the QR code? Enter this key manually: XXXX XXXX XXXX XXXX (you'll find yours on the Security page).`,
    expected: [],
  },

  // ---- masked / redacted ----------------------------------------------------------------------------------
  {
    name: "masked OpenAI key as shown in dashboard",
    text:
      `My keys page lists: "prod-backend  sk-...a9Fq  created Oct 2  last used 3 hours ago". Can I recover the full key?`,
    expected: [],
  },
  {
    name: "masked GitHub token",
    text: `GITHUB_TOKEN=ghp_************************************`,
    expected: [],
  },
  {
    name: "masked Slack token in a log",
    text: `INFO slack: posting to #general with token xoxb-****-****-**** (ok=true)`,
    expected: [],
  },
  {
    name: "masked AWS key id in CLI output",
    text: `      Name                    Value             Type    Location
      ----                    -----             ----    --------
   profile                <not set>             None    None
access_key     ****************Q7XZ shared-credentials-file
secret_key     ****************f00d shared-credentials-file
    region                us-east-1      config-file    ~/.aws/config`,
    expected: [],
  },
  {
    name: "masked Stripe key with bullets",
    text: `STRIPE_SECRET_KEY=sk_live_••••••••••••••••••••M3kq (set in dashboard, rotated 2026-11-02)`,
    expected: [],
  },
  {
    name: "redacted bearer token",
    text: `> GET /v1/me HTTP/2
> Authorization: Bearer [REDACTED]
< HTTP/2 401`,
    expected: [],
  },
  {
    name: "password shown as asterisks",
    text: `smtp:
  host: mail.example.com
  user: alerts
  password: "********"`,
    expected: [],
  },
  {
    name: "x-filled api key",
    text: `api_key=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx`,
    expected: [],
  },
  {
    name: "truncated Anthropic key with ellipsis",
    text:
      `I pasted sk-ant-api03-... into the env var but the SDK says authentication_error. I checked and the key ends in ...kQAA`,
    expected: [],
  },
  {
    name: "GitHub Actions masked secret in log",
    text: `Run curl -H "Authorization: token ***" https://api.github.com/user
{
  "message": "Bad credentials"
}`,
    expected: [],
  },
  {
    name: "connection string with masked password",
    text:
      `psql: error: connection to server at "db.prod" failed: FATAL: password authentication failed for user "app" (url=postgres://app:****@db.prod:5432/app)`,
    expected: [],
  },
  {
    name: "SendGrid key mentioned by prefix only",
    text:
      `SendGrid keys always start with "SG." — if yours doesn't, you copied the key ID instead of the key.`,
    expected: [],
  },

  // ---- placeholders ---------------------------------------------------------------------------------------
  {
    name: "angle-bracket placeholder",
    text: `OPENAI_API_KEY=<your-api-key>`,
    expected: [],
  },
  {
    name: "changeme password",
    text: `database:
  user: admin
  password: changeme`,
    expected: [],
  },
  {
    name: "shell variable reference",
    text: `curl -H "Authorization: Bearer \${OPENAI_API_KEY}" https://api.openai.com/v1/models`,
    expected: [],
  },
  {
    name: "dollar variable in connection string",
    text: `psql "postgresql://app:$DB_PASSWORD@localhost:5432/app"`,
    expected: [],
  },
  {
    name: "your_password_here",
    text: `MYSQL_ROOT_PASSWORD=your_password_here
MYSQL_DATABASE=wordpress`,
    expected: [],
  },
  {
    name: "Stripe placeholder key",
    text: `const stripe = require("stripe")("sk_live_YOUR_SECRET_KEY");`,
    expected: [],
  },
  {
    name: "GitHub placeholder token",
    text: `git clone https://YOUR_TOKEN_HERE@github.com/org/private-repo.git`,
    expected: [],
  },
  {
    name: "Google key placeholder of X's",
    text:
      `<script src="https://maps.googleapis.com/maps/api/js?key=AIzaSyXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"></script>`,
    expected: [],
  },
  {
    name: "Helm template reference",
    text: `env:
  - name: STRIPE_SECRET_KEY
    value: {{ .Values.stripe.secretKey | quote }}`,
    expected: [],
  },
  {
    name: "GitHub Actions secrets expression",
    text: `env:
  NODE_AUTH_TOKEN: \${{ secrets.NPM_TOKEN }}
  SLACK_WEBHOOK_URL: \${{ secrets.SLACK_WEBHOOK_URL }}`,
    expected: [],
  },
  {
    name: "Python format placeholder",
    text: `DSN = "postgresql://%(user)s:%(password)s@%(host)s/%(db)s" % cfg`,
    expected: [],
  },
  {
    name: "REPLACE_ME values",
    text: `SENDGRID_API_KEY=REPLACE_ME
TWILIO_ACCOUNT_SID=REPLACE_ME`,
    expected: [],
  },
  {
    name: "TODO comment instead of key",
    text: `ANTHROPIC_API_KEY=  # TODO ask Priya for the team key`,
    expected: [],
  },
  {
    name: "Terraform variable reference",
    text: `resource "aws_db_instance" "main" {
  username = "app"
  password = var.db_password
}`,
    expected: [],
  },
  {
    name: "process.env reference",
    text: `const client = new Anthropic({ apiKey: process.env.ANTHROPIC_API_KEY });`,
    expected: [],
  },
  {
    name: "os.getenv reference",
    text:
      `s3 = boto3.client("s3", aws_access_key_id=os.getenv("AWS_ACCESS_KEY_ID"), aws_secret_access_key=os.getenv("AWS_SECRET_ACCESS_KEY"))`,
    expected: [],
  },
  {
    name: "Vault path reference",
    text: `db_password: vault:secret/data/prod/postgres#password`,
    expected: [],
  },
  {
    name: "Secrets Manager ARN",
    text: `"secretArn": "arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db/app-AbCdEf"`,
    expected: [],
  },
  {
    name: "1Password secret reference",
    text: `STRIPE_SECRET_KEY="op://Engineering/Stripe Live/credential"`,
    expected: [],
  },
  {
    name: "Atlas placeholder URI",
    text: `mongodb+srv://<username>:<password>@cluster0.example.mongodb.net/?retryWrites=true&w=majority`,
    expected: [],
  },
  {
    name: "uppercase placeholder URI",
    text: `DATABASE_URL=postgres://USER:PASSWORD@HOST:5432/DATABASE`,
    expected: [],
  },
  {
    name: "literal user:password placeholder in docs",
    text: `# Example
DATABASE_URL="postgresql://user:password@localhost:5432/mydb?schema=public"`,
    expected: [],
  },
  {
    name: "Azure connection string template",
    text:
      `DefaultEndpointsProtocol=https;AccountName=<storage-account-name>;AccountKey=<account-key>;EndpointSuffix=core.windows.net`,
    expected: [],
  },
  {
    name: "Anthropic placeholder with x's",
    text: `export ANTHROPIC_API_KEY="sk-ant-xxxxxxxxxxxxxxxxxxxxxxxx"`,
    expected: [],
  },
  {
    name: "Slack placeholder token",
    text: `SLACK_BOT_TOKEN=xoxb-your-bot-token`,
    expected: [],
  },
  {
    name: "npm token placeholder",
    text: `//registry.npmjs.org/:_authToken=\${NPM_TOKEN}`,
    expected: [],
  },
  {
    name: "password prompt transcript",
    text: `$ ssh deploy@203.0.113.5
deploy@203.0.113.5's password:
Permission denied, please try again.`,
    expected: [],
  },
  {
    name: "Docker secrets file reference",
    text: `environment:
  POSTGRES_PASSWORD_FILE: /run/secrets/pg_password
secrets:
  pg_password:
    file: ./secrets/pg_password.txt`,
    expected: [],
  },

  // ---- names without values -------------------------------------------------------------------------------
  {
    name: "empty AWS secret assignment",
    text: `AWS_ACCESS_KEY_ID=
AWS_SECRET_ACCESS_KEY=
AWS_REGION=us-east-1`,
    expected: [],
  },
  {
    name: "export without value",
    text: `export GITHUB_TOKEN
export OPENAI_API_KEY`,
    expected: [],
  },
  {
    name: ".env.example",
    text: `# copy to .env and fill in
STRIPE_SECRET_KEY=
SENDGRID_API_KEY=
DATABASE_URL=
JWT_SECRET=`,
    expected: [],
  },
  {
    name: "unset commands",
    text: `unset AWS_SESSION_TOKEN AWS_SECRET_ACCESS_KEY AWS_ACCESS_KEY_ID`,
    expected: [],
  },
  {
    name: "Kubernetes secretKeyRef",
    text: `env:
  - name: OPENAI_API_KEY
    valueFrom:
      secretKeyRef:
        name: llm-secrets
        key: openai-api-key`,
    expected: [],
  },
  {
    name: "prose naming env vars",
    text:
      `Set STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET in your hosting provider's dashboard, then redeploy.`,
    expected: [],
  },
  {
    name: "python reading token from environ",
    text: `token = os.environ["SLACK_BOT_TOKEN"]
client = WebClient(token=token)`,
    expected: [],
  },
  {
    name: "docker-compose passthrough env",
    text: `services:
  mailer:
    image: acme/mailer
    environment:
      - SENDGRID_API_KEY
      - TWILIO_AUTH_TOKEN`,
    expected: [],
  },
  {
    name: "config schema with types",
    text: `interface Config {
  githubToken: string;   // ghp_... or github_pat_...
  slackWebhook?: string; // https://hooks.slack.com/services/...
  dbPassword: string;
}`,
    expected: [],
  },

  // ---- public keys / certificates -------------------------------------------------------------------------
  {
    name: "PEM public key",
    text: `Here's the public key for verifying our webhooks:

${publicKeyPem()}`,
    expected: [],
  },
  {
    name: "ssh-ed25519 public key in authorized_keys",
    text: `# ~/.ssh/authorized_keys
${sshEd25519Public("maria@workstation")}
${sshEd25519Public("ci-deploy")}`,
    expected: [],
  },
  {
    name: "ssh-rsa public key line",
    text: `Add this to the server please: ${sshRsaPublic("jdoe@MacBook-Pro.local")}`,
    expected: [],
  },
  {
    name: "known_hosts entry",
    text: `github.com ${sshEd25519Public("").trim()}`,
    expected: [],
  },
  {
    name: "X.509 certificate",
    text:
      `$ openssl s_client -connect example.com:443 -showcerts </dev/null 2>/dev/null | sed -n '/BEGIN/,/END/p'
${certPem()}`,
    expected: [],
  },
  {
    name: "JWKS public RSA key",
    text: `{"keys":[{"kty":"RSA","use":"sig","kid":"2026-11","alg":"RS256","e":"AQAB","n":"${
      b64Bytes(randBytes(256)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "")
    }"}]}`,
    expected: [],
  },
  {
    name: "PGP public key block",
    text: `-----BEGIN PGP PUBLIC KEY BLOCK-----

${wrap(b64Bytes([0x99, 0x01, 0x8d, 0x04, ...randBytes(400)]), 64)}
=${pick(B64, 4)}
-----END PGP PUBLIC KEY BLOCK-----`,
    expected: [],
  },
  {
    name: "WireGuard peer public key only",
    text: `[Peer]
PublicKey = ${b64Bytes(randBytes(32))}
AllowedIPs = 10.8.0.2/32
Endpoint = vpn.example.com:51820`,
    expected: [],
  },
  {
    name: "age recipient public key",
    text: `sops --encrypt --age age1${
      pick("qpzry9x8gf2tvdw0s3jn54khce6mua7l", 58)
    } secrets.yaml > secrets.enc.yaml`,
    expected: [],
  },
  {
    name: "GPG fingerprint",
    text: `pub   ed25519 2024-03-01 [SC]
      ${pick("0123456789ABCDEF", 40)}
uid           [ultimate] Maria Lopez <maria@example.com>`,
    expected: [],
  },
  {
    name: "certificate signing request",
    text: pem("CERTIFICATE REQUEST", [0x30, 0x82, 0x02, 0x9a, 0x30, 0x82, 0x01, 0x82, ...randBytes(640)]),
    expected: [],
  },

  // ---- ids, hashes, digests -------------------------------------------------------------------------------
  {
    name: "UUID request id",
    text: `Error 500. Please quote request id ${uuid()} when contacting support.`,
    expected: [],
  },
  {
    name: "Azure tenant and client ids",
    text: `AZURE_TENANT_ID=${uuid()}
AZURE_CLIENT_ID=${uuid()}
AZURE_SUBSCRIPTION_ID=${uuid()}`,
    expected: [],
  },
  {
    name: "Kubernetes object uid",
    text: `metadata:
  name: api-6f7c9d8b5-qwz2x
  uid: ${uuid()}
  resourceVersion: "48213390"`,
    expected: [],
  },
  {
    name: "git log with SHAs",
    text: `commit ${hexStr(40)}
Author: Sam Ito <sam@example.com>
Date:   Tue Dec 1 14:22:10 2026 +0900

    fix: handle empty cart

commit ${hexStr(40)}
Author: Sam Ito <sam@example.com>
Date:   Mon Nov 30 09:01:44 2026 +0900

    chore: bump deps`,
    expected: [],
  },
  {
    name: "commit URL",
    text: `This regressed in https://github.com/acme/widget/commit/${hexStr(40)} — can you look?`,
    expected: [],
  },
  {
    name: "GitHub Action pinned by SHA",
    text: `- uses: actions/checkout@${hexStr(40)} # v4.2.2
- uses: actions/setup-node@${hexStr(40)} # v4.1.0`,
    expected: [],
  },
  {
    name: "git diff index line",
    text: `diff --git a/src/app.py b/src/app.py
index ${hexStr(7)}..${hexStr(7)} 100644
--- a/src/app.py
+++ b/src/app.py`,
    expected: [],
  },
  {
    name: "go.mod pseudo-version",
    text: `require github.com/acme/util v0.0.0-20261130101112-${hexStr(12)}`,
    expected: [],
  },
  {
    name: "sha256sum output",
    text: `$ sha256sum release-v2.4.0.tar.gz
${hexStr(64)}  release-v2.4.0.tar.gz`,
    expected: [],
  },
  {
    name: "docker image digest",
    text: `Status: Downloaded newer image for nginx:1.27
Digest: sha256:${hexStr(64)}
docker.io/library/nginx:1.27`,
    expected: [],
  },
  {
    name: "image pinned by digest in k8s manifest",
    text: `containers:
  - name: api
    image: ghcr.io/acme/api@sha256:${hexStr(64)}`,
    expected: [],
  },
  {
    name: "Terraform lock file hashes",
    text: `provider "registry.terraform.io/hashicorp/aws" {
  version     = "5.80.0"
  constraints = "~> 5.0"
  hashes = [
    "h1:${b64Bytes(randBytes(32))}",
    "zh:${hexStr(64)}",
    "zh:${hexStr(64)}",
  ]
}`,
    expected: [],
  },
  {
    name: "subresource integrity attribute",
    text:
      `<script src="https://cdn.jsdelivr.net/npm/chart.js@4.4.6/dist/chart.umd.min.js" integrity="sha384-${
        b64Bytes(randBytes(48))
      }" crossorigin="anonymous"></script>`,
    expected: [],
  },
  {
    name: "container id from docker ps --no-trunc",
    text: `CONTAINER ID                                                       IMAGE         STATUS
${hexStr(64)}   redis:7.4     Up 3 days`,
    expected: [],
  },
  {
    name: "package-lock integrity",
    text: `"node_modules/lodash": {
  "version": "4.17.21",
  "resolved": "https://registry.npmjs.org/lodash/-/lodash-4.17.21.tgz",
  "integrity": "sha512-${b64Bytes(randBytes(64))}"
}`,
    expected: [],
  },
  {
    name: "yarn.lock entry",
    text: `react@^18.3.1:
  version "18.3.1"
  resolved "https://registry.yarnpkg.com/react/-/react-18.3.1.tgz#${hexStr(40)}"
  integrity sha512-${b64Bytes(randBytes(64))}`,
    expected: [],
  },
  {
    name: "Cargo.lock checksum",
    text: `[[package]]
name = "serde"
version = "1.0.215"
source = "registry+https://github.com/rust-lang/crates.io-index"
checksum = "${hexStr(64)}"`,
    expected: [],
  },
  {
    name: "go.sum lines",
    text: `golang.org/x/net v0.31.0 h1:${b64Bytes(randBytes(32))}
golang.org/x/net v0.31.0/go.mod h1:${b64Bytes(randBytes(32))}`,
    expected: [],
  },
  {
    name: "pip requirements with hashes",
    text: `requests==2.32.3 \\
    --hash=sha256:${hexStr(64)} \\
    --hash=sha256:${hexStr(64)}`,
    expected: [],
  },
  {
    name: "pnpm lock resolution",
    text: `/zod@3.23.8:
    resolution: {integrity: sha512-${b64Bytes(randBytes(64))}}
    dev: false`,
    expected: [],
  },

  // ---- ordinary base64 ------------------------------------------------------------------------------------
  {
    name: "data URI PNG",
    text:
      `<img alt="dot" src="data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==">`,
    expected: [],
  },
  {
    name: "base64 of a JSON settings blob",
    text: `the config param is just base64: ${
      b64Text('{"theme":"dark","lang":"pt-BR","beta":false,"pageSize":25}')
    }`,
    expected: [],
  },
  {
    name: "MIME attachment fragment",
    text: `Content-Type: application/pdf; name="invoice-1182.pdf"
Content-Transfer-Encoding: base64
Content-Disposition: attachment; filename="invoice-1182.pdf"

${wrap(b64Bytes([0x25, 0x50, 0x44, 0x46, 0x2d, 0x31, 0x2e, 0x37, ...randBytes(300)]), 76)}`,
    expected: [],
  },
  {
    name: "ConfigMap with base64 binaryData of a favicon",
    text: `apiVersion: v1
kind: ConfigMap
metadata:
  name: static-assets
binaryData:
  favicon.ico: ${b64Bytes([0x00, 0x00, 0x01, 0x00, ...randBytes(180)])}`,
    expected: [],
  },
  {
    name: "base64 hello world",
    text: `echo -n 'hello world' | base64  →  aGVsbG8gd29ybGQ=`,
    expected: [],
  },
  {
    name: "protobuf bytes field in JSON",
    text: `{"event":"thumbnail.created","payload":"${b64Bytes(randBytes(60))}","ts":1796400000}`,
    expected: [],
  },
  {
    name: "Kubernetes Secret with base64 of non-secret values",
    text: `apiVersion: v1
kind: Secret
metadata:
  name: feature-flags
data:
  REGION: ${b64Text("eu-west-1")}
  LOG_LEVEL: ${b64Text("debug")}`,
    expected: [],
  },

  // ---- connection strings without credentials ------------------------------------------------------------
  {
    name: "local postgres without password",
    text: `DATABASE_URL=postgres://localhost:5432/myapp_dev`,
    expected: [],
  },
  {
    name: "mongodb without auth",
    text: `MONGO_URL=mongodb://mongo:27017/app`,
    expected: [],
  },
  {
    name: "redis without password",
    text: `REDIS_URL=redis://localhost:6379/0`,
    expected: [],
  },
  {
    name: "postgres with user but no password",
    text: `psql postgres://readonly@replica.internal:5432/analytics`,
    expected: [],
  },
  {
    name: "mysql root without password on localhost",
    text: `TEST_DATABASE_URL=mysql://root@127.0.0.1:3306/test`,
    expected: [],
  },
  {
    name: "sqlite url",
    text: `SQLALCHEMY_DATABASE_URI = "sqlite:///./app.db"`,
    expected: [],
  },
  {
    name: "JDBC url without credentials",
    text: `spring.datasource.url=jdbc:postgresql://pg.internal:5432/hr
spring.datasource.username=\${DB_USER}
spring.datasource.password=\${DB_PASS}`,
    expected: [],
  },

  // ---- JWT-looking but not JWTs ---------------------------------------------------------------------------
  {
    name: "xxxxx.yyyyy.zzzzz explanation",
    text: `A JWT has three parts separated by dots, so it typically looks like xxxxx.yyyyy.zzzzz`,
    expected: [],
  },
  {
    name: "truncated JWT prefix",
    text: `the token starts with eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIi… and then I get lost`,
    expected: [],
  },
  {
    name: "header.payload.signature literal",
    text: `Authorization: Bearer <header>.<payload>.<signature>`,
    expected: [],
  },
  {
    name: "three dotted base64url segments whose header is not JSON",
    text: `trace=${b64urlText("not a json header at all")}.${b64urlText("neither is this one")}.${
      pick(B64URL, 20)
    }`,
    expected: [],
  },
  {
    name: "dotted file name and version strings",
    text: `Downloaded app.bundle.min.js (v3.14.159) and vendor.chunk.a1b2c3.js from the CDN.`,
    expected: [],
  },

  // ---- prose ----------------------------------------------------------------------------------------------
  {
    name: "password policy prose",
    text:
      `Our password policy requires 12 characters minimum, one symbol, and no reuse of the last 5 passwords. Is that NIST-compliant?`,
    expected: [],
  },
  {
    name: "forgot password",
    text: `I forgot my password for the router admin page, how do I reset it without losing my settings?`,
    expected: [],
  },
  {
    name: "token expiry prose",
    text:
      `Access tokens expire after 60 minutes and the refresh token after 30 days; the client should refresh proactively at 55 minutes.`,
    expected: [],
  },
  {
    name: "key rotation advice",
    text:
      `Best practice: rotate API keys every 90 days, store them in a secrets manager, and never paste them into chat tools.`,
    expected: [],
  },
  {
    name: "secret santa",
    text: `Secret Santa budget is $25 this year, the secret word for the gift exchange is "pinecone"`,
    expected: [],
  },
  {
    name: "password field in HTML form",
    text: `<label for="pw">Password</label>
<input id="pw" name="password" type="password" autocomplete="current-password" minlength="12" required>`,
    expected: [],
  },
  {
    name: "validation regex for keys",
    text: `const GH_TOKEN_RE = /^gh[pousr]_[A-Za-z0-9]{36}$/;
const STRIPE_RE = /^(sk|rk)_(live|test)_[A-Za-z0-9]{24,}$/;`,
    expected: [],
  },
  {
    name: "SQL with password column",
    text:
      `SELECT id, email, password_hash, last_login FROM users WHERE last_login < now() - interval '1 year';`,
    expected: [],
  },
  {
    name: "token count prose",
    text:
      `The model's context is 200k tokens; my prompt uses about 3,400 tokens and the secret sauce is the retrieval step.`,
    expected: [],
  },

  // ---- GitHub-shaped strings with a WRONG checksum --------------------------------------------------------
  {
    name: "GitHub-shaped ghp_ string with WRONG checksum (not a real token format)",
    text: `GITHUB_TOKEN=${ghBad("ghp_")}`,
    expected: [],
  },
  {
    name: "GitHub-shaped gho_ string with WRONG checksum in hosts.yml",
    text: `github.com:
    oauth_token: ${ghBad("gho_")}
    user: someone`,
    expected: [],
  },
  {
    name: "GitHub-shaped ghs_ string with WRONG checksum in a log",
    text: `token=${ghBad("ghs_")} expires_at=2026-12-04T10:00:00Z`,
    expected: [],
  },
  {
    name: "GitHub-shaped ghp_ string with WRONG checksum in curl",
    text: `curl -H "Authorization: token ${ghBad("ghp_")}" https://api.github.com/user`,
    expected: [],
  },
  {
    name: "GitHub-shaped ghu_ string with WRONG checksum in JSON",
    text: `{"access_token":"${ghBad("ghu_")}","token_type":"bearer"}`,
    expected: [],
  },
  {
    name: "GitHub-shaped ghr_ string with WRONG checksum",
    text: `refresh_token: ${ghBad("ghr_")}`,
    expected: [],
  },
  {
    name: "ghp_ prefix followed by X's (placeholder, wrong checksum)",
    text: `export GH_TOKEN=ghp_XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX`,
    expected: [],
  },

  // ---- Stripe test-mode and publishable keys --------------------------------------------------------------
  {
    name: "Stripe test secret key in .env (test mode, not a live secret)",
    text: `STRIPE_SECRET_KEY=sk_test_51${pick(B62, 97)}`,
    expected: [],
  },
  {
    name: "Stripe test key in Python snippet",
    text: `stripe.api_key = "sk_test_${pick(B62, 24)}"  # test mode`,
    expected: [],
  },
  {
    name: "Stripe restricted test key",
    text: `curl https://api.stripe.com/v1/customers -u rk_test_51${pick(B62, 97)}:`,
    expected: [],
  },
  {
    name: "Stripe publishable test key",
    text: `const stripe = Stripe("pk_test_51${pick(B62, 97)}");`,
    expected: [],
  },
  {
    name: "Stripe publishable live key (designed to be public)",
    text: `<script>const stripe = Stripe("pk_live_51${pick(B62, 97)}");</script>`,
    expected: [],
  },
  {
    name: "Stripe object ids",
    text: `customer=cus_${pick(B62, 14)} payment_intent=pi_${pick(B62, 24)} price=price_${
      pick(B62, 24)
    } invoice=in_${pick(B62, 24)}`,
    expected: [],
  },

  // ---- random identifiers ---------------------------------------------------------------------------------
  {
    name: "Slack ids and permalink",
    text: `see https://acme.slack.com/archives/C0${pick(UPPER_ALNUM, 9)}/p${
      digitsNoLeadingZero(16)
    } (team T0${pick(UPPER_ALNUM, 8)}, user U0${pick(UPPER_ALNUM, 8)})`,
    expected: [],
  },
  {
    name: "Twilio message SID (not a credential)",
    text: `Message queued: sid=SM${hexStr(32)} status=queued to=+15558675310`,
    expected: [],
  },
  {
    name: "Twilio messaging service SID",
    text: `MESSAGING_SERVICE_SID=MG${hexStr(32)}`,
    expected: [],
  },
  {
    name: "AWS resource ids",
    text: `instance i-0${hexStr(16)} in subnet subnet-0${hexStr(16)} (vpc-0${hexStr(16)}), sg-0${hexStr(16)}`,
    expected: [],
  },
  {
    name: "Google Analytics and Tag Manager ids",
    text: `gtag('config', 'G-${pick(UPPER_ALNUM, 10)}'); // GTM-${pick(UPPER_ALNUM, 7)}`,
    expected: [],
  },
  {
    name: "Google OAuth client id (public)",
    text: `GOOGLE_CLIENT_ID=${digitsNoLeadingZero(12)}-${
      pick(LOWER + DIGITS, 32)
    }.apps.googleusercontent.com`,
    expected: [],
  },
  {
    name: "Cloudflare ray id and request ids",
    text: `Error 1020 Access denied. Ray ID: ${hexStr(16)} • ${"2026-12-04 08:11:52 UTC"}`,
    expected: [],
  },
  {
    name: "ethereum address",
    text: `send the refund to 0x${pick("0123456789abcdefABCDEF", 40)} (ERC-20 USDC only)`,
    expected: [],
  },
  {
    name: "IPFS CID",
    text: `pinned at ipfs://bafybei${pick("abcdefghijklmnopqrstuvwxyz234567", 52)}`,
    expected: [],
  },
  {
    name: "MAC and IPv6 addresses",
    text: `eth0: ether 3c:22:fb:9a:10:7e  inet6 fe80::3e22:fbff:fe9a:107e/64 scope link`,
    expected: [],
  },
  {
    name: "Sentry-style trace id and span id",
    text: `sentry-trace: ${hexStr(32)}-${hexStr(16)}-1`,
    expected: [],
  },
  {
    name: "YouTube and short-link ids",
    text: `watch https://www.youtube.com/watch?v=${pick(B62 + "-_", 11)} or https://bit.ly/${pick(B62, 7)}`,
    expected: [],
  },
  {
    name: "order and tracking numbers",
    text: `Order #A-${digitsNoLeadingZero(8)} shipped, tracking 1Z${pick(UPPER_ALNUM, 16)}`,
    expected: [],
  },
  {
    name: "random file names in S3 listing",
    text: `2026-12-01 10:11:12     48213 uploads/${uuid()}.jpg
2026-12-01 10:11:40     90112 uploads/${uuid()}.jpg`,
    expected: [],
  },
  {
    name: "CSS hex colors and hashes",
    text: `:root { --brand: #1f6feb; --accent: #ff7b72; --bg: #0d1117; } /* build ${hexStr(8)} */`,
    expected: [],
  },
  {
    name: "semantic versions and build numbers",
    text: `Upgraded from 4.12.0-rc.3+build.5521 to 4.12.0 (build ${hexStr(10)})`,
    expected: [],
  },
  {
    name: "bitcoin address",
    text: `donations: bc1q${pick("qpzry9x8gf2tvdw0s3jn54khce6mua7l", 38)}`,
    expected: [],
  },
  {
    name: "npm package names with npm_ prefix word",
    text: `npm_config_cache=/tmp/.npm npm_lifecycle_event=build npm_package_version=2.3.1`,
    expected: [],
  },
  {
    name: "AKIA-like word in prose",
    text: `"Akiak" is a city in Alaska; AKIA is also how AWS key ids begin, which confuses my grep.`,
    expected: [],
  },
  {
    name: "sk- prefixed slugs",
    text: `Our SKUs look like sk-winter-jacket-blue-xl and sk-summer-tee-red-m.`,
    expected: [],
  },
  {
    name: "hooks.slack.com mentioned without a path",
    text: `Outbound firewall rule: allow 443 to hooks.slack.com and api.slack.com only.`,
    expected: [],
  },
  {
    name: "glpat mentioned as a prefix in docs",
    text:
      `GitLab personal access tokens are prefixed with glpat- by default; you can change the prefix in Admin > Settings.`,
    expected: [],
  },
];
