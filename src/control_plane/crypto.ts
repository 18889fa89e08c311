/**
 * Tokens and encryption at rest.
 *
 * - API tokens: 32 random bytes, base64url, with a kind prefix (`kt_admin_…`,
 *   `kt_gw_…`); only their sha256 is stored; comparisons in constant time.
 * - Sensitive config variables: AES-256-GCM (WebCrypto) with a random 96-bit
 *   nonce per value and the variable name as additional data, so a ciphertext
 *   cannot be moved to another variable. Envelope: `v1.<key id>.<nonce>.<ciphertext>`.
 *
 * @module
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { join } from "node:path";

/** Token prefixes by kind. */
export const TOKEN_PREFIX = { admin: "kt_admin_", gateway: "kt_gw_" } as const;

/** Base64url without padding. */
export function base64url(bytes: Uint8Array): string {
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** Standard base64 (with padding). */
export function base64(bytes: Uint8Array): string {
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin);
}

/** Decodes standard or url-safe base64 (padding optional); throws on garbage. */
export function fromBase64(text: string): Uint8Array<ArrayBuffer> {
  const clean = text.trim().replace(/-/g, "+").replace(/_/g, "/");
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(clean)) throw new Error("not base64");
  const padded = clean + "=".repeat((4 - (clean.length % 4)) % 4);
  const bin = atob(padded);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** Random id with a prefix, e.g. `gw_3kq…` (12 base32-ish characters, 60 bits). */
export function randomId(prefix: string): string {
  const alphabet = "0123456789abcdefghjkmnpqrstvwxyz";
  const bytes = crypto.getRandomValues(new Uint8Array(12));
  let out = "";
  for (const b of bytes) out += alphabet[b & 31];
  return `${prefix}${out}`;
}

/** A new token secret for a kind: prefix + 32 random bytes (base64url). */
export function generateToken(kind: keyof typeof TOKEN_PREFIX): string {
  return TOKEN_PREFIX[kind] + base64url(crypto.getRandomValues(new Uint8Array(32)));
}

/** Lowercase hex sha256 of a token: what the store keeps. */
export function hashToken(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}

/** Constant-time equality of two strings (length leaks, content does not). */
export function constantTimeEqual(a: string, b: string): boolean {
  const ea = new TextEncoder().encode(a);
  const eb = new TextEncoder().encode(b);
  if (ea.length !== eb.length) {
    timingSafeEqual(ea, ea); // same work either way
    return false;
  }
  return timingSafeEqual(ea, eb);
}

/** Raised when a secret cannot be decrypted (wrong key, tampered row). Stable code. */
export class SecretDecryptionError extends Error {
  readonly code = "secret_decryption_failed";
  constructor(message: string) {
    super(message);
    this.name = "SecretDecryptionError";
  }
}

/** Encrypts and decrypts sensitive values with one AES-256-GCM key. */
export class SecretBox {
  readonly #key: CryptoKey;
  /** First 8 hex digits of sha256(key): tells which key encrypted a value. */
  readonly keyId: string;

  private constructor(key: CryptoKey, keyId: string) {
    this.#key = key;
    this.keyId = keyId;
  }

  /** Builds a box from 32 raw key bytes. */
  static async fromRawKey(raw: Uint8Array<ArrayBuffer>): Promise<SecretBox> {
    if (raw.length !== 32) throw new Error(`the secret encryption key must be 32 bytes, got ${raw.length}`);
    const key = await crypto.subtle.importKey("raw", raw, { name: "AES-GCM" }, false, ["encrypt", "decrypt"]);
    const keyId = createHash("sha256").update(raw).digest("hex").slice(0, 8);
    return new SecretBox(key, keyId);
  }

  /** Encrypts `plaintext`, bound to `name`. */
  async encrypt(name: string, plaintext: string): Promise<string> {
    const iv = crypto.getRandomValues(new Uint8Array(12));
    const ct = new Uint8Array(
      await crypto.subtle.encrypt(
        { name: "AES-GCM", iv, additionalData: new TextEncoder().encode(name) },
        this.#key,
        new TextEncoder().encode(plaintext),
      ),
    );
    return `v1.${this.keyId}.${base64url(iv)}.${base64url(ct)}`;
  }

