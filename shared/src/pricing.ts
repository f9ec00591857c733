import { z } from "zod";

// What model calls cost, for the estimates on the usage page and budgets. List prices in USD per million tokens
// (input / output) of the models the templates and the docs name; a model not listed (every `custom/*` one) has
// no price, and its tokens are shown without a cost. Estimates only: the provider's invoice is the truth.

export interface ModelPrice {
  inputPerMTok: number;
  outputPerMTok: number;
}

export const MODEL_PRICES: Readonly<Record<string, ModelPrice>> = {
  "openai/gpt-4.1": { inputPerMTok: 2, outputPerMTok: 8 },
  "openai/gpt-4.1-mini": { inputPerMTok: 0.4, outputPerMTok: 1.6 },
  "openai/gpt-4.1-nano": { inputPerMTok: 0.1, outputPerMTok: 0.4 },
  "openai/gpt-4o": { inputPerMTok: 2.5, outputPerMTok: 10 },
  "openai/gpt-4o-mini": { inputPerMTok: 0.15, outputPerMTok: 0.6 },
  "anthropic/claude-sonnet-4-5": { inputPerMTok: 3, outputPerMTok: 15 },
  "anthropic/claude-haiku-4-5": { inputPerMTok: 1, outputPerMTok: 5 },
  "anthropic/claude-opus-4-1": { inputPerMTok: 15, outputPerMTok: 75 },
  "google/gemini-2.5-pro": { inputPerMTok: 1.25, outputPerMTok: 10 },
  "google/gemini-2.5-flash": { inputPerMTok: 0.3, outputPerMTok: 2.5 },
};

/** A team's own prices for its `custom/*` models (the list has none for them), by model. */
export type PriceOverrides = Readonly<Record<string, ModelPrice>>;

/** The price of a model for a team: its own for a custom model, else the list's; undefined when it has none. */
export const priceOf = (model: string, overrides: PriceOverrides = {}): ModelPrice | undefined => overrides[model] ?? MODEL_PRICES[model];

/** The estimated cost in USD of these tokens on `model`, or null when the model has no price. */
export function estimateCostUsd(model: string, inputTokens: number, outputTokens: number, overrides: PriceOverrides = {}): number | null {
  const price = priceOf(model, overrides);
  if (!price) return null;
  return (inputTokens * price.inputPerMTok + outputTokens * price.outputPerMTok) / 1_000_000;
}

const perMTok = (label: string) =>
  z.number().min(0, `${label} cannot be negative`).max(1000, `${label} is at most $1,000 per million tokens`);

/** A team's price for one of its custom models (list-priced models keep the list's). */
export const setModelPriceInput = z.strictObject({
  model: z.string().regex(/^custom\/[\w.:-]{1,120}$/, "Only custom/<model> models take a team's own price"),
  inputPerMTok: perMTok("The input price"),
  outputPerMTok: perMTok("The output price"),
});
export type SetModelPriceInput = z.infer<typeof setModelPriceInput>;
export const removeModelPriceInput = setModelPriceInput.pick({ model: true });

export const modelPrices = z.object({
  /** The list (read-only). */
  list: z.array(z.object({ model: z.string(), inputPerMTok: z.number(), outputPerMTok: z.number() })),
  /** The team's own, for custom models. */
  team: z.array(z.object({ model: z.string(), inputPerMTok: z.number(), outputPerMTok: z.number() })),
});
export type ModelPrices = z.infer<typeof modelPrices>;
