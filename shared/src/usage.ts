import { z } from "zod";

export const usageSummaryInput = z
  .object({ from: z.iso.datetime().optional(), to: z.iso.datetime().optional() })
  .refine((v) => !v.from || !v.to || v.from <= v.to, { message: "`from` must not be after `to`", path: ["from"] })
  .default({});

/** Tokens and estimated cost of model calls; `runs` counts the runs created in the period. */
const totals = z.object({
  runs: z.number().int(),
  modelCalls: z.number().int(),
  inputTokens: z.number().int(),
  outputTokens: z.number().int(),
  /** From the price table (shared/src/pricing.ts), for the models that have a price. An estimate. */
  estimatedCostUsd: z.number(),
  /** Tokens on models without a price (every custom/* model): counted, not costed. */
  unpricedTokens: z.number().int(),
});

export const usageSummary = z.object({
  from: z.iso.datetime(),
  to: z.iso.datetime(),
  total: totals,
  perDay: z.array(totals.extend({ day: z.string() })),
  perAgent: z.array(totals.extend({ agentId: z.string() })),
  perModel: z.array(
    totals.omit({ runs: true }).extend({
      model: z.string(),
      /** Calls whose provider reported no usage, so their tokens were counted from the text. */
      estimatedCalls: z.number().int(),
      /** Null when the model has no price. */
      priced: z.boolean(),
    }),
  ),
});
export type UsageSummary = z.infer<typeof usageSummary>;

// ── Budgets: a team's monthly ceiling on model use (calendar months, UTC) ─────────────────────────────────────

/** Share of a budget at which the team is warned (once per month). */
export const BUDGET_WARNING_SHARE = 0.8;

const budgetLimit = (max: number, label: string) =>
  z
    .number()
    .positive(`${label} must be more than 0`)
    .max(max, `${label} is at most ${max.toLocaleString("en")}`)
    .nullable()
    .optional();

/** Each field: a number sets it, null clears it, absent leaves it as it is. */
export const setBudgetInput = z
  .strictObject({
    monthlyTokens: budgetLimit(1e12, "The token budget").refine(
      (v) => v == null || Number.isInteger(v),
      "The token budget is a whole number",
    ),
    monthlyCostUsd: budgetLimit(1e7, "The cost budget"),
  })
  .refine((v) => v.monthlyTokens !== undefined || v.monthlyCostUsd !== undefined, "Set monthlyTokens or monthlyCostUsd (null clears one)");
export type SetBudgetInput = z.infer<typeof setBudgetInput>;

export const budgetState = z.enum(["none", "ok", "warning", "exhausted"]);

export const budget = z.object({
  monthlyTokens: z.number().int().nullable(),
  monthlyCostUsd: z.number().nullable(),
  usedTokens: z.number().int(),
  /** Estimated, from the price table: models without a price add nothing. */
  usedCostUsd: z.number(),
  /** When this month's use starts again from 0 (the 1st, 00:00 UTC). */
  resetsAt: z.iso.datetime(),
  /** warning: 80 % of a budget is used; exhausted: one is used up and new runs are refused. */
  state: budgetState,
  /** What the state means, in words (the dashboard banner's text). */
  message: z.string().nullable(),
});
export type Budget = z.infer<typeof budget>;
