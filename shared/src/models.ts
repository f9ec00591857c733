import { z } from "zod";

/** Providers a team can bring a key for. `custom` is any OpenAI-compatible server (Ollama, vLLM, …). */
export const PROVIDERS = ["openai", "anthropic", "google", "custom"] as const;
export const provider = z.enum(PROVIDERS);
export type Provider = z.infer<typeof provider>;

export const PROVIDER_LABELS: Record<Provider, string> = {
  openai: "OpenAI",
  anthropic: "Anthropic",
  google: "Google",
  custom: "Custom (OpenAI-compatible)",
};

/** `<provider>/<model>`, e.g. `openai/gpt-4.1-mini` or `custom/llama3.2`. */
export const modelId = z
  .string()
  .trim()
  .max(200)
  .regex(
    /^(openai|anthropic|google|custom)\/[A-Za-z0-9][A-Za-z0-9._:\-/@]*$/,
    "Model must look like <provider>/<model>, e.g. openai/gpt-4.1-mini",
  );
export type ModelId = z.infer<typeof modelId>;

export function providerOf(model: string): Provider {
  return provider.parse(model.slice(0, model.indexOf("/")));
}

export const setProviderKeyInput = z
  .object({
    provider,
    apiKey: z.string().trim().min(8, "That does not look like an API key").max(500),
    baseUrl: z.url("Enter the server's base URL, e.g. http://127.0.0.1:11434/v1").optional(),
  })
  .superRefine((v, ctx) => {
    if (v.provider === "custom" && !v.baseUrl)
      ctx.addIssue({ code: "custom", path: ["baseUrl"], message: "A custom provider needs its base URL" });
    if (v.provider !== "custom" && v.baseUrl)
      ctx.addIssue({ code: "custom", path: ["baseUrl"], message: "Only a custom provider takes a base URL" });
  });
export type SetProviderKeyInput = z.infer<typeof setProviderKeyInput>;

/** What is ever shown of a stored key: its provider, last 4 characters and (custom) base URL. */
export const providerKeySummary = z.object({
  provider,
  last4: z.string(),
  baseUrl: z.string().nullable(),
  updatedAt: z.iso.datetime(),
});
export type ProviderKeySummary = z.infer<typeof providerKeySummary>;

export const removeProviderKeyInput = z.object({ provider });
