import { sql } from "drizzle-orm";
import { index, integer, primaryKey, real, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import {
  type ApiKeyScope,
  type AuditMetadata,
  AUDIT_ACTIONS,
  AUDIT_ACTOR_KINDS,
  type InventorySkill,
  CONVERSATION_SOURCES,
  CONVERSATION_VISIBILITIES,
  FILE_VERSION_REASONS,
  FIRING_STATUSES,
  PLAN_IDS,
  PROVIDERS,
  RUN_SOURCES,
  RUN_STATUSES,
  RUNTIME_STATES,
  SUBSCRIPTION_STATUSES,
  TENANT_ROLES,
} from "@autoclaw/shared";

const createdAt = () => integer("created_at", { mode: "timestamp_ms" }).notNull().default(sql`(unixepoch('subsec') * 1000)`);

// ── Accounts (better-auth's tables; field names are the ones its drizzle adapter expects) ──────────

export const user = sqliteTable("user", {
  id: text("id").primaryKey(),
  name: text("name").notNull(),
  email: text("email").notNull().unique(),
  emailVerified: integer("email_verified", { mode: "boolean" }).notNull().default(false),
  image: text("image"),
  createdAt: integer("created_at", { mode: "timestamp_ms" }).notNull(),
  updatedAt: integer("updated_at", { mode: "timestamp_ms" }).notNull(),
});

export const session = sqliteTable(
  "session",
  {
    id: text("id").primaryKey(),
    expiresAt: integer("expires_at", { mode: "timestamp_ms" }).notNull(),
    token: text("token").notNull().unique(),
    createdAt: integer("created_at", { mode: "timestamp_ms" }).notNull(),
    updatedAt: integer("updated_at", { mode: "timestamp_ms" }).notNull(),
    ipAddress: text("ip_address"),
    userAgent: text("user_agent"),
    userId: text("user_id")
      .notNull()
      .references(() => user.id, { onDelete: "cascade" }),
  },
  (t) => [index("session_user_idx").on(t.userId)],
);

export const account = sqliteTable(
  "account",
  {
    id: text("id").primaryKey(),
    accountId: text("account_id").notNull(),
    providerId: text("provider_id").notNull(),
    userId: text("user_id")
      .notNull()
      .references(() => user.id, { onDelete: "cascade" }),
    accessToken: text("access_token"),
    refreshToken: text("refresh_token"),
    idToken: text("id_token"),
    accessTokenExpiresAt: integer("access_token_expires_at", { mode: "timestamp_ms" }),
    refreshTokenExpiresAt: integer("refresh_token_expires_at", { mode: "timestamp_ms" }),
    scope: text("scope"),
    password: text("password"),
    createdAt: integer("created_at", { mode: "timestamp_ms" }).notNull(),
    updatedAt: integer("updated_at", { mode: "timestamp_ms" }).notNull(),
  },
  (t) => [index("account_user_idx").on(t.userId)],
);

export const verification = sqliteTable(
  "verification",
  {
    id: text("id").primaryKey(),
    identifier: text("identifier").notNull(),
    value: text("value").notNull(),
    expiresAt: integer("expires_at", { mode: "timestamp_ms" }).notNull(),
    createdAt: integer("created_at", { mode: "timestamp_ms" }).notNull(),
    updatedAt: integer("updated_at", { mode: "timestamp_ms" }).notNull(),
  },
  (t) => [index("verification_identifier_idx").on(t.identifier)],
);

/** better-auth's rate limiter state (storage: "database"), so limits hold across isolates. */
export const rateLimit = sqliteTable("rate_limit", {
  id: text("id").primaryKey(),
  key: text("key").notNull().unique(),
  count: integer("count").notNull(),
  lastRequest: integer("last_request").notNull(),
});

// ── Tenancy ─────────────────────────────────────────────────────────────────────────────────────────

export const tenants = sqliteTable("tenants", {
  id: text("id").primaryKey(),
  name: text("name").notNull(),
  /** Who besides its owner sees a conversation (shared/src/conversations.ts). */
  conversationVisibility: text("conversation_visibility", { enum: CONVERSATION_VISIBILITIES }).notNull().default("private"),
  createdAt: createdAt(),
});

export const tenantMembers = sqliteTable(
  "tenant_members",
  {
    tenantId: text("tenant_id")
      .notNull()
      .references(() => tenants.id, { onDelete: "cascade" }),
    userId: text("user_id")
      .notNull()
      .references(() => user.id, { onDelete: "cascade" }),
    role: text("role", { enum: TENANT_ROLES }).notNull(),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.userId] }), index("tenant_members_user_idx").on(t.userId)],
);

