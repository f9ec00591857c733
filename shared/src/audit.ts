// The audit log: who did what to a team's security-relevant settings, when and from where.
import { z } from "zod";

/** Every action the log records; one entry per action, written in the same D1 batch as the change. */
export const AUDIT_ACTIONS = [
  "auth.signed_in",
  "auth.sign_in_failed",
  "team.created",
  "team.settings_changed",
  "agent.created",
  "agent.deleted",
  "api_key.created",
  "api_key.revoked",
  "model_key.set",
  "model_key.removed",
  "member.invited",
  "member.invitation_revoked",
  "member.joined",
  "member.declined",
  "member.removed",
  "member.left",
  "member.role_changed",
  "telegram.paired",
  "telegram.unpaired",
  "telegram.default_agent_set",
  "skills.policy_changed",
  "skills.agent_changed",
  "skills.pack_applied",
  "skills.configured",
  "trigger.created",
  "trigger.revoked",
  "schedule.created",
  "schedule.changed",
  "schedule.removed",
  "runtime.started",
  "runtime.stopped",
  "runtime.restarted",
  "billing.plan_changed",
  "budget.changed",
  "price.set",
  "price.removed",
  "audit.exported",
] as const;
export const auditAction = z.enum(AUDIT_ACTIONS);
export type AuditAction = z.infer<typeof auditAction>;

/** Who acted: a person, an API key (named by its prefix), a Telegram user, or the platform itself. */
export const AUDIT_ACTOR_KINDS = ["user", "apiKey", "telegram", "platform"] as const;
export const auditActorKind = z.enum(AUDIT_ACTOR_KINDS);
export type AuditActorKind = z.infer<typeof auditActorKind>;

/** How long entries are kept; the reaper drops older ones (nothing else ever deletes or edits one). */
export const AUDIT_RETENTION_DAYS = 365;

/** A few facts about the change (old and new role, plan, budget); never a secret, prompt or reply. */
export const auditMetadata = z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()]));
export type AuditMetadata = z.infer<typeof auditMetadata>;

export const auditEntry = z.object({
  id: z.string(),
  at: z.string().datetime(),
  actor: z.object({ kind: auditActorKind, id: z.string(), label: z.string() }),
  action: auditAction,
  target: z.object({ kind: z.string(), id: z.string(), label: z.string().nullable() }).nullable(),
  ip: z.string().nullable(),
  userAgent: z.string().nullable(),
  metadata: auditMetadata,
});
export type AuditEntry = z.infer<typeof auditEntry>;

const auditRange = {
  from: z.string().datetime().optional(),
  to: z.string().datetime().optional(),
};
const checkRange = (v: { from?: string; to?: string }) => !v.from || !v.to || v.from <= v.to;
const rangeIssue = { message: "`from` must not be after `to`", path: ["to"] };

export const auditListInput = z
  .object({
    cursor: z.string().max(200).optional(),
    limit: z.number().int().min(1).max(200).default(50),
    action: auditAction.optional(),
    /** An actor's id: a person's user id, an API key's id, a Telegram user id, or `platform`. */
    actorId: z.string().min(1).max(200).optional(),
    ...auditRange,
  })
  .refine(checkRange, rangeIssue);
export type AuditListInput = z.input<typeof auditListInput>;

export const auditPage = z.object({
  items: z.array(auditEntry),
  /** Pass back as `cursor` for the next (older) page; null at the end. */
  nextCursor: z.string().nullable(),
});
export type AuditPage = z.infer<typeof auditPage>;

export const AUDIT_EXPORT_FORMATS = ["csv", "jsonl"] as const;
export const auditExportInput = z.object({ format: z.enum(AUDIT_EXPORT_FORMATS), ...auditRange }).refine(checkRange, rangeIssue);
export type AuditExportInput = z.input<typeof auditExportInput>;

/** A signed download link (valid for a short while, like artifact links); fetching it is itself audited. */
export const auditExport = z.object({ url: z.string(), expiresAt: z.string().datetime() });
export type AuditExport = z.infer<typeof auditExport>;

/** A line for people: "Ada created API key ak_1234…". */
export const AUDIT_ACTION_LABELS: Record<AuditAction, string> = {
  "auth.signed_in": "Signed in",
  "auth.sign_in_failed": "Sign-in failed",
  "team.created": "Created the team",
  "team.settings_changed": "Changed team settings",
  "agent.created": "Created an agent",
  "agent.deleted": "Deleted an agent",
  "api_key.created": "Created an API key",
  "api_key.revoked": "Revoked an API key",
  "model_key.set": "Set a model key",
  "model_key.removed": "Removed a model key",
  "member.invited": "Invited a member",
  "member.invitation_revoked": "Revoked an invitation",
  "member.joined": "Joined the team",
  "member.declined": "Declined an invitation",
  "member.removed": "Removed a member",
  "member.left": "Left the team",
  "member.role_changed": "Changed a member's role",
  "telegram.paired": "Paired Telegram",
  "telegram.unpaired": "Unpaired Telegram",
  "telegram.default_agent_set": "Set the Telegram agent",
  "skills.policy_changed": "Changed the skills policy",
  "skills.agent_changed": "Changed an agent's skills",
  "skills.pack_applied": "Applied a skill pack",
  "skills.configured": "Configured a skill",
  "trigger.created": "Created a trigger",
  "trigger.revoked": "Revoked a trigger",
  "schedule.created": "Created a schedule",
  "schedule.changed": "Changed a schedule",
  "schedule.removed": "Removed a schedule",
  "runtime.started": "Started the runtime",
  "runtime.stopped": "Stopped the runtime",
  "runtime.restarted": "Restarted the runtime",
  "billing.plan_changed": "Plan changed",
  "budget.changed": "Changed the budget",
  "price.set": "Set a model price",
  "price.removed": "Removed a model price",
  "audit.exported": "Exported the audit log",
};
