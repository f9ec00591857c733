// The audit log. An entry is written by the change it records, as one more statement in that change's
// D1 batch, conditioned on the change having happened (`changes()` of the statement before it): a
// refused or no-op change leaves no entry, and a change never lands without one.
import { and, desc, eq, gte, lt, lte, or, SQL, sql } from "drizzle-orm";
import { stringify } from "csv-stringify/sync";
import {
  AUDIT_RETENTION_DAYS,
  type AuditAction,
  type AuditActorKind,
  type AuditEntry,
  type AuditExport,
  type AuditExportInput,
  type AuditListInput,
  type AuditMetadata,
  type AuditPage,
  auditExportInput,
  auditListInput,
} from "@autoclaw/shared";
import type { Settings } from "../config";
import type { Db } from "../db/client";
import { auditLog, tenantMembers, user } from "../db/schema";
import { base64url, hmacSign, hmacVerify } from "./crypto";
import { DomainError } from "./errors";

export interface AuditActor {
  kind: AuditActorKind;
  id: string;
  label: string;
}
/** Where a request came from (Cloudflare's CF-Connecting-IP, the browser's User-Agent); null off the web. */
export interface AuditClient {
  ip: string | null;
  userAgent: string | null;
}
/** Who acts, and from where: what every audited change is handed. */
export interface AuditBy {
  actor: AuditActor;
  client: AuditClient;
}
export interface AuditRecord {
  action: AuditAction;
  /** The label may be SQL: what the change's own rows call the target (read in the batch, before a delete). */
  target?: { kind: string; id: string; label?: string | SQL | null };
  metadata?: AuditMetadata;
}

export const PLATFORM: AuditActor = { kind: "platform", id: "platform", label: "AutoClaw" };
export const NO_CLIENT: AuditClient = { ip: null, userAgent: null };
/** The platform acting on its own (idle stops, Stripe's plan changes, retention). */
export const byPlatform: AuditBy = { actor: PLATFORM, client: NO_CLIENT };

export const telegramActor = (from: { id: number; username?: string; first_name?: string }): AuditActor => ({
  kind: "telegram",
  id: String(from.id),
  label: from.username ? `@${from.username}` : (from.first_name ?? `Telegram user ${from.id}`),
});

export function clientOf(req: Request): AuditClient {
  return {
    ip: req.headers.get("cf-connecting-ip")?.slice(0, 64) ?? null,
    userAgent: req.headers.get("user-agent")?.slice(0, 300) ?? null,
  };
}

const short = (v: string | null | undefined, n = 200) => (v == null ? null : v.slice(0, n));
const newAuditId = sql`'aud_' || lower(hex(randomblob(10)))`;

/**
 * The entry's values in the table's column order, for `insert … select`. `tenantId` may be SQL (a
 * column of the rows selected, or a subquery) when the change names the team indirectly.
 */
function entryValues(tenantId: string | SQL, by: AuditBy, rec: AuditRecord, at: number): SQL {
  const metadata: AuditMetadata = {};
  for (const [k, v] of Object.entries(rec.metadata ?? {})) metadata[k] = typeof v === "string" ? v.slice(0, 200) : v;
  const label = rec.target?.label;
  return sql`${newAuditId}, ${tenantId}, ${at}, ${by.actor.kind}, ${short(by.actor.id)}, ${short(by.actor.label)}, ${rec.action},
    ${rec.target?.kind ?? null}, ${short(rec.target?.id)}, ${label instanceof SQL ? sql`substr(${label}, 1, 200)` : short(label)},
    ${by.client.ip}, ${by.client.userAgent}, ${JSON.stringify(metadata)}`;
}

/**
 * The statement that records a change, to put right after the change's statement in its batch. By
 * default it writes only if that statement changed a row; `always` writes regardless (a failed sign-in,
 * a download); a condition (SQL) writes when it holds (an entry written before a delete, to name
 * what goes).
 */