export const INVITATION_STATUSES = ["pending", "accepted", "declined", "revoked"] as const;

/**
 * An invitation to a team, addressed to an email (never to an account, so inviting reveals nothing
 * about who has one). One open invitation per team and address: inviting again refreshes it.
 */
export const invitations = sqliteTable(
  "invitations",
  {
    id: text("id").primaryKey(),
    tenantId: text("tenant_id")
      .notNull()
      .references(() => tenants.id, { onDelete: "cascade" }),
    email: text("email").notNull(),
    role: text("role", { enum: TENANT_ROLES }).notNull(),
    invitedBy: text("invited_by").references(() => user.id, { onDelete: "set null" }),
    status: text("status", { enum: INVITATION_STATUSES }).notNull().default("pending"),
    createdAt: createdAt(),
    expiresAt: integer("expires_at", { mode: "timestamp_ms" }).notNull(),
    respondedAt: integer("responded_at", { mode: "timestamp_ms" }),
  },
  (t) => [
    uniqueIndex("invitations_open_idx").on(t.tenantId, t.email).where(sql`status = 'pending'`),
    index("invitations_email_idx").on(t.email, t.status),
  ],
);

/** Tenant API keys for integrators: only a SHA-256 of the key is stored (keys are 192-bit random). */
export const apiKeys = sqliteTable(
  "api_keys",
  {
    id: text("id").primaryKey(),
    tenantId: text("tenant_id")
      .notNull()
      .references(() => tenants.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    prefix: text("prefix").notNull(),
    keyHash: text("key_hash").notNull(),
    createdByUserId: text("created_by_user_id").references(() => user.id, { onDelete: "set null" }),
    /** What the key may do (shared/access.ts); keys made before scopes existed have the default. */
    scopes: text("scopes", { mode: "json" }).$type<ApiKeyScope[]>().notNull().default(sql`'["read","runs"]'`),
    createdAt: createdAt(),
    lastUsedAt: integer("last_used_at", { mode: "timestamp_ms" }),
    revokedAt: integer("revoked_at", { mode: "timestamp_ms" }),
  },
  (t) => [uniqueIndex("api_keys_hash_idx").on(t.keyHash), index("api_keys_tenant_idx").on(t.tenantId)],
);

// ── Models, agents, runs ────────────────────────────────────────────────────────────────────────────

/** BYOK provider keys: AES-GCM ciphertext bound to (tenant, provider); only last4 is ever shown. */
export const providerKeys = sqliteTable(
  "provider_keys",
  {
    tenantId: text("tenant_id")
      .notNull()
      .references(() => tenants.id, { onDelete: "cascade" }),
    provider: text("provider", { enum: PROVIDERS }).notNull(),
    ciphertext: text("ciphertext").notNull(),
    last4: text("last4").notNull(),
    baseUrl: text("base_url"),
    createdAt: createdAt(),
    updatedAt: integer("updated_at", { mode: "timestamp_ms" }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.provider] })],
);

