import { z } from "zod";

export const usageSummaryInput = z
  .object({ from: z.iso.datetime().optional(), to: z.iso.datetime().optional() })
  .refine((v) => !v.from || !v.to || v.from <= v.to, { message: "`from` must not be after `to`", path: ["from"] })
  .default({});

const totals = z.object({ runs: z.number().int(), inputTokens: z.number().int(), outputTokens: z.number().int() });

export const usageSummary = z.object({
  from: z.iso.datetime(),
  to: z.iso.datetime(),
  total: totals,
  perDay: z.array(totals.extend({ day: z.string() })),
  perAgent: z.array(totals.extend({ agentId: z.string() })),
});
export type UsageSummary = z.infer<typeof usageSummary>;
