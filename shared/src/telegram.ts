import { z } from "zod";

/** Pairing codes: 8 characters from an alphabet without look-alikes (no 0/O, 1/I/L). */
export const PAIRING_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789";
export const PAIRING_CODE_LENGTH = 8;
export const PAIRING_CODE_TTL_MS = 60 * 60_000;
export const MAX_PENDING_PAIRING_CODES = 3;

export const telegramUserId = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);

export const telegramStatus = z.object({
  /** A bot is configured (token, username and webhook secret). */
  enabled: z.boolean(),
  botUsername: z.string().nullable(),
  /** Settings that turn Telegram on, when it is off. */
  missingSettings: z.array(z.string()),
  /** The agent that answers paired users who have not picked one; null: the team's oldest agent. */
  defaultAgentId: z.string().nullable(),
  pendingCodes: z.array(z.object({ id: z.string(), expiresAt: z.iso.datetime() })),
});
export type TelegramStatus = z.infer<typeof telegramStatus>;

export const pairingCode = z.object({ code: z.string(), link: z.string(), expiresAt: z.iso.datetime() });
export type PairingCode = z.infer<typeof pairingCode>;

export const telegramPairing = z.object({
  telegramUserId,
  name: z.string(),
  username: z.string().nullable(),
  pairedAt: z.iso.datetime(),
  /** The agent this person picked with /agent; null: the team's default. */
  agentId: z.string().nullable(),
});
export type TelegramPairing = z.infer<typeof telegramPairing>;

export const unpairInput = z.object({ telegramUserId });
export const setTelegramAgentInput = z.object({ agentId: z.string().min(1).max(64).nullable() });