export const agents = sqliteTable(
  "agents",
  {
    id: text("id").primaryKey(),
    tenantId: text("tenant_id")
      .notNull()
      .references(() => tenants.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    templateId: text("template_id").notNull(),
    model: text("model").notNull(),
    createdAt: createdAt(),
    updatedAt: integer("updated_at", { mode: "timestamp_ms" }).notNull(),
    /** Deleted agents keep their run history; they just stop being listed or runnable. */
    deletedAt: integer("deleted_at", { mode: "timestamp_ms" }),
  },
  (t) => [index("agents_tenant_idx").on(t.tenantId)],
);

export const runs = sqliteTable(
  "runs",
  {
    id: text("id").primaryKey(),
    tenantId: text("tenant_id")
      .notNull()
      .references(() => tenants.id, { onDelete: "cascade" }),
    agentId: text("agent_id")
      .notNull()
      .references(() => agents.id),
    status: text("status", { enum: RUN_STATUSES }).notNull(),
    source: text("source", { enum: RUN_SOURCES }).notNull(),
    input: text("input").notNull(),
    output: text("output"),
    error: text("error"),
    /** The model this run was asked of (the agent's model when it was created). */
    model: text("model").notNull(),
    idempotencyKey: text("idempotency_key"),
    inputTokens: integer("input_tokens").notNull().default(0),
    outputTokens: integer("output_tokens").notNull().default(0),
    attempts: integer("attempts").notNull().default(0),
    /** While running: when the executor's claim lapses and the reaper may fail the run. */
    leaseExpiresAt: integer("lease_expires_at", { mode: "timestamp_ms" }),
    createdAt: createdAt(),
    updatedAt: integer("updated_at", { mode: "timestamp_ms" }).notNull(),
    startedAt: integer("started_at", { mode: "timestamp_ms" }),
    finishedAt: integer("finished_at", { mode: "timestamp_ms" }),
    /** Time inside the agent's runtime and the model (for users, and to measure the platform's own overhead). */
    agentMs: integer("agent_ms"),
    /** A conversation the run belongs to (`telegram:<userId>`): its turns share one OpenClaw session. Null: its own. */
    conversation: text("conversation"),
    /** Who started it (actorOf: a user id, `apikey:<id>`, `telegram:<userId>`); null for runs from before this was kept. */
    createdBy: text("created_by"),
    /** The conversation (conversations.id) this run is a turn of. */
    conversationId: text("conversation_id"),
  },
  (t) => [
    uniqueIndex("runs_idempotency_idx").on(t.tenantId, t.idempotencyKey),
    index("runs_tenant_created_idx").on(t.tenantId, t.createdAt, t.id),
    index("runs_agent_created_idx").on(t.agentId, t.createdAt),
    index("runs_status_idx").on(t.status, t.updatedAt),
    index("runs_conversation_idx").on(t.conversationId, t.createdAt),
  ],
);

/**
 * An agent's conversation: one OpenClaw session (`agent:<agentId>:<scope>`). A dashboard chat's scope
 * is `webchat:<id>`; a Telegram user's is `telegram:<userId>` (one per person and agent). Removing
 * one hides it (`removedAt`); its runs and the runtime's transcript stay.
 */
export const conversations = sqliteTable(
  "conversations",
  {
    id: text("id").primaryKey(),
    tenantId: text("tenant_id")
      .notNull()
      .references(() => tenants.id, { onDelete: "cascade" }),
    agentId: text("agent_id")
      .notNull()
      .references(() => agents.id),
    /** The person it belongs to (a user id). */
    ownerId: text("owner_id").notNull(),
    /** Null until named: shown as its first message. */
    title: text("title"),
    source: text("source", { enum: CONVERSATION_SOURCES }).notNull(),
    scope: text("scope").notNull(),
    turns: integer("turns").notNull().default(0),
    createdAt: createdAt(),
    updatedAt: integer("updated_at", { mode: "timestamp_ms" }).notNull(),
    removedAt: integer("removed_at", { mode: "timestamp_ms" }),
  },
  (t) => [
    uniqueIndex("conversations_scope_idx").on(t.tenantId, t.agentId, t.scope),
    index("conversations_tenant_updated_idx").on(t.tenantId, t.updatedAt, t.id),
  ],
);

/** The status timeline of a run (queued, started, retry, succeeded, …), for people reading it. */
export const runEvents = sqliteTable(
  "run_events",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    runId: text("run_id")
      .notNull()
      .references(() => runs.id, { onDelete: "cascade" }),
    at: integer("at", { mode: "timestamp_ms" }).notNull(),
    kind: text("kind").notNull(),
    message: text("message"),
  },
  (t) => [index("run_events_run_idx").on(t.runId)],
);

