/**
 * Deterministic fake credentials in their issuers' formats, for the secrets-detector tests. None of them
 * is a real credential: they are drawn from a seeded generator (GitHub and npm tokens get a valid CRC32
 * suffix, so they pass the checksum like real ones).
 *
 * @module
 */
import { base62, crc32 } from "../../src/policy/kinds/secret_checks.ts";

const ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const HEX = "0123456789abcdef";
const UPPER32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const B64 = ALNUM + "+/";

/** A seeded generator of random strings (mulberry32). */
export function generator(seed: number): (n: number, alphabet?: string) => string {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return (n, alphabet = ALNUM) => {
    let s = "";
    for (let i = 0; i < n; i++) s += alphabet[Math.floor(next() * alphabet.length)];
    return s;
  };
}

/** Fake credentials of every built-in kind, fixed for a seed. */
export function fakes(seed = 7) {
  const r = generator(seed);
  const body30 = r(30);
  const npm30 = r(30);
  const b64url = (s: string) => btoa(s).replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_");
  return {
    aws_access_key: "AKIA" + r(16, UPPER32),
    aws_secret_key: r(40, B64).replace(/^[+/]/, "Q"),
    github_token: "ghp_" + body30 + base62(crc32(body30), 6),
    github_bad_checksum: "ghp_" + body30 + base62(crc32(body30) ^ 0x5a5a5a5a, 6),
    github_fine_grained: "github_pat_" + r(22) + "_" + r(59),
    gitlab_token: "glpat-" + r(20),
    slack_token: "xoxb-" + r(12, "0123456789") + "-" + r(13, "0123456789") + "-" + r(24),
    slack_webhook: `https://hooks.slack.com/services/T${r(8, UPPER32)}/B${r(10, UPPER32)}/${r(24)}`,
    stripe_key: "sk_live_" + r(24),
    openai_key: "sk-proj-" + r(74) + "T3BlbkFJ" + r(74),
    openai_legacy: "sk-" + r(20) + "T3BlbkFJ" + r(20),
    anthropic_key: "sk-ant-api03-" + r(93) + "AA",
    google_api_key: "AIza" + r(35),
    twilio_sid: "SK" + r(32, HEX),
    twilio_auth: r(32, HEX),
    sendgrid: "SG." + r(22) + "." + r(43),
    npm_token: "npm_" + npm30 + base62(crc32(npm30), 6),
    jwt: b64url('{"alg":"HS256","typ":"JWT"}') + "." + b64url(`{"sub":"${r(8)}","exp":1893456000}`) + "." +
      r(43),
    private_key_body: Array.from({ length: 12 }, () => r(64, B64)).join("\n") + "\n" + r(24, B64) + "==",
    azure_key: r(86, B64) + "==",
    password: "Tr4vel-" + r(6) + "!",
    token: r(40),
  };
}
