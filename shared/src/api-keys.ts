import { z } from "zod";
import { API_KEY_SCOPES, DEFAULT_API_KEY_SCOPES } from "./access";

export const apiKeyScope = z.enum(API_KEY_SCOPES);

/** Every key starts with this, so leaked keys are easy to recognise and scan for. */
export const API_KEY_PREFIX = "ak_";

export const createApiKeyInput = z.object({
  name: z.string().trim().min(1, "Key name is required").max(80, "Key name is at most 80 characters"),
  /** What the key may do; the default is what an integrator needs to run agents. */
  scopes: z
    .array(apiKeyScope)
    .min(1, "Choose at least one scope")
    .max(3)
    .transform((s) => [...new Set(s)])
    .default(DEFAULT_API_KEY_SCOPES),
});
export type CreateApiKeyInput = z.infer<typeof createApiKeyInput>;

export const apiKeySummary = z.object({
  id: z.string(),
  name: z.string(),
  /** The first characters of the key, enough to recognise it; never the whole key. */
  prefix: z.string(),
  createdAt: z.iso.datetime(),
  lastUsedAt: z.iso.datetime().nullable(),
  scopes: z.array(apiKeyScope),
});
export type ApiKeySummary = z.infer<typeof apiKeySummary>;

/** Returned once, by apiKeys.create: the only time the full key exists outside the caller. */
export const createdApiKey = apiKeySummary.extend({ key: z.string() });
export type CreatedApiKey = z.infer<typeof createdApiKey>;

export const revokeApiKeyInput = z.object({ id: z.string().min(1) });
