// Small primitives on Web Crypto, shared by every secret the platform handles.

const encoder = new TextEncoder();

export function randomBytes(n: number): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(n));
}

export function base64url(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

export function hex(bytes: ArrayBuffer | Uint8Array): string {
  return [...new Uint8Array(bytes)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** SHA-256 hex: right for high-entropy tokens (API keys, runtime tokens); never for passwords. */
export async function sha256(text: string): Promise<string> {
  return hex(await crypto.subtle.digest("SHA-256", encoder.encode(text)));
}

/** `prefix_` + a random url-safe id; sortable enough for humans, unguessable for everyone else. */
export function newId(prefix: string): string {
  return `${prefix}_${base64url(randomBytes(12))}`;
}