  /** Decrypts an envelope made by {@link encrypt} for the same `name`. */
  async decrypt(name: string, envelope: string): Promise<string> {
    const parts = envelope.split(".");
    if (parts.length !== 4 || parts[0] !== "v1") throw new SecretDecryptionError("unknown secret envelope");
    if (parts[1] !== this.keyId) {
      throw new SecretDecryptionError(
        `the value was encrypted with key ${
          parts[1]
        }, but the configured key is ${this.keyId}; set KEEPTRUSTS_SECRET_ENCRYPTION_KEY to the original key`,
      );
    }
    try {
      const pt = await crypto.subtle.decrypt(
        { name: "AES-GCM", iv: fromBase64(parts[2]), additionalData: new TextEncoder().encode(name) },
        this.#key,
        fromBase64(parts[3]),
      );
      return new TextDecoder().decode(pt);
    } catch {
      throw new SecretDecryptionError("the stored value failed authentication (tampered or wrong key)");
    }
  }
}

/** File name of the generated key inside the data directory. */
export const GENERATED_KEY_FILE = "secret-encryption.key";

/** Where the key came from. */
export type SecretKeySource = "env" | "file" | "data-dir" | "generated";

/** Options of {@link loadSecretBox}. */
export interface LoadSecretKeyOptions {
  dataDir: string;
  env?: (name: string) => string | undefined;
  /** Receives operator warnings (never the key). */
  warn?: (message: string) => void;
}

/**
 * Loads the key from `KEEPTRUSTS_SECRET_ENCRYPTION_KEY` (base64 of 32 bytes),
 * else from the file named by `KEEPTRUSTS_SECRET_ENCRYPTION_KEY_FILE`, else from
 * `<dataDir>/secret-encryption.key`; when none exists, generates one there
 * (mode 0600) and warns that it must be backed up.
 */
export async function loadSecretBox(
  options: LoadSecretKeyOptions,
): Promise<{ box: SecretBox; source: SecretKeySource }> {
  const env = options.env ?? ((n: string) => Deno.env.get(n));
  const warn = options.warn ?? (() => {});
  const decode = (text: string, where: string): Uint8Array<ArrayBuffer> => {
    let raw: Uint8Array<ArrayBuffer>;
    try {
      raw = fromBase64(text.trim());
    } catch {
      throw new Error(`${where} is not base64; generate one with: openssl rand -base64 32`);
    }
    if (raw.length !== 32) {
      throw new Error(`${where} must decode to 32 bytes (got ${raw.length}); use: openssl rand -base64 32`);
    }
    return raw;
  };
  const fromEnv = env("KEEPTRUSTS_SECRET_ENCRYPTION_KEY");
  if (fromEnv) {
    return {
      box: await SecretBox.fromRawKey(decode(fromEnv, "KEEPTRUSTS_SECRET_ENCRYPTION_KEY")),
      source: "env",
    };
  }
  const file = env("KEEPTRUSTS_SECRET_ENCRYPTION_KEY_FILE");
  if (file) {
    const text = await Deno.readTextFile(file);
    return { box: await SecretBox.fromRawKey(decode(text, `the key file ${file}`)), source: "file" };
  }
  const path = join(options.dataDir, GENERATED_KEY_FILE);
  try {
    const text = await Deno.readTextFile(path);
    const mode = (await Deno.stat(path)).mode;
    if (mode !== null && (mode & 0o077) !== 0) {
      warn(`${path} is readable by group or others; chmod 600 it`);
    }
    return { box: await SecretBox.fromRawKey(decode(text, path)), source: "data-dir" };
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  await Deno.mkdir(options.dataDir, { recursive: true, mode: 0o700 });
  const raw = crypto.getRandomValues(new Uint8Array(32));
  await Deno.writeTextFile(path, base64(raw) + "\n", { mode: 0o600, createNew: true });
  warn(
    `no KEEPTRUSTS_SECRET_ENCRYPTION_KEY set: generated a key for sensitive config variables at ${path} (mode 0600). Back it up; without it stored secrets cannot be decrypted. Replicas sharing a database need the same key.`,
  );
  return { box: await SecretBox.fromRawKey(raw), source: "generated" };
}
