import {
  conversation,
  conversationIdInput,
  conversationPage,
  conversationSettings,
  createConversationInput,
  listConversationsInput,
  renameConversationInput,
  sendMessageInput,
  sentMessage,
  setConversationVisibilityInput,
} from "@autoclaw/shared";
import { z } from "zod";
import {
  conversationSettings as readSettings,
  createConversation,
  getConversation,
  listConversations,
  removeConversation,
  renameConversation,
  sendMessage,
  setConversationVisibility,
} from "../../domain/conversations";
import { actingAs } from "../../domain/principals";
import { accessProcedure, router } from "../init";

export const conversationsRouter = router({
  create: accessProcedure("run")
    .input(createConversationInput)
    .output(conversation)
    .mutation(({ ctx, input }) => createConversation(ctx.svc.db, ctx.tenant.id, actingAs(ctx.principal, ctx.tenant.role), input)),

  list: accessProcedure("read")
    .input(listConversationsInput)
    .output(conversationPage)
    .query(({ ctx, input }) => listConversations(ctx.svc.db, ctx.tenant.id, actingAs(ctx.principal, ctx.tenant.role), input)),

  /** A conversation with its turns, oldest first. */
  get: accessProcedure("read")
    .input(conversationIdInput)
    .output(conversation)
    .query(({ ctx, input }) => getConversation(ctx.svc.db, ctx.tenant.id, actingAs(ctx.principal, ctx.tenant.role), input.id)),

  rename: accessProcedure("run")
    .input(renameConversationInput)
    .output(conversation)
    .mutation(({ ctx, input }) => renameConversation(ctx.svc.db, ctx.tenant.id, actingAs(ctx.principal, ctx.tenant.role), input)),

  /** Hides it from the list; its runs and the agent's memory of it are kept. */
  remove: accessProcedure("run")
    .input(conversationIdInput)
    .output(z.object({ id: z.string() }))
    .mutation(({ ctx, input }) => removeConversation(ctx.svc.db, ctx.tenant.id, actingAs(ctx.principal, ctx.tenant.role), input.id)),

  /** The next turn: a run in the conversation's OpenClaw session; watch it with runs.events. */
  send: accessProcedure("run")
    .input(sendMessageInput)
    .output(sentMessage)
    .mutation(({ ctx, input }) => sendMessage(ctx.svc, ctx.tenant.id, actingAs(ctx.principal, ctx.tenant.role), "webchat", input)),

  settings: accessProcedure("read")
    .output(conversationSettings)
    .query(({ ctx }) => readSettings(ctx.svc.db, ctx.tenant.id)),

  /** Who besides its owner sees a conversation: admins only (private), or every member (team). */
  setVisibility: accessProcedure("manageTeam")
    .input(setConversationVisibilityInput)
    .output(conversationSettings)
    .mutation(({ ctx, input }) => setConversationVisibility(ctx.svc.db, ctx.tenant.id, input.visibility, ctx.by)),
});
