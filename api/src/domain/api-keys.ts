import { and, desc, eq, isNull, lt, or, sql } from "drizzle-orm";
import { API_KEY_PREFIX, type ApiKeyScope, type ApiKeySummary, type CreatedApiKey, type CreateApiKeyInput } from "@autoclaw/shared";
import { type Db, prepared } from "../db/client";
import { apiKeys } from "../db/schema";
import { type AuditBy, auditStatement } from "./audit";
import { base64url, newId, randomBytes, sha256 } from "./crypto";
import { notFound } from "./errors";

/** Shown in lists so a person can tell keys apart: "ak_" plus 8 characters of the secret part. */
const VISIBLE_CHARS = API_KEY_PREFIX.length + 8;
/** lastUsedAt is a hint for humans: write it at most once a minute per key, not on every call. */
const LAST_USED_RESOLUTION_MS = 60_000;

type Row = typeof apiKeys.$inferSelect;
const summary = (k: Row): ApiKeySummary => ({
  id: k.id,
  name: k.name,
  prefix: k.prefix,
  createdAt: k.createdAt.toISOString(),
  lastUsedAt: k.lastUsedAt?.toISOString() ?? null,
  scopes: k.scopes,
});

/** A key for the team with the scopes chosen (shown once; only its SHA-256 is kept). */
export async function createApiKey(
  db: Db,
  tenantId: string,
  input: Required<Pick<CreateApiKeyInput, "name" | "scopes">>,
  by: AuditBy,
): Promise<CreatedApiKey> {
  const key = API_KEY_PREFIX + base64url(randomBytes(24));
  const id = newId("key");
  const prefix = key.slice(0, VISIBLE_CHARS);
  const createdByUserId = by.actor.kind === "user" ? by.actor.id : null;
  const [[row]] = await db.batch([
    db
      .insert(apiKeys)
      .values({ id, tenantId, name: input.name, scopes: input.scopes, prefix, keyHash: await sha256(key), createdByUserId })
      .returning(),
    auditStatement(db, tenantId, by, {
      action: "api_key.created",
      target: { kind: "apiKey", id, label: `${input.name} (${prefix}…)` },
      metadata: { scopes: input.scopes.join(",") },
    }),
  ]);
  return { ...summary(row!), key };
}

export async function listApiKeys(db: Db, tenantId: string): Promise<ApiKeySummary[]> {
  const rows = await db.query.apiKeys.findMany({
    where: and(eq(apiKeys.tenantId, tenantId), isNull(apiKeys.revokedAt)),
    orderBy: desc(apiKeys.createdAt),
  });
  return rows.map(summary);
}

/** Revokes at once; answers with the keys that remain. */
export async function revokeApiKey(db: Db, tenantId: string, id: string, by: AuditBy): Promise<ApiKeySummary[]> {
  const [revoked] = await db.batch([
    db
      .update(apiKeys)
      .set({ revokedAt: new Date() })
      .where(and(eq(apiKeys.id, id), eq(apiKeys.tenantId, tenantId), isNull(apiKeys.revokedAt)))
      .returning({ id: apiKeys.id }),
    auditStatement(db, tenantId, by, {
      action: "api_key.revoked",
      target: {
        kind: "apiKey",
        id,
        label: sql`(select ${apiKeys.name} || ' (' || ${apiKeys.prefix} || '…)' from ${apiKeys} where ${apiKeys.id} = ${id})`,
      },
    }),
  ]);
  if (revoked.length === 0) throw notFound("API key");
  return listApiKeys(db, tenantId);
}

/** A key's lookup by hash, prepared once per isolate: every API request makes it. */
const keyByHash = prepared((db) =>
  db
    .select({ id: apiKeys.id, prefix: apiKeys.prefix, tenantId: apiKeys.tenantId, scopes: apiKeys.scopes, lastUsedAt: apiKeys.lastUsedAt })
    .from(apiKeys)
    .where(and(eq(apiKeys.keyHash, sql.placeholder("hash")), isNull(apiKeys.revokedAt)))
    .limit(1)
    .prepare(),
);

/**
 * The tenant a presented key acts for, or undefined for an unknown or revoked key. One read; the
 * last-used mark is written only when it is a minute old (a write goes to D1's primary, a read need not).
 */
export async function authenticateApiKey(
  db: Db,
  key: string,
): Promise<{ keyId: string; prefix: string; tenantId: string; scopes: ApiKeyScope[] } | undefined> {
  if (!key.startsWith(API_KEY_PREFIX)) return undefined;
  const row = await keyByHash(db).get({ hash: await sha256(key) });
  if (!row) return undefined;
  const now = Date.now();
  if (!row.lastUsedAt || row.lastUsedAt.getTime() < now - LAST_USED_RESOLUTION_MS)
    await db
      .update(apiKeys)
      .set({ lastUsedAt: new Date(now) })
      .where(and(eq(apiKeys.id, row.id), or(isNull(apiKeys.lastUsedAt), lt(apiKeys.lastUsedAt, new Date(now - LAST_USED_RESOLUTION_MS)))));
  return { keyId: row.id, prefix: row.prefix, tenantId: row.tenantId, scopes: row.scopes };
}
