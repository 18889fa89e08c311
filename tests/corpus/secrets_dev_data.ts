/**
 * secrets-detector development set (2026-12-04): credentials pasted the way people paste them (`.env`
 * files, curl commands, stack traces, config files, code, chat), and look-alikes that are not credentials.
 * The credentials are fakes from `tests/policy/secret_fixtures.ts` (seeded, so stable). Scored by
 * `tests/policy/secrets_metrics_test.ts`; the out-of-sample set is `heldout_2026_secrets_data.ts`.
 *
 * @module
 */
import { fakes } from "../policy/secret_fixtures.ts";
import type { SecretKind } from "../../src/policy/kinds/secret_rules.ts";

/** One case: a text and the kinds it contains (empty for a negative). */
export interface SecretCase {
  name: string;
  text: string;
  expected: SecretKind[];
}

const A = fakes(11);
const B = fakes(23);
const C = fakes(37);

/** Cases with credentials. */
export const DEV_SECRETS_POSITIVE: SecretCase[] = [
  {
    name: ".env with cloud and payment keys",
    text:
      `# production\nAWS_ACCESS_KEY_ID=${A.aws_access_key}\nAWS_SECRET_ACCESS_KEY=${A.aws_secret_key}\nSTRIPE_SECRET_KEY=${A.stripe_key}\nDEBUG=false`,
    expected: ["aws_access_key", "aws_secret_key", "stripe_key"],
  },
  {
    name: "aws credentials file",
    text:
      `[default]\naws_access_key_id = ${B.aws_access_key}\naws_secret_access_key = ${B.aws_secret_key}\nregion = eu-west-1`,
    expected: ["aws_access_key", "aws_secret_key"],
  },
  {
    name: "curl with a bearer token",
    text:
      `Why does this return 401?\ncurl -s -H "Authorization: Bearer ${A.token}" https://api.example.com/v2/users`,
    expected: ["generic"],
  },
  {
    name: "curl with an OpenAI key",
    text:
      `curl https://api.openai.com/v1/chat/completions -H "Authorization: Bearer ${A.openai_key}" -d @body.json`,
    expected: ["openai_key"],
  },
  {
    name: "python client with an Anthropic key",
    text:
      `import anthropic\nclient = anthropic.Anthropic(api_key="${B.anthropic_key}")\nprint(client.models.list())`,
    expected: ["anthropic_key"],
  },
  {
    name: "stack trace with a database URL",
    text:
      `sqlalchemy.exc.OperationalError: (psycopg2.OperationalError) connection to server failed\n(Background on this error: engine url=postgresql://svc_orders:Lq8-vZ3mTw@10.2.0.14:5432/orders)`,
    expected: ["database_url"],
  },
  {
    name: "mongo connection in code",
    text:
      `const uri = "mongodb+srv://reporting:Pz4nKx9qWe@cluster1.x7k2p.mongodb.net/stats?retryWrites=true";`,
    expected: ["database_url"],
  },
  {
    name: "GitHub token in a git remote",
    text: `git remote set-url origin https://${C.github_token}@github.com/acme/infra.git`,
    expected: ["github_token"],
  },
  {
    name: "GitHub fine-grained token in a workflow question",
    text: `My workflow uses GH_TOKEN: ${A.github_fine_grained} and still gets 403 on the packages API.`,
    expected: ["github_token"],
  },
  {
    name: "GitLab token in a CI variable",
    text: `variables:\n  GITLAB_TOKEN: "${B.gitlab_token}"\n  DOCKER_DRIVER: overlay2`,
    expected: ["gitlab_token"],
  },
  {
    name: "Slack bot token and webhook",
    text: `SLACK_BOT_TOKEN=${C.slack_token}\nSLACK_WEBHOOK_URL=${C.slack_webhook}`,
    expected: ["slack_token", "slack_webhook"],
  },
  {
    name: "Google API key in a maps snippet",
    text:
      `<script src="https://maps.googleapis.com/maps/api/js?key=${B.google_api_key}&callback=initMap"></script>`,
    expected: ["google_api_key"],
  },
  {
    name: "Twilio credentials",
    text:
      `TWILIO_ACCOUNT_SID=AC3f1e9a0c4b7d2e8f6a1b3c5d7e9f0a2b\nTWILIO_AUTH_TOKEN=${A.twilio_auth}\nTWILIO_API_KEY=${B.twilio_sid}`,
    expected: ["twilio"],
  },
  {
    name: "SendGrid key in a Node config",
    text: `module.exports = { mail: { provider: "sendgrid", apiKey: "${C.sendgrid}" } };`,
    expected: ["sendgrid"],
  },
  {
    name: ".npmrc",
    text: `registry=https://registry.npmjs.org/\n//registry.npmjs.org/:_authToken=${A.npm_token}`,
    expected: ["npm_token"],
  },
  {
    name: "JWT in a cookie header",
    text: `GET /account HTTP/1.1\nHost: shop.example.com\nCookie: session=${B.jwt}; theme=dark`,
    expected: ["jwt"],
  },
  {
    name: "private key pasted for help",
    text:
      `This key won't load in paramiko:\n-----BEGIN OPENSSH PRIVATE KEY-----\n${C.private_key_body}\n-----END OPENSSH PRIVATE KEY-----`,
    expected: ["private_key"],
  },
  {
    name: "RSA key in YAML",
    text: `tls:\n  key: |\n    -----BEGIN RSA PRIVATE KEY-----\n    ${
      A.private_key_body.split("\n").join("\n    ")
    }\n    -----END RSA PRIVATE KEY-----`,
    expected: ["private_key"],
  },
  {
    name: "Azure storage connection string",
    text:
      `"AzureWebJobsStorage": "DefaultEndpointsProtocol=https;AccountName=funcstore01;AccountKey=${B.azure_key};EndpointSuffix=core.windows.net"`,
    expected: ["azure_storage"],
  },
  {
    name: "SQL Server connection string",
    text:
      `Server=tcp:erp.database.windows.net,1433;Database=erp;User ID=erp_app;Password=Gl4cier!Peak;Encrypt=True;`,
    expected: ["database_url"],
  },
  {
    name: "password in docker-compose",
    text:
      `services:\n  db:\n    image: postgres:16\n    environment:\n      POSTGRES_PASSWORD: ${C.password}`,
    expected: ["generic"],
  },
  {
    name: "client secret in JSON",
    text:
      `{"web": {"client_id": "1234.apps.example.com", "client_secret": "${B.token}", "redirect_uris": ["https://x"]}}`,
    expected: ["generic"],
  },
  {
    name: "API key header in Python requests",
    text: `requests.get(url, headers={"X-API-Key": "${C.token}"})`,
    expected: ["generic"],
  },
  {
    name: "basic auth header",
    text: `Authorization: Basic ${btoa("ci-bot:Wb7!xQ2pLm")}`,
    expected: ["generic"],
  },
  {
    name: "password in chat",
    text: `I can't log into the VPN, my password is Fj3#kLp9x and it says expired.`,
    expected: ["generic"],
  },
  {
    name: "stripe restricted key in code",
    text: `stripe.api_key = "rk_live_${A.token.slice(0, 30)}"`,
    expected: ["stripe_key"],
  },
  {
    name: "openai key in an env export",
    text: `export OPENAI_API_KEY="${B.openai_legacy}"\npython app.py`,
    expected: ["openai_key"],
  },
  {
    name: "redis url in a log",
    text: `ERROR cache: cannot connect to rediss://default:Mz9qX2vLp8@cache.internal:6380 (timeout)`,
    expected: ["database_url"],
  },
  {
    name: "ftp url with a password",
    text: `lftp ftp://deploy:Tq5-mW8zRx@files.example.org/incoming`,
    expected: ["generic"],
  },
  {
    name: "mixed .env",
    text:
      `APP_NAME=shop\nDATABASE_URL=mysql://shop:Xr4!tP9wQ@db:3306/shop\nSENDGRID_API_KEY=${A.sendgrid}\nGOOGLE_MAPS_KEY=${C.google_api_key}`,
    expected: ["database_url", "sendgrid", "google_api_key"],
  },
];

