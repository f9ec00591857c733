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