/** Files a run produced, stored in R2 under tenant/<tenantId>/runs/<runId>/. */
export const runArtifacts = sqliteTable(
  "run_artifacts",
  {
    runId: text("run_id")
      .notNull()
      .references(() => runs.id, { onDelete: "cascade" }),
    tenantId: text("tenant_id")
      .notNull()
      .references(() => tenants.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    contentType: text("content_type").notNull(),
    size: integer("size").notNull(),
    r2Key: text("r2_key").notNull(),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.runId, t.name] })],
);

// ── Tenant runtimes ─────────────────────────────────────────────────────────────────────────────────

/** One OpenClaw runtime per tenant: its state machine and the hash of its current model-proxy token. */
export const tenantOpenclawRuntime = sqliteTable(
  "tenant_openclaw_runtime",
  {
    tenantId: text("tenant_id")
      .primaryKey()
      .references(() => tenants.id, { onDelete: "cascade" }),
    state: text("state", { enum: RUNTIME_STATES }).notNull(),
    version: text("version").notNull(),
    /** Bumped on every start; the token and gateway secrets of older generations stop working. */
    generation: integer("generation").notNull().default(0),
    modelTokenHash: text("model_token_hash"),
    /** SHA-256 of the config the running gateway has, to re-apply it only when agents change. */
    configHash: text("config_hash"),
    /** While starting: until when the starter's claim holds (a crashed starter frees it). */
    startingUntil: integer("starting_until", { mode: "timestamp_ms" }),
    startedAt: integer("started_at", { mode: "timestamp_ms" }),
    lastActiveAt: integer("last_active_at", { mode: "timestamp_ms" }),
    lastError: text("last_error"),
    /**
     * The id in the marker of the workspace the last start completed: only a listing that carries it
     * is the live workspace, and only the live workspace is ever mirrored to R2.
     */
    workspaceId: text("workspace_id"),
    /** Bumped by a skills refresh: the config change makes the gateway scan its skill folders again. */
    skillsRescan: integer("skills_rescan").notNull().default(0),
    updatedAt: integer("updated_at", { mode: "timestamp_ms" }).notNull(),
  },
  (t) => [uniqueIndex("tenant_runtime_token_idx").on(t.modelTokenHash)],
);

// ── Skills ──────────────────────────────────────────────────────────────────────────────────────────

/** What the team's runtime last reported it has (OpenClaw's `skills list --json`), cached with when. */
export const skillInventories = sqliteTable("skill_inventories", {
  tenantId: text("tenant_id")
    .primaryKey()
    .references(() => tenants.id, { onDelete: "cascade" }),
  /** InventorySkill[] as JSON. */
  skills: text("skills", { mode: "json" }).notNull().$type<InventorySkill[]>(),
  inventoryAt: integer("inventory_at", { mode: "timestamp_ms" }).notNull(),
});

/** A team's switches for one skill; no row is the default (enabled, listed). */
export const skillPolicies = sqliteTable(
  "skill_policies",
  {
    tenantId: text("tenant_id")
      .notNull()
      .references(() => tenants.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    enabled: integer("enabled", { mode: "boolean" }).notNull(),
    hidden: integer("hidden", { mode: "boolean" }).notNull(),
    /** The actor (user id or `apikey:<id>`) of the last change. */
    updatedBy: text("updated_by").notNull(),
    updatedAt: integer("updated_at", { mode: "timestamp_ms" }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.name] })],
);

/** An admin's narrowing of one agent's skills: included (added to its template's) or not (removed). */
export const agentSkillOverrides = sqliteTable(
  "agent_skill_overrides",
  {
    tenantId: text("tenant_id")
      .notNull()
      .references(() => tenants.id, { onDelete: "cascade" }),
    agentId: text("agent_id").notNull(),
    name: text("name").notNull(),
    include: integer("include", { mode: "boolean" }).notNull(),
    updatedBy: text("updated_by").notNull(),
    updatedAt: integer("updated_at", { mode: "timestamp_ms" }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.agentId, t.name] })],
);

