import { z } from "zod";
import { pairingCode, setTelegramAgentInput, telegramPairing, telegramStatus, unpairInput } from "@autoclaw/shared";
import { createPairingCode, listPairings, setDefaultAgent, telegramStatus as status, unpair } from "../../domain/telegram-pairing";
import { actorOf } from "../../domain/principals";
import { accessProcedure, router } from "../init";

export const telegramRouter = router({
  /** Whether the shared bot is on, the team's default agent and its pending codes. */
  status: accessProcedure("read")
    .output(telegramStatus)
    .query(({ ctx }) => status(ctx.svc.db, ctx.svc.settings, ctx.tenant.id)),

  /** A one-time code (shown once) and its t.me deep link; any member may pair their own Telegram. */
  createPairingCode: accessProcedure("pairSelf")
    .output(pairingCode)
    .mutation(({ ctx }) => createPairingCode(ctx.svc.db, ctx.svc.settings, ctx.tenant.id, actorOf(ctx.principal))),

  pairings: accessProcedure("read")
    .output(z.array(telegramPairing))
    .query(({ ctx }) => listPairings(ctx.svc.db, ctx.tenant.id)),

  unpair: accessProcedure("manageTeam")
    .input(unpairInput)
    .output(z.array(telegramPairing))
    .mutation(({ ctx, input }) => unpair(ctx.svc.db, ctx.tenant.id, input.telegramUserId, ctx.by)),

  /** Which agent answers paired users who have not picked one with /agent. */
  setDefaultAgent: accessProcedure("manageTeam")
    .input(setTelegramAgentInput)
    .output(telegramStatus)
    .mutation(({ ctx, input }) => setDefaultAgent(ctx.svc.db, ctx.svc.settings, ctx.tenant.id, input.agentId, ctx.by)),
});