export function auditStatement(
  db: Db,
  tenantId: string | SQL,
  by: AuditBy,
  rec: AuditRecord,
  when: "changed" | "always" | SQL = "changed",
  now = Date.now(),
) {
  const guard = when === "changed" ? sql`where changes() > 0` : when === "always" ? sql`` : sql`where ${when}`;
  return db.insert(auditLog).select(sql`select ${entryValues(tenantId, by, rec, now)} ${guard}`);
}

/** One entry in every team a person belongs to (sign-ins: a person has no one team). */
export function auditInTeamsOf(db: Db, userId: string, by: AuditBy, rec: AuditRecord, now = Date.now()) {
  return db
    .insert(auditLog)
    .select(
      sql`select ${entryValues(sql`${tenantMembers.tenantId}`, by, rec, now)} from ${tenantMembers} where ${tenantMembers.userId} = ${userId}`,
    );
}

/**
 * A password sign-in, good or bad, in the log of every team the account is in. better-auth writes the
 * session itself, so this entry follows its answer instead of sharing its batch. An address with no
 * account has no team to tell.
 */
export async function recordSignIn(db: Db, email: string, outcome: "ok" | "wrong-password" | "rate-limited", client: AuditClient) {
  const account = await db.select({ id: user.id, email: user.email }).from(user).where(eq(user.email, email.toLowerCase())).get();
  if (!account) return;
  const by: AuditBy = { actor: { kind: "user", id: account.id, label: account.email }, client };
  if (outcome === "ok") await auditInTeamsOf(db, account.id, by, { action: "auth.signed_in" });
  else
    await auditInTeamsOf(db, account.id, by, {
      action: "auth.sign_in_failed",
      metadata: { reason: outcome === "rate-limited" ? "too many attempts" : "wrong email or password" },
    });
}

// ── Reading ─────────────────────────────────────────────────────────────────────────────────────────

type Row = typeof auditLog.$inferSelect;
const entryOf = (r: Row): AuditEntry => ({
  id: r.id,
  at: r.at.toISOString(),
  actor: { kind: r.actorKind, id: r.actorId, label: r.actorLabel },
  action: r.action,
  target: r.targetKind && r.targetId ? { kind: r.targetKind, id: r.targetId, label: r.targetLabel } : null,
  ip: r.ip,
  userAgent: r.userAgent,
  metadata: r.metadata,
});

const cursorOf = (r: Row) => `${r.at.getTime()}.${r.id}`;
function afterCursor(cursor: string) {
  const m = /^(\d{1,15})\.(aud_[0-9a-f]{20})$/.exec(cursor);
  if (!m) throw new DomainError("BAD_REQUEST", "That cursor is not one audit.list gave out");
  const at = new Date(Number(m[1]));
  return or(lt(auditLog.at, at), and(eq(auditLog.at, at), lt(auditLog.id, m[2]!)));
}

const rangeOf = (tenantId: string, from?: string, to?: string) => [
  eq(auditLog.tenantId, tenantId),
  from ? gte(auditLog.at, new Date(from)) : undefined,
  to ? lte(auditLog.at, new Date(to)) : undefined,
];

/** A page of the team's entries, newest first. */
export async function listAudit(db: Db, tenantId: string, raw: AuditListInput): Promise<AuditPage> {
  const input = auditListInput.parse(raw);
  const rows = await db
    .select()
    .from(auditLog)
    .where(
      and(
        ...rangeOf(tenantId, input.from, input.to),
        input.action ? eq(auditLog.action, input.action) : undefined,
        input.actorId ? eq(auditLog.actorId, input.actorId) : undefined,
        input.cursor ? afterCursor(input.cursor) : undefined,
      ),
    )
    .orderBy(desc(auditLog.at), desc(auditLog.id))
    .limit(input.limit + 1);
  const page = rows.slice(0, input.limit);
  return { items: page.map(entryOf), nextCursor: rows.length > input.limit ? cursorOf(page.at(-1)!) : null };
}

// ── Export (a signed download, like artifacts) ──────────────────────────────────────────────────────

const EXPORT_URL_TTL_MS = 15 * 60_000;
/** An export holds at most this many entries (newest first); a longer period is exported in parts. */
export const EXPORT_MAX_ROWS = 50_000;