/** A skill's environment value set by the team (an API key): sealed like model keys, handed only to the runtime. */
export const skillSecrets = sqliteTable(
  "skill_secrets",
  {
    tenantId: text("tenant_id")
      .notNull()
      .references(() => tenants.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    envName: text("env_name").notNull(),
    ciphertext: text("ciphertext").notNull(),
    updatedBy: text("updated_by").notNull(),
    updatedAt: integer("updated_at", { mode: "timestamp_ms" }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.name, t.envName] })],
);

/** Every skill policy change: who, when, and what (never a secret's value). */
export const skillPolicyChanges = sqliteTable(
  "skill_policy_changes",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    tenantId: text("tenant_id")
      .notNull()
      .references(() => tenants.id, { onDelete: "cascade" }),
    actor: text("actor").notNull(),
    /** e.g. `{ "kind": "policy", "name": "weather", "enabled": false }`. */
    change: text("change", { mode: "json" }).notNull().$type<Record<string, unknown>>(),
    createdAt: createdAt(),
  },
  (t) => [index("skill_policy_changes_tenant_idx").on(t.tenantId, t.createdAt)],
);

/**
 * A workspace file's previous content, kept in R2 for VERSION_RETENTION_DAYS after the agent
 * overwrote or deleted it (the cron deletes expired ones, object and row).
 */
export const workspaceVersions = sqliteTable(
  "workspace_versions",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    tenantId: text("tenant_id")
      .notNull()
      .references(() => tenants.id, { onDelete: "cascade" }),
    agentId: text("agent_id").notNull(),
    /** Below the agent's folder. */
    path: text("path").notNull(),
    sha256: text("sha256").notNull(),
    size: integer("size").notNull(),
    r2Key: text("r2_key").notNull(),
    reason: text("reason", { enum: FILE_VERSION_REASONS }).notNull(),
    /** The turn after which the change was seen (null: at a start or a stop). */
    runId: text("run_id"),
    createdAt: integer("created_at", { mode: "timestamp_ms" }).notNull(),
    expiresAt: integer("expires_at", { mode: "timestamp_ms" }).notNull(),
  },
  (t) => [
    index("workspace_versions_file_idx").on(t.tenantId, t.agentId, t.path, t.createdAt),
    index("workspace_versions_expiry_idx").on(t.expiresAt),
  ],
);

/**
 * Model calls made through the proxy by tenant runtimes: metering, and why a call failed (the
 * upstream's status and a short redacted reason), which the run that made it reports.
 */
export const modelUsage = sqliteTable(
  "model_usage",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    tenantId: text("tenant_id")
      .notNull()
      .references(() => tenants.id, { onDelete: "cascade" }),
    /** The agent whose call it was (from its provider's header; null for calls without one). */
    agentId: text("agent_id"),
    model: text("model").notNull(),
    status: integer("status").notNull(),
    error: text("error"),
    inputTokens: integer("input_tokens").notNull().default(0),
    outputTokens: integer("output_tokens").notNull().default(0),
    /** The run the call was part of (the agent's running run; null outside one, e.g. a skills check). */
    runId: text("run_id"),
    /** From the request until the answer ended (the whole stream, for a streamed one). */
    latencyMs: integer("latency_ms").notNull().default(0),
    /** The provider reported no usage: the tokens were counted from the text (about 4 characters a token). */
    estimated: integer("estimated", { mode: "boolean" }).notNull().default(false),
    at: integer("at", { mode: "timestamp_ms" }).notNull(),
  },
  (t) => [index("model_usage_tenant_at_idx").on(t.tenantId, t.at)],
);

/**
 * Model calls summed per team, UTC day, agent and model: written in the same batch as each call's row, read by
 * usage.summary (and budgets) without scanning the calls. `agentId` is "" for calls without an agent.
 */