/** Texts without credentials that look like they might have some. */
export const DEV_SECRETS_NEGATIVE: SecretCase[] = [
  {
    name: "AWS docs example",
    text: "Example: AKIAIOSFODNN7EXAMPLE / wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    expected: [],
  },
  { name: "env template", text: "OPENAI_API_KEY=\nANTHROPIC_API_KEY=\nDATABASE_URL=", expected: [] },
  {
    name: "env placeholders",
    text: "OPENAI_API_KEY=sk-your-key-here\nSTRIPE_SECRET_KEY=sk_live_xxxxxxxxxxxxxxxxxxxxxxxx",
    expected: [],
  },
  {
    name: "shell references",
    text: 'curl -H "Authorization: Bearer $API_TOKEN" -u "$USER:$PASSWORD" https://api.example.com',
    expected: [],
  },
  {
    name: "k8s secret reference",
    text: "env:\n  - name: DB_PASSWORD\n    valueFrom:\n      secretKeyRef: { name: db, key: password }",
    expected: [],
  },
  {
    name: "code reading env",
    text: 'token = os.getenv("GITHUB_TOKEN")\nclient = Github(token)',
    expected: [],
  },
  {
    name: "masked keys",
    text: "Your keys: sk-proj-...XyZ9, AKIA************MPLE, ghp_****************************abcd",
    expected: [],
  },
  {
    name: "public key",
    text: "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC7vbqajDhA3x9z user@host",
    expected: [],
  },
  {
    name: "certificate",
    text:
      "-----BEGIN CERTIFICATE-----\nMIIDdzCCAl+gAwIBAgIEAgAAuTANBgkqhkiG9w0BAQUFADBaMQswCQYDVQQGEwJJ\n-----END CERTIFICATE-----",
    expected: [],
  },
  {
    name: "git log",
    text: "commit 3f786850e387550fdab836ed7e6dc881de23001b\nAuthor: Ana <ana@example.com>",
    expected: [],
  },
  {
    name: "docker digest",
    text: "nginx@sha256:0d17b565c37bcbd895e9d92315a05c1c3c9a29f762b011a10c54a66cd53c9b31",
    expected: [],
  },
  {
    name: "UUIDs",
    text: "request_id=7c9e6679-7425-40de-944b-e07fc1f90ae7 trace_id=4bf92f3577b34da6a3ce929d0e0e4736",
    expected: [],
  },
  {
    name: "package integrity",
    text: '"integrity": "sha512-p3O2hXW4wc1h5O4R1h6D9YhY3kQWJm7s0p1VwQn3nB4u2rL8k0VqY7x1A=="',
    expected: [],
  },
  {
    name: "base64 image",
    text: "background: url(data:image/gif;base64,R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7)",
    expected: [],
  },
  {
    name: "password policy",
    text: "Passwords must be at least 12 characters and include a digit; the password field is required.",
    expected: [],
  },
  {
    name: "token usage stats",
    text: "prompt_tokens: 1532, completion_tokens: 211, total_tokens: 1743, max_tokens: 4096",
    expected: [],
  },
  {
    name: "OAuth response shape",
    text: '{"token_type": "Bearer", "expires_in": 3599, "scope": "read write"}',
    expected: [],
  },
  { name: "JWT header only", text: "The header eyJhbGciOiJSUzI1NiJ9 says RS256.", expected: [] },
  {
    name: "jwt.io sample",
    text:
      "Try eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c on jwt.io",
    expected: [],
  },
  { name: "connection string template", text: "postgres://USER:PASSWORD@HOST:5432/DB", expected: [] },
  {
    name: "db url with variables",
    text: "DATABASE_URL=postgres://${PGUSER}:${PGPASSWORD}@${PGHOST}/app",
    expected: [],
  },
  { name: "stripe publishable", text: "Stripe('pk_live_51HqY2bC3dE4fG5hI6jK7lM8nO9pQrStUv')", expected: [] },
  {
    name: "secret manager ARN",
    text: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/db-AbCdEf",
    expected: [],
  },
  {
    name: "prose about keys",
    text: "Rotate the API key and the client secret every quarter, and never commit the .env file.",
    expected: [],
  },
  { name: "config keys without values", text: "api_key: \nsecret: \npassword: ", expected: [] },
  {
    name: "hash in a lockfile",
    text:
      'resolved "https://registry.yarnpkg.com/lodash/-/lodash-4.17.21.tgz#679591c564c3bffaae8454cf0b3df370c3d6911c"',
    expected: [],
  },
  {
    name: "SAS-less storage URL",
    text: "https://acct1.blob.core.windows.net/exports/report.csv",
    expected: [],
  },
  {
    name: "Slack docs webhook",
    text: "https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX",
    expected: [],
  },
  {
    name: "keyboard shortcuts",
    text: "Press the secret combo: key = Ctrl+Alt+K, then token: none.",
    expected: [],
  },
  {
    name: "fake checksum token in prose",
    text: `Rotate any token like ${A.github_bad_checksum} (this one is invalid).`,
    expected: [],
  },
];
