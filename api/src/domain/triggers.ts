// Inbound triggers: `POST /api/triggers/<id>` with `Authorization: Bearer <secret>` turns the request's
// body (JSON or text, size-capped) into a run of the trigger's agent through its mustache template, and
// answers 202 { runId } at once. A bad secret is 401 and nothing runs; each trigger takes at most
// TRIGGER_RATE_PER_MINUTE requests a minute, counted in the same statement that checks the secret.
import Mustache from "mustache";
import { and, asc, eq, isNull, sql } from "drizzle-orm";
import {
  API_KEY_PREFIX,
  type CreatedTrigger,
  type CreateTriggerInput,
  DEFAULT_TRIGGER_TEMPLATE,
  RUN_INPUT_MAX,
  TRIGGER_BODY_MAX,
  TRIGGER_RATE_PER_MINUTE,
  type TriggerSummary,
} from "@autoclaw/shared";
import type { Settings } from "../config";
import type { Db } from "../db/client";
import { triggers } from "../db/schema";
import { getAgentRow } from "./agents";
import { type AuditBy, auditStatement } from "./audit";
import { base64url, newId, randomBytes, sha256 } from "./crypto";
import { DomainError, HTTP_STATUS, notFound } from "./errors";
import { recordedActorOf } from "./principals";
import type { RunDeps } from "./run-records";
import { createRun } from "./runs";

type Row = typeof triggers.$inferSelect;
const SECRET_PREFIX = "trg_";
const urlOf = (s: Settings, id: string) => new URL(`/api/triggers/${id}`, s.APP_URL).toString();

const summary = (s: Settings, r: Row): TriggerSummary => ({
  id: r.id,
  agentId: r.agentId,
  name: r.name,
  template: r.template,
  url: urlOf(s, r.id),
  createdAt: r.createdAt.toISOString(),
  lastUsedAt: r.lastUsedAt?.toISOString() ?? null,
});

/** A template must parse now, not fail at the first request. */
function checkTemplate(template: string) {
  try {
    Mustache.parse(template);
  } catch (e) {
    throw new DomainError("BAD_REQUEST", `That template does not parse: ${e instanceof Error ? e.message : e}`);
  }
}

export async function createTrigger(
  deps: { db: Db; settings: Settings },
  tenantId: string,
  by: AuditBy,
  input: CreateTriggerInput,
): Promise<CreatedTrigger> {
  const { db } = deps;
  const agent = await getAgentRow(db, tenantId, input.agentId);
  const template = input.template ?? DEFAULT_TRIGGER_TEMPLATE;
  checkTemplate(template);
  const id = newId("trg");
  const secret = SECRET_PREFIX + base64url(randomBytes(24));
  const [[row]] = await db.batch([
    db
      .insert(triggers)
      .values({
        id,
        tenantId,
        agentId: agent.id,
        name: input.name,
        template,
        secretHash: await sha256(secret),
        createdBy: recordedActorOf(by),
      })
      .returning(),
    auditStatement(db, tenantId, by, {
      action: "trigger.created",
      target: { kind: "trigger", id, label: input.name },
      metadata: { agentId: agent.id },
    }),
  ]);
  return { ...summary(deps.settings, row!), secret };
}

export async function listTriggers(deps: { db: Db; settings: Settings }, tenantId: string, agentId?: string): Promise<TriggerSummary[]> {
  const rows = await deps.db
    .select()
    .from(triggers)
    .where(and(eq(triggers.tenantId, tenantId), isNull(triggers.revokedAt), agentId ? eq(triggers.agentId, agentId) : undefined))
    .orderBy(asc(triggers.createdAt));
  return rows.map((r) => summary(deps.settings, r));
}

export async function revokeTrigger(db: Db, tenantId: string, id: string, by: AuditBy) {
  const [gone] = await db.batch([
    db
      .update(triggers)
      .set({ revokedAt: new Date() })
      .where(and(eq(triggers.id, id), eq(triggers.tenantId, tenantId), isNull(triggers.revokedAt)))
      .returning({ id: triggers.id }),
    auditStatement(db, tenantId, by, {
      action: "trigger.revoked",
      target: { kind: "trigger", id, label: sql`(select ${triggers.name} from ${triggers} where ${triggers.id} = ${id})` },
    }),
  ]);
  if (!gone.length) throw notFound("Trigger");
  return { id };
}