interface ExportGrant {
  tenantId: string;
  format: AuditExportInput["format"];
  from?: string;
  to?: string;
  /** Who asked for the link: the export is recorded as theirs. */
  actor: AuditActor;
  exp: number;
}

export async function signAuditExport(s: Settings, tenantId: string, actor: AuditActor, raw: AuditExportInput, now = Date.now()) {
  const input = auditExportInput.parse(raw);
  const grant: ExportGrant = { tenantId, format: input.format, from: input.from, to: input.to, actor, exp: now + EXPORT_URL_TTL_MS };
  const payload = base64url(new TextEncoder().encode(JSON.stringify(grant)));
  const sig = await hmacSign(s.BETTER_AUTH_SECRET, "audit-export", payload);
  return { url: `/api/audit/export?grant=${payload}&sig=${sig}`, expiresAt: new Date(grant.exp).toISOString() } satisfies AuditExport;
}

function grantOf(payload: string): ExportGrant | undefined {
  try {
    const bin = atob(payload.replace(/-/g, "+").replace(/_/g, "/"));
    return JSON.parse(new TextDecoder().decode(Uint8Array.from(bin, (c) => c.charCodeAt(0)))) as ExportGrant;
  } catch {
    return undefined;
  }
}

const CSV_COLUMNS = [
  "at",
  "action",
  "actor_kind",
  "actor_id",
  "actor",
  "target_kind",
  "target_id",
  "target",
  "ip",
  "user_agent",
  "metadata",
];
const csvRow = (e: AuditEntry) => [
  e.at,
  e.action,
  e.actor.kind,
  e.actor.id,
  e.actor.label,
  e.target?.kind ?? "",
  e.target?.id ?? "",
  e.target?.label ?? "",
  e.ip ?? "",
  e.userAgent ?? "",
  JSON.stringify(e.metadata),
];

/**
 * The file a signed export link names, or undefined when the link is wrong or expired. Reading it is
 * itself recorded (before the read, so the file includes its own export).
 */
export async function openAuditExport(
  db: Db,
  s: Settings,
  payload: string | null,
  sig: string | null,
  client: AuditClient,
): Promise<{ body: string; contentType: string; filename: string } | undefined> {
  if (!payload || !sig || !(await hmacVerify(s.BETTER_AUTH_SECRET, "audit-export", payload, sig))) return undefined;
  const grant = grantOf(payload);
  if (!grant || grant.exp < Date.now()) return undefined;
  const { tenantId, format, from, to } = grant;
  await auditStatement(
    db,
    tenantId,
    { actor: grant.actor, client },
    { action: "audit.exported", metadata: { format, from: from ?? null, to: to ?? null } },
    "always",
  );
  const entries: AuditEntry[] = [];
  let cursor: string | undefined;
  do {
    const page = await listAudit(db, tenantId, { from, to, cursor, limit: 200 });
    entries.push(...page.items);
    cursor = page.nextCursor ?? undefined;
  } while (cursor && entries.length < EXPORT_MAX_ROWS);
  const day = (iso?: string) => (iso ? iso.slice(0, 10) : "all");
  const filename = `autoclaw-audit-${day(from)}-${day(to)}.${format}`;
  if (format === "jsonl") {
    return { body: entries.map((e) => `${JSON.stringify(e)}\n`).join(""), contentType: "application/x-ndjson", filename };
  }
  // Formulas escaped: a label such as "=HYPERLINK(…)" must not run in the spreadsheet that opens it.
  const body = stringify([CSV_COLUMNS, ...entries.map(csvRow)], { escape_formulas: true });
  return { body, contentType: "text/csv; charset=utf-8", filename };
}

/** Retention: entries older than AUDIT_RETENTION_DAYS go (the only deletion of entries there is). */
export async function pruneAuditLog(db: Db, now = Date.now()) {
  await db.delete(auditLog).where(lt(auditLog.at, new Date(now - AUDIT_RETENTION_DAYS * 86_400_000)));
}
