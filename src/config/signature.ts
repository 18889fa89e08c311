/**
 * Detached Ed25519 signatures over a config's exact bytes (WebCrypto).
 * Keys travel as PEM (PKCS#8 private, SPKI public); signatures as base64.
 *
 * @module
 */

/** A PEM-encoded Ed25519 key pair. */
export interface ConfigKeyPair {
  privateKeyPem: string;
  publicKeyPem: string;
}

/** Raised for unusable keys or signatures; `code` is stable. */
export class SignatureError extends Error {
  readonly code: "invalid_key" | "invalid_signature" | "missing_signature";
  constructor(code: SignatureError["code"], message: string) {
    super(message);
    this.name = "SignatureError";
    this.code = code;
  }
}

const ALG = { name: "Ed25519" } as const;

function toBase64(bytes: ArrayBuffer | Uint8Array): string {
  const u8 = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  let s = "";
  for (let i = 0; i < u8.length; i++) s += String.fromCharCode(u8[i]);
  return btoa(s);
}

function fromBase64(text: string): Uint8Array<ArrayBuffer> {
  const bin = atob(text.replace(/\s+/g, ""));
  const out = new Uint8Array(new ArrayBuffer(bin.length));
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

function toPem(label: string, der: ArrayBuffer): string {
  const b64 = toBase64(der).replace(/.{1,64}/g, "$&\n");
  return `-----BEGIN ${label}-----\n${b64}-----END ${label}-----\n`;
}

function fromPem(label: string, pem: string): Uint8Array<ArrayBuffer> {
  const m = pem.match(new RegExp(`-----BEGIN ${label}-----([\\s\\S]*?)-----END ${label}-----`));
  if (!m) throw new SignatureError("invalid_key", `expected a PEM "${label}" block`);
  try {
    return fromBase64(m[1]);
  } catch {
    throw new SignatureError("invalid_key", `the PEM "${label}" block is not valid base64`);
  }
}

/** Generates a new Ed25519 key pair for signing configs. */
export async function generateConfigKeyPair(): Promise<ConfigKeyPair> {
  const pair = await crypto.subtle.generateKey(ALG, true, ["sign", "verify"]) as CryptoKeyPair;
  return {
    privateKeyPem: toPem("PRIVATE KEY", await crypto.subtle.exportKey("pkcs8", pair.privateKey)),
    publicKeyPem: toPem("PUBLIC KEY", await crypto.subtle.exportKey("spki", pair.publicKey)),
  };
}

/** Imports a PEM public key (SPKI) for verification. */
export async function importPublicKey(pem: string): Promise<CryptoKey> {
  try {
    return await crypto.subtle.importKey("spki", fromPem("PUBLIC KEY", pem), ALG, false, ["verify"]);
  } catch (err) {
    if (err instanceof SignatureError) throw err;
    throw new SignatureError("invalid_key", "the public key is not an Ed25519 SPKI key");
  }
}

/** Imports a PEM private key (PKCS#8) for signing. */
export async function importPrivateKey(pem: string): Promise<CryptoKey> {
  try {
    return await crypto.subtle.importKey("pkcs8", fromPem("PRIVATE KEY", pem), ALG, false, ["sign"]);
  } catch (err) {
    if (err instanceof SignatureError) throw err;
    throw new SignatureError("invalid_key", "the private key is not an Ed25519 PKCS#8 key");
  }
}

/** Signs `bytes` (the config's exact text); returns a base64 signature. */
export async function signConfig(privateKeyPem: string, bytes: string | Uint8Array): Promise<string> {
  const key = await importPrivateKey(privateKeyPem);
  const data = typeof bytes === "string" ? new TextEncoder().encode(bytes) : new Uint8Array(bytes);
  return toBase64(await crypto.subtle.sign(ALG, key, data));
}

/**
 * Verifies a base64 signature over `bytes`. Throws {@link SignatureError}
 * (`missing_signature` / `invalid_signature`) unless it is valid.
 */
export async function verifyConfig(
  publicKey: CryptoKey | string,
  bytes: string | Uint8Array,
  signature: string | undefined,
): Promise<void> {
  if (!signature) {
    throw new SignatureError(
      "missing_signature",
      "the config is not signed, but this gateway requires signed configs",
    );
  }
  const key = typeof publicKey === "string" ? await importPublicKey(publicKey) : publicKey;
  let sig: Uint8Array<ArrayBuffer>;
  try {
    sig = fromBase64(signature);
  } catch {
    throw new SignatureError("invalid_signature", "the config signature is not valid base64");
  }
  const data = typeof bytes === "string" ? new TextEncoder().encode(bytes) : new Uint8Array(bytes);
  if (!(await crypto.subtle.verify(ALG, key, sig, data))) {
    throw new SignatureError("invalid_signature", "the config signature does not match the verification key");
  }
}