/** The run's input: the template with `{{body}}` (the text) and, for a JSON object, its fields. */
export function renderTriggerInput(template: string, body: string, json: unknown): string {
  const view = json && typeof json === "object" && !Array.isArray(json) ? { ...(json as object), body } : { body };
  const text = Mustache.render(template, view, undefined, { escape: (v: unknown) => String(v) }).trim();
  return text.slice(0, RUN_INPUT_MAX);
}

export type TriggerAnswer = { status: number; body: Record<string, unknown>; headers?: Record<string, string> };

/** One request to a trigger, as the raw route hands it over. */
export async function handleTriggerRequest(deps: RunDeps, id: string, req: Request): Promise<TriggerAnswer> {
  if (req.method !== "POST") return { status: 405, body: { error: "POST the request to this URL" }, headers: { allow: "POST" } };
  const secret = req.headers
    .get("authorization")
    ?.match(/^Bearer\s+(.+)$/i)?.[1]
    ?.trim();
  const refused = { status: 401, body: { error: "Missing or wrong trigger secret (Authorization: Bearer trg_…)" } };
  // An API key is not a trigger secret: say so instead of a bare 401.
  if (secret?.startsWith(API_KEY_PREFIX)) return { ...refused, body: { error: "Send the trigger's own secret, not an API key" } };
  if (!secret?.startsWith(SECRET_PREFIX)) return refused;
  const length = Number(req.headers.get("content-length") ?? 0);
  if (length > TRIGGER_BODY_MAX) return { status: 413, body: { error: `The body may be at most ${TRIGGER_BODY_MAX} bytes` } };
  const now = Date.now();
  const windowStart = now - (now % 60_000);
  // The secret checked and the request counted in one statement (192-bit secrets are not guessed).
  const [hit] = await deps.db
    .update(triggers)
    .set({
      windowHits: sql`case when ${triggers.windowStart} = ${windowStart} then ${triggers.windowHits} + 1 else 1 end`,
      windowStart: new Date(windowStart),
      lastUsedAt: new Date(now),
    })
    .where(and(eq(triggers.id, id), eq(triggers.secretHash, await sha256(secret)), isNull(triggers.revokedAt)))
    .returning();
  if (!hit) return refused;
  if (hit.windowHits > TRIGGER_RATE_PER_MINUTE) {
    const retry = Math.ceil((windowStart + 60_000 - now) / 1000);
    return {
      status: 429,
      body: { error: `At most ${TRIGGER_RATE_PER_MINUTE} requests a minute per trigger` },
      headers: { "retry-after": String(retry) },
    };
  }
  const raw = new Uint8Array(await req.arrayBuffer());
  if (raw.byteLength > TRIGGER_BODY_MAX) return { status: 413, body: { error: `The body may be at most ${TRIGGER_BODY_MAX} bytes` } };
  const text = new TextDecoder().decode(raw);
  const isJson = (req.headers.get("content-type") ?? "").split(";")[0]!.trim() === "application/json";
  let json: unknown;
  if (isJson) {
    try {
      json = JSON.parse(text);
    } catch {
      return { status: 400, body: { error: "The body is not valid JSON" } };
    }
  }
  const input = renderTriggerInput(hit.template, text, json);
  if (!input) return { status: 400, body: { error: "The template made an empty input from this body" } };
  const key = req.headers.get("idempotency-key")?.trim().slice(0, 80);
  try {
    const run = await createRun(
      deps,
      hit.tenantId,
      { agentId: hit.agentId, input, idempotencyKey: key ? `trigger:${id}:${key}` : undefined },
      "trigger",
      { createdBy: `trigger:${id}` },
    );
    return { status: 202, body: { runId: run.id } };
  } catch (e) {
    if (!(e instanceof DomainError)) throw e;
    return { status: HTTP_STATUS[e.code], body: { error: e.message } };
  }
}
