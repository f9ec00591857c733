import { z } from "zod";

export const RUNTIME_STATES = ["stopped", "starting", "ready", "error"] as const;
export const runtimeState = z.enum(RUNTIME_STATES);
export type RuntimeState = z.infer<typeof runtimeState>;

export const runtimeStatus = z.object({
  state: runtimeState,
  version: z.string(),
  startedAt: z.iso.datetime().nullable(),
  lastActiveAt: z.iso.datetime().nullable(),
  lastError: z.string().nullable(),
});
export type RuntimeStatus = z.infer<typeof runtimeStatus>;

export const runtimeLogsInput = z.object({ lines: z.number().int().min(1).max(500).default(100) }).default({ lines: 100 });
export const runtimeLogs = z.object({ lines: z.array(z.string()) });