export const usageDaily = sqliteTable(
  "usage_daily",
  {
    tenantId: text("tenant_id")
      .notNull()
      .references(() => tenants.id, { onDelete: "cascade" }),
    day: text("day").notNull(),
    agentId: text("agent_id").notNull(),
    model: text("model").notNull(),
    calls: integer("calls").notNull().default(0),
    failedCalls: integer("failed_calls").notNull().default(0),
    estimatedCalls: integer("estimated_calls").notNull().default(0),
    inputTokens: integer("input_tokens").notNull().default(0),
    outputTokens: integer("output_tokens").notNull().default(0),
    latencyMs: integer("latency_ms").notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.day, t.agentId, t.model] })],
);

/** A team's own prices for its custom models (usage.setPrice), used in cost estimates and cost budgets. */
export const modelPrices = sqliteTable(
  "model_prices",
  {
    tenantId: text("tenant_id")
      .notNull()
      .references(() => tenants.id, { onDelete: "cascade" }),
    model: text("model").notNull(),
    inputPerMTok: real("input_per_mtok").notNull(),
    outputPerMTok: real("output_per_mtok").notNull(),
    updatedAt: integer("updated_at", { mode: "timestamp_ms" }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.model] })],
);

/** A team's monthly budget on model use (usage.setBudget); no row, or nulls, is no budget. */
export const budgets = sqliteTable("budgets", {
  tenantId: text("tenant_id")
    .primaryKey()
    .references(() => tenants.id, { onDelete: "cascade" }),
  monthlyTokens: integer("monthly_tokens"),
  monthlyCostUsd: real("monthly_cost_usd"),
  updatedBy: text("updated_by"),
  updatedAt: integer("updated_at", { mode: "timestamp_ms" }).notNull(),
});

// ── Schedules ───────────────────────────────────────────────────────────────────────────────────────

/**
 * An agent run on a cron expression in a timezone. `nextFireAt` is the next fire time the cron sweep
 * looks for (null while paused): one indexed range read finds every due schedule.
 */
export const schedules = sqliteTable(
  "schedules",
  {
    id: text("id").primaryKey(),
    tenantId: text("tenant_id")
      .notNull()
      .references(() => tenants.id, { onDelete: "cascade" }),
    agentId: text("agent_id").notNull(),
    cron: text("cron").notNull(),
    timezone: text("timezone").notNull(),
    input: text("input").notNull(),
    /** The schedule's own conversation, when firings are delivered into one. */
    conversationId: text("conversation_id"),
    paused: integer("paused", { mode: "boolean" }).notNull().default(false),
    nextFireAt: integer("next_fire_at", { mode: "timestamp_ms" }),
    createdBy: text("created_by").notNull(),
    createdAt: integer("created_at", { mode: "timestamp_ms" }).notNull(),
    updatedAt: integer("updated_at", { mode: "timestamp_ms" }).notNull(),
  },
  (t) => [index("schedules_due_idx").on(t.nextFireAt), index("schedules_tenant_idx").on(t.tenantId, t.agentId)],
);

/** What became of each fire time (at most one row per schedule and time: the sweep's repeats change nothing). */
export const scheduleFirings = sqliteTable(
  "schedule_firings",
  {
    scheduleId: text("schedule_id")
      .notNull()
      .references(() => schedules.id, { onDelete: "cascade" }),
    fireAt: integer("fire_at", { mode: "timestamp_ms" }).notNull(),
    status: text("status", { enum: FIRING_STATUSES }).notNull(),
    runId: text("run_id"),
    reason: text("reason"),
    recordedAt: integer("recorded_at", { mode: "timestamp_ms" }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.scheduleId, t.fireAt] })],
);

/**
 * Telegram users who asked for a schedule's replies ("send me this"). Unpairing (or leaving the team,
 * which unpairs) deletes the row with the pairing.
 */
