import { z } from "zod";
import { RUN_INPUT_MAX, runStatus } from "./runs";

// ── Conversations: an agent's ongoing chats, each one OpenClaw session ──────────────────────────────

export const CONVERSATION_SOURCES = ["webchat", "telegram", "schedule"] as const;
export const conversationSource = z.enum(CONVERSATION_SOURCES);

/**
 * Who besides its owner sees a conversation: `private` (the default) — the team's owners and admins;
 * `team` — every member. Nobody but its owner writes in it.
 */
export const CONVERSATION_VISIBILITIES = ["private", "team"] as const;
export const conversationVisibility = z.enum(CONVERSATION_VISIBILITIES);
export type ConversationVisibility = z.infer<typeof conversationVisibility>;

export const CONVERSATION_TITLE_MAX = 120;
export const conversationTitle = z
  .string()
  .trim()
  .min(1, "A title is required")
  .max(CONVERSATION_TITLE_MAX, `At most ${CONVERSATION_TITLE_MAX} characters`);

const id = z.string().min(1).max(64);

export const createConversationInput = z.object({ agentId: id, title: conversationTitle.optional() });
export const conversationIdInput = z.object({ id });
export const renameConversationInput = z.object({ id, title: conversationTitle });
export const listConversationsInput = z
  .object({
    agentId: id.optional(),
    cursor: z.string().max(200).optional(),
    limit: z.number().int().min(1).max(100).default(30),
  })
  .default({ limit: 30 });
export type ListConversationsQuery = z.output<typeof listConversationsInput>;

export const sendMessageInput = z.object({
  conversationId: id,
  input: z.string().trim().min(1, "Write a message").max(RUN_INPUT_MAX, `At most ${RUN_INPUT_MAX} characters`),
  /** Same key → same turn, sent once. */
  idempotencyKey: z.string().min(1).max(128).optional(),
});
export const sentMessage = z.object({ runId: z.string() });

export const conversationSummary = z.object({
  id: z.string(),
  agentId: z.string(),
  title: z.string(),
  source: conversationSource,
  owner: z.object({ id: z.string(), name: z.string() }),
  /** The caller's own: only the owner writes in a conversation (and Telegram's are written from Telegram). */
  mine: z.boolean(),
  writable: z.boolean(),
  turns: z.number().int(),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});
export type ConversationSummary = z.infer<typeof conversationSummary>;

/** One turn: what was asked, and the run that answered it. */
export const conversationTurn = z.object({
  runId: z.string(),
  input: z.string(),
  output: z.string().nullable(),
  status: runStatus,
  error: z.string().nullable(),
  createdAt: z.iso.datetime(),
  finishedAt: z.iso.datetime().nullable(),
});
export type ConversationTurn = z.infer<typeof conversationTurn>;

export const conversation = conversationSummary.extend({ history: z.array(conversationTurn) });
export type Conversation = z.infer<typeof conversation>;

export const conversationPage = z.object({ items: z.array(conversationSummary), nextCursor: z.string().nullable() });

export const setConversationVisibilityInput = z.object({ visibility: conversationVisibility });
export const conversationSettings = z.object({ visibility: conversationVisibility });
