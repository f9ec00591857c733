// Inbound triggers: a URL another system POSTs to (a form submitted, a ticket opened); the request's
// body becomes the run's input through a small template.
import { z } from "zod";

/** The largest body a trigger accepts (413 above it). */
export const TRIGGER_BODY_MAX = 16 * 1024;
/** Requests a trigger accepts per minute (429 above it, with Retry-After). */
export const TRIGGER_RATE_PER_MINUTE = 30;
/**
 * Mustache: `{{body}}` is the request's body as text; with a JSON body, `{{field}}` and `{{a.b}}` are
 * its fields. Nothing is HTML-escaped (the input is text for the agent).
 */
export const DEFAULT_TRIGGER_TEMPLATE = "A request came in through the trigger:\n\n{{body}}";

export const createTriggerInput = z.object({
  agentId: z.string().min(1),
  name: z.string().trim().min(1, "Name the trigger").max(80),
  template: z.string().trim().min(1).max(4000).optional(),
});
export type CreateTriggerInput = z.input<typeof createTriggerInput>;

export const triggerSummary = z.object({
  id: z.string(),
  agentId: z.string(),
  name: z.string(),
  template: z.string(),
  /** Where to POST (with `Authorization: Bearer <secret>`). */
  url: z.string(),
  createdAt: z.string().datetime(),
  lastUsedAt: z.string().datetime().nullable(),
});
export type TriggerSummary = z.infer<typeof triggerSummary>;

/** As created: the secret, shown this once (only its SHA-256 is kept). */
export const createdTrigger = triggerSummary.extend({ secret: z.string() });
export type CreatedTrigger = z.infer<typeof createdTrigger>;

export const listTriggersInput = z.object({ agentId: z.string().min(1).optional() }).default({});
export const triggerIdInput = z.object({ id: z.string().min(1) });
