// Small primitives on Web Crypto, shared by every secret the platform handles.

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function randomBytes(n: number): Uint8Array<ArrayBuffer> {
  return crypto.getRandomValues(new Uint8Array(n));
}

export function base64url(bytes: Uint8Array): string {
  return toBase64(bytes).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

function toBase64(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}

function fromBase64(b64: string): Uint8Array<ArrayBuffer> {
  return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
}

export function hex(bytes: ArrayBuffer | Uint8Array): string {
  return [...new Uint8Array(bytes)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** SHA-256 hex of text or bytes: right for high-entropy tokens (API keys, runtime tokens) and file contents; never for passwords. */
export async function sha256(data: string | Uint8Array<ArrayBuffer>): Promise<string> {
  return hex(await crypto.subtle.digest("SHA-256", typeof data === "string" ? encoder.encode(data) : data));
}

/** `prefix_` + a random url-safe id; unguessable, so ids never need to be secret. */
export function newId(prefix: string): string {
  return `${prefix}_${base64url(randomBytes(12))}`;
}

/** `prefix_` + 24 lowercase hex characters, for ids that other systems fold to lowercase (OpenClaw agent ids). */
export function newLowercaseId(prefix: string): string {
  return `${prefix}_${hex(randomBytes(12))}`;
}

// ── AES-GCM for secrets at rest (BYOK keys) ─────────────────────────────────────────────────────────

const aesKeys = new Map<string, Promise<CryptoKey>>();
function aesKey(keyB64: string): Promise<CryptoKey> {
  let k = aesKeys.get(keyB64);
  if (!k) {
    k = crypto.subtle.importKey("raw", fromBase64(keyB64), "AES-GCM", false, ["encrypt", "decrypt"]);
    aesKeys.set(keyB64, k);
  }
  return k;
}

/**
 * Encrypts `plaintext` as `v1.<iv>.<ciphertext>` (base64). `context` is authenticated but not
 * stored (e.g. "tenant:provider"), so a ciphertext copied to another row fails to decrypt.
 */
export async function encryptSecret(keyB64: string, plaintext: string, context: string): Promise<string> {
  const iv = randomBytes(12);
  const ct = await crypto.subtle.encrypt(
    { name: "AES-GCM", iv, additionalData: encoder.encode(context) },
    await aesKey(keyB64),
    encoder.encode(plaintext),
  );
  return `v1.${toBase64(iv)}.${toBase64(new Uint8Array(ct))}`;
}

/**
 * Secrets this isolate has decrypted, by ciphertext (a rotated key is a new one): every run decrypts its
 * team's model key, and the plaintext is no more exposed here than the encryption key beside it.
 * Bounded; the oldest go first.
 */
const opened = new Map<string, Promise<string>>();
const OPENED_MAX = 256;

export function decryptSecret(keyB64: string, sealed: string, context: string): Promise<string> {
  const id = `${keyB64}\n${context}\n${sealed}`;
  let plain = opened.get(id);
  if (!plain) {
    plain = openSecret(keyB64, sealed, context);
    plain.catch(() => opened.delete(id));
    opened.set(id, plain);
    for (const [oldest] of opened) {
      if (opened.size <= OPENED_MAX) break;
      opened.delete(oldest);
    }
  }
  return plain;
}

async function openSecret(keyB64: string, sealed: string, context: string): Promise<string> {
  const [version, iv, ct] = sealed.split(".");
  if (version !== "v1" || !iv || !ct) throw new Error("Unknown secret format");
  const pt = await crypto.subtle.decrypt(
    { name: "AES-GCM", iv: fromBase64(iv), additionalData: encoder.encode(context) },
    await aesKey(keyB64),
    fromBase64(ct),
  );
  return decoder.decode(pt);
}

// ── HMAC for short-lived signed URLs ────────────────────────────────────────────────────────────────

// Imported once per isolate and purpose, as the AES key is: every signed link (each runs.get) uses one.
const hmacKeys = new Map<string, Promise<CryptoKey>>();
function hmacKey(secret: string, purpose: string): Promise<CryptoKey> {
  const raw = `${purpose}:${secret}`;
  let k = hmacKeys.get(raw);
  if (!k) {
    k = crypto.subtle.importKey("raw", encoder.encode(raw), { name: "HMAC", hash: "SHA-256" }, false, ["sign", "verify"]);
    hmacKeys.set(raw, k);
  }
  return k;
}

export async function hmacSign(secret: string, purpose: string, message: string): Promise<string> {
  return base64url(new Uint8Array(await crypto.subtle.sign("HMAC", await hmacKey(secret, purpose), encoder.encode(message))));
}

export async function hmacVerify(secret: string, purpose: string, message: string, signature: string): Promise<boolean> {
  try {
    const sig = fromBase64(signature.replaceAll("-", "+").replaceAll("_", "/") + "=".repeat((4 - (signature.length % 4)) % 4));
    return await crypto.subtle.verify("HMAC", await hmacKey(secret, purpose), sig, encoder.encode(message));
  } catch {
    return false;
  }
}

/** Compares two secrets in time independent of where they differ. */
export function timingSafeEqualText(a: string, b: string): boolean {
  const x = new TextEncoder().encode(a);
  const y = new TextEncoder().encode(b);
  let diff = x.length ^ y.length;
  for (let i = 0; i < Math.max(x.length, y.length); i++) diff |= (x[i] ?? 0) ^ (y[i] ?? 0);
  return diff === 0;
}