export const scheduleSubscribers = sqliteTable(
  "schedule_subscribers",
  {
    scheduleId: text("schedule_id")
      .notNull()
      .references(() => schedules.id, { onDelete: "cascade" }),
    telegramUserId: integer("telegram_user_id")
      .notNull()
      .references(() => telegramPairings.telegramUserId, { onDelete: "cascade" }),
  },
  (t) => [primaryKey({ columns: [t.scheduleId, t.telegramUserId] })],
);

/** An inbound webhook URL of an agent: a request with its secret (only the SHA-256 is kept) starts a run. */
export const triggers = sqliteTable(
  "triggers",
  {
    id: text("id").primaryKey(),
    tenantId: text("tenant_id")
      .notNull()
      .references(() => tenants.id, { onDelete: "cascade" }),
    agentId: text("agent_id").notNull(),
    name: text("name").notNull(),
    template: text("template").notNull(),
    secretHash: text("secret_hash").notNull(),
    createdBy: text("created_by").notNull(),
    createdAt: createdAt(),
    lastUsedAt: integer("last_used_at", { mode: "timestamp_ms" }),
    revokedAt: integer("revoked_at", { mode: "timestamp_ms" }),
    /** The rate limit's fixed one-minute window and its count. */
    windowStart: integer("window_start", { mode: "timestamp_ms" }),
    windowHits: integer("window_hits").notNull().default(0),
  },
  (t) => [index("triggers_tenant_idx").on(t.tenantId, t.agentId)],
);

// ── Audit log ───────────────────────────────────────────────────────────────────────────────────────

/**
 * Security-relevant actions, append-only: each row is written in the batch of the change it records
 * (domain/audit.ts); only the reaper's retention sweep ever deletes one.
 */
export const auditLog = sqliteTable(
  "audit_log",
  {
    id: text("id").primaryKey(),
    tenantId: text("tenant_id")
      .notNull()
      .references(() => tenants.id, { onDelete: "cascade" }),
    at: integer("at", { mode: "timestamp_ms" }).notNull(),
    actorKind: text("actor_kind", { enum: AUDIT_ACTOR_KINDS }).notNull(),
    actorId: text("actor_id").notNull(),
    actorLabel: text("actor_label").notNull(),
    action: text("action", { enum: AUDIT_ACTIONS }).notNull(),
    targetKind: text("target_kind"),
    targetId: text("target_id"),
    targetLabel: text("target_label"),
    ip: text("ip"),
    userAgent: text("user_agent"),
    metadata: text("metadata", { mode: "json" }).$type<AuditMetadata>().notNull(),
  },
  (t) => [
    index("audit_log_tenant_at_idx").on(t.tenantId, t.at, t.id),
    index("audit_log_tenant_actor_idx").on(t.tenantId, t.actorId, t.at),
    index("audit_log_at_idx").on(t.at),
  ],
);

// ── Telegram (one shared bot) ───────────────────────────────────────────────────────────────────────

/** Per tenant: which agent answers paired users who have not picked one. */
export const telegramSettings = sqliteTable("telegram_settings", {
  tenantId: text("tenant_id")
    .primaryKey()
    .references(() => tenants.id, { onDelete: "cascade" }),
  defaultAgentId: text("default_agent_id").references(() => agents.id, { onDelete: "set null" }),
});

/** One-time pairing codes, stored as SHA-256 (the code is shown once, like an API key). */
export const telegramPairingCodes = sqliteTable(
  "telegram_pairing_codes",
  {
    id: text("id").primaryKey(),
    tenantId: text("tenant_id")
      .notNull()
      .references(() => tenants.id, { onDelete: "cascade" }),
    codeHash: text("code_hash").notNull().unique(),
    createdBy: text("created_by").notNull(),
    createdAt: createdAt(),
    expiresAt: integer("expires_at", { mode: "timestamp_ms" }).notNull(),
    usedAt: integer("used_at", { mode: "timestamp_ms" }),
    usedBy: integer("used_by"),
  },
  (t) => [index("telegram_codes_tenant_idx").on(t.tenantId, t.expiresAt)],
);

