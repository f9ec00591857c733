import { z } from "zod";
import { modelId } from "./models";

export const agentName = z.string().trim().min(1, "Agent name is required").max(80, "Agent name is at most 80 characters");

export const createAgentInput = z.object({ templateId: z.string().min(1).max(64), name: agentName, model: modelId.optional() });
export type CreateAgentInput = z.infer<typeof createAgentInput>;

export const agent = z.object({
  id: z.string(),
  name: z.string(),
  templateId: z.string(),
  model: z.string(),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});
export type Agent = z.infer<typeof agent>;

export const agentIdInput = z.object({ id: z.string().min(1).max(64) });
export const updateAgentInput = z
  .object({ id: z.string().min(1).max(64), name: agentName.optional(), model: modelId.optional() })
  .refine((v) => v.name !== undefined || v.model !== undefined, { message: "Nothing to change: send a name or a model" });
export type UpdateAgentInput = z.infer<typeof updateAgentInput>;

// ── An agent's workspace as the platform keeps it (R2, the durable copy) ────────────────────────────

/** How a file's previous content came to be kept: the agent overwrote it, or deleted it. */
export const FILE_VERSION_REASONS = ["overwritten", "deleted"] as const;

export const workspaceFile = z.object({
  /** Below the agent's folder (`notes/today.md`). */
  path: z.string(),
  size: z.number().int(),
  /** SHA-256 of the content (null for files saved before hashes were recorded). */
  sha256: z.string().nullable(),
  updatedAt: z.iso.datetime(),
  /** Previous versions kept of it (for VERSION_RETENTION_DAYS). */
  versions: z.number().int(),
});
export type WorkspaceFileSummary = z.infer<typeof workspaceFile>;

export const fileVersionsInput = z.object({ agentId: z.string().min(1).max(64), path: z.string().min(1).max(512).optional() });
export const fileVersion = z.object({
  path: z.string(),
  reason: z.enum(FILE_VERSION_REASONS),
  size: z.number().int(),
  sha256: z.string(),
  /** The turn after which the change was seen (null: at a start or a stop). */
  runId: z.string().nullable(),
  at: z.iso.datetime(),
  expiresAt: z.iso.datetime(),
});
export type FileVersion = z.infer<typeof fileVersion>;
