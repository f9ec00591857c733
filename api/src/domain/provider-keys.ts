import { and, eq, sql } from "drizzle-orm";
import ipaddr from "ipaddr.js";
import type { Provider, ProviderKeySummary, SetProviderKeyInput } from "@autoclaw/shared";
import type { Settings } from "../config";
import { bound, type Db, prepared } from "../db/client";
import { providerKeys } from "../db/schema";
import { type AuditBy, auditStatement } from "./audit";
import { decryptSecret, encryptSecret } from "./crypto";
import { DomainError } from "./errors";

const context = (tenantId: string, provider: Provider) => `provider-key:${tenantId}:${provider}`;

type Row = typeof providerKeys.$inferSelect;
const summary = (r: Row): ProviderKeySummary => ({
  provider: r.provider,
  last4: r.last4,
  baseUrl: r.baseUrl,
  updatedAt: r.updatedAt.toISOString(),
});

/**
 * Whether a URL's host is reachable only inside a network: any address that is not public unicast in
 * whatever spelling (the URL parser has already turned `0x7f.0.0.1`, `2130706433` and `127.1` into
 * `127.0.0.1`; IPv4-mapped IPv6 such as `[::ffff:127.0.0.1]` is read as its IPv4 address), and local
 * names (`localhost`, `*.local`, `*.internal`, single labels such as `metadata`).
 */
export function isPrivateHost(hostname: string): boolean {
  const h = hostname
    .toLowerCase()
    .replace(/^\[|\]$/g, "")
    .replace(/\.$/, "");
  if (ipaddr.isValid(h)) {
    const parsed = ipaddr.parse(h);
    const address =
      parsed.kind() === "ipv6" && (parsed as ipaddr.IPv6).isIPv4MappedAddress() ? (parsed as ipaddr.IPv6).toIPv4Address() : parsed;
    return address.range() !== "unicast";
  }
  return h === "localhost" || h.endsWith(".localhost") || h.endsWith(".local") || h.endsWith(".internal") || !h.includes(".");
}

/** A custom provider's base URL must be public https unless the operator allows private URLs. */
export function checkCustomBaseUrl(baseUrl: string, s: Settings): string {
  const url = new URL(baseUrl);
  if (url.protocol !== "https:" && url.protocol !== "http:") throw new DomainError("BAD_REQUEST", "The base URL must be http(s)");
  if (!s.ALLOW_PRIVATE_MODEL_URLS && (url.protocol !== "https:" || isPrivateHost(url.hostname))) {
    throw new DomainError("BAD_REQUEST", "The base URL must be a public https address");
  }
  return url.toString().replace(/\/+$/, "");
}

export async function setProviderKey(
  db: Db,
  s: Settings,
  tenantId: string,
  input: SetProviderKeyInput,
  by: AuditBy,
): Promise<ProviderKeySummary> {
  const baseUrl = input.provider === "custom" ? checkCustomBaseUrl(input.baseUrl!, s) : null;
  const ciphertext = await encryptSecret(s.ENCRYPTION_KEY, input.apiKey, context(tenantId, input.provider));
  const values = { tenantId, provider: input.provider, ciphertext, last4: input.apiKey.slice(-4), baseUrl, updatedAt: new Date() };
  const [[row]] = await db.batch([
    db
      .insert(providerKeys)
      .values(values)
      .onConflictDoUpdate({
        target: [providerKeys.tenantId, providerKeys.provider],
        set: { ciphertext, last4: values.last4, baseUrl, updatedAt: values.updatedAt },
      })
      .returning(),
    // The last 4 characters only, as the dashboard shows them: never the key.
    auditStatement(db, tenantId, by, {
      action: "model_key.set",
      target: { kind: "provider", id: input.provider, label: input.provider },
      metadata: { last4: values.last4, ...(baseUrl && { baseUrl }) },
    }),
  ]);
  return summary(row!);
}

export async function listProviderKeys(db: Db, tenantId: string): Promise<ProviderKeySummary[]> {
  const rows = await db.query.providerKeys.findMany({ where: eq(providerKeys.tenantId, tenantId), orderBy: providerKeys.provider });
  return rows.map(summary);
}

/** Removes the team's key for a provider; answers with the keys that remain. */
export async function removeProviderKey(db: Db, tenantId: string, provider: Provider, by: AuditBy): Promise<ProviderKeySummary[]> {
  const [gone] = await db.batch([
    db
      .delete(providerKeys)
      .where(and(eq(providerKeys.tenantId, tenantId), eq(providerKeys.provider, provider)))
      .returning({ provider: providerKeys.provider }),
    auditStatement(db, tenantId, by, { action: "model_key.removed", target: { kind: "provider", id: provider, label: provider } }),
  ]);
  if (gone.length === 0) throw new DomainError("NOT_FOUND", "No key is stored for that provider");
  return listProviderKeys(db, tenantId);
}

/** Which providers the team has a key for (one row each), for a caller's own batch. */
export const storedProvidersRead = (db: Db, tenantId: string) => bound(providerKeyQueries(db).stored, { tenantId });

/** The read of one provider's stored key, for a caller's own batch; `credentialsFrom` decrypts it. */
export const providerKeyRead = (db: Db, tenantId: string, provider: Provider) => bound(providerKeyQueries(db).one, { tenantId, provider });

// Every run's creation and every model call (a direct turn, the runtime's model proxy) read these: prepared once per isolate.
const providerKeyQueries = prepared((db) => {
  const team = eq(providerKeys.tenantId, sql.placeholder("tenantId"));
  return {
    stored: db.select({ provider: providerKeys.provider }).from(providerKeys).where(team).prepare(),
    one: db
      .select()
      .from(providerKeys)
      .where(and(team, eq(providerKeys.provider, sql.placeholder("provider"))))
      .prepare(),
  };
});

/** The decrypted key for one provider, for the model module only; never returned to a client. */
export async function credentialsFrom(
  s: Settings,
  tenantId: string,
  provider: Provider,
  rows: (typeof providerKeys.$inferSelect)[],
): Promise<{ apiKey: string; baseUrl: string | null } | undefined> {
  const row = rows[0];
  if (!row) return undefined;
  return { apiKey: await decryptSecret(s.ENCRYPTION_KEY, row.ciphertext, context(tenantId, provider)), baseUrl: row.baseUrl };
}