/** A Telegram user paired with a tenant (one tenant per Telegram user; pairing again moves them). */
export const telegramPairings = sqliteTable(
  "telegram_pairings",
  {
    telegramUserId: integer("telegram_user_id").primaryKey(),
    tenantId: text("tenant_id")
      .notNull()
      .references(() => tenants.id, { onDelete: "cascade" }),
    chatId: integer("chat_id").notNull(),
    name: text("name").notNull(),
    username: text("username"),
    /** Picked with /agent; null: the tenant's default. */
    agentId: text("agent_id").references(() => agents.id, { onDelete: "set null" }),
    pairedAt: integer("paired_at", { mode: "timestamp_ms" }).notNull(),
    /** The member whose pairing code this account redeemed: removing them from the team unpairs it. */
    pairedByUserId: text("paired_by_user_id"),
    /** The month (YYYY-MM) this person was last told the team's budget is nearly or fully used: once a month. */
    budgetNoticeMonth: text("budget_notice_month"),
  },
  (t) => [index("telegram_pairings_tenant_idx").on(t.tenantId)],
);

/** Every update handled (or being handled): Telegram redelivers when unsure, and a repeat must do nothing. */
export const telegramUpdates = sqliteTable("telegram_updates", {
  updateId: integer("update_id").primaryKey(),
  receivedAt: integer("received_at", { mode: "timestamp_ms" }).notNull(),
  /** Null while being handled, or when handling failed and will be retried. */
  handledAt: integer("handled_at", { mode: "timestamp_ms" }),
});

/** Failed pairing attempts per Telegram user in the current window (guessing is rate-limited). */
export const telegramPairAttempts = sqliteTable("telegram_pair_attempts", {
  telegramUserId: integer("telegram_user_id").primaryKey(),
  windowStart: integer("window_start", { mode: "timestamp_ms" }).notNull(),
  failures: integer("failures").notNull(),
});

/** Where a Telegram run's reply goes; `sentAt` makes sending it happen once. */
export const telegramReplies = sqliteTable(
  "telegram_replies",
  {
    runId: text("run_id")
      .notNull()
      .references(() => runs.id, { onDelete: "cascade" }),
    /** A chat the reply goes to: the asker's, or each Telegram user who opted in to a schedule. */
    chatId: integer("chat_id").notNull(),
    claimedAt: integer("claimed_at", { mode: "timestamp_ms" }),
    sentAt: integer("sent_at", { mode: "timestamp_ms" }),
  },
  (t) => [primaryKey({ columns: [t.runId, t.chatId] })],
);

// ── Billing (Stripe) ────────────────────────────────────────────────────────────────────────────────

/** A tenant's plan and subscription as Stripe last told us. No row: the free trial from the tenant's creation. */
export const tenantBilling = sqliteTable("tenant_billing", {
  tenantId: text("tenant_id")
    .primaryKey()
    .references(() => tenants.id, { onDelete: "cascade" }),
  plan: text("plan", { enum: PLAN_IDS }).notNull(),
  status: text("status", {
    enum: SUBSCRIPTION_STATUSES,
  }).notNull(),
  stripeCustomerId: text("stripe_customer_id").unique(),
  stripeSubscriptionId: text("stripe_subscription_id"),
  currentPeriodEnd: integer("current_period_end", { mode: "timestamp_ms" }),
  /** When the subscription became past_due (the grace period counts from here). */
  pastDueSince: integer("past_due_since", { mode: "timestamp_ms" }),
  /** `created` of the newest Stripe event applied: an older one never overwrites newer state. */
  stripeEventAt: integer("stripe_event_at", { mode: "timestamp_ms" }),
  updatedAt: integer("updated_at", { mode: "timestamp_ms" }).notNull(),
});

/** Every Stripe event id processed: a replayed event does nothing. */
export const stripeEvents = sqliteTable("stripe_events", {
  id: text("id").primaryKey(),
  type: text("type").notNull(),
  receivedAt: integer("received_at", { mode: "timestamp_ms" }).notNull(),
});
