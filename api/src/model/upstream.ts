// Where a model call goes: AI Gateway's unified OpenAI-compatible endpoint for hosted providers,
// the tenant's own base URL for `custom`. The tenant's key is attached here and nowhere else.
import { providerOf, PROVIDER_LABELS, type Provider } from "@autoclaw/shared";
import type { Settings } from "../config";
import type { Db } from "../db/client";
import { DomainError } from "../domain/errors";
import { checkCustomBaseUrl, credentialsFrom, providerKeyRead } from "../domain/provider-keys";

export interface Upstream {
  /** The chat completions endpoint. */
  url: string;
  /** The model name the upstream expects. */
  model: string;
  headers: Record<string, string>;
  /** The tenant's key: used for auth and to redact it from any error text. */
  secret: string;
}

/** AI Gateway's unified endpoint names providers by its own slugs. */
const GATEWAY_PROVIDER: Record<Exclude<Provider, "custom">, string> = {
  openai: "openai",
  anthropic: "anthropic",
  google: "google-ai-studio",
};

const noKey = (model: string, provider: Provider) =>
  new DomainError(
    "PRECONDITION_FAILED",
    `This agent uses ${model}, but the team has no ${PROVIDER_LABELS[provider]} key. Add one in Settings → Model keys.`,
  );
const noGateway = (provider: Provider) =>
  new DomainError(
    "PRECONDITION_FAILED",
    `${PROVIDER_LABELS[provider]} models go through AI Gateway, which this AutoClaw has not configured (AI_GATEWAY_URL). Use a custom provider instead.`,
  );

/** Can the team reach this model at all? Throws the same reasons resolveUpstream would, without decrypting. */
export function assertModelReachable(s: Settings, model: string, stored: { provider: Provider }[]): void {
  const provider = providerOf(model);
  if (!stored.some((k) => k.provider === provider)) throw noKey(model, provider);
  if (provider !== "custom" && !s.AI_GATEWAY_URL) throw noGateway(provider);
}

/** The upstream for a model, or a DomainError saying in plain words why the team cannot reach it. */
export async function resolveUpstream(
  db: Db,
  s: Settings,
  tenantId: string,
  model: string,
  meta: Record<string, string> = {},
): Promise<Upstream> {
  return upstreamFrom(s, tenantId, model, await upstreamRead(db, tenantId, model), meta);
}

/** The read `resolveUpstream` makes, for a caller that puts it in its own batch and then calls `upstreamFrom`. */
export const upstreamRead = (db: Db, tenantId: string, model: string) => providerKeyRead(db, tenantId, providerOf(model));

export async function upstreamFrom(
  s: Settings,
  tenantId: string,
  model: string,
  rows: Awaited<ReturnType<typeof upstreamRead>>,
  meta: Record<string, string> = {},
): Promise<Upstream> {
  const provider = providerOf(model);
  const name = model.slice(provider.length + 1);
  const creds = await credentialsFrom(s, tenantId, provider, rows);
  if (!creds) throw noKey(model, provider);
  if (provider === "custom") {
    // Checked again at call time: a URL saved under other settings (or before a rule existed) is not trusted.
    const baseUrl = checkCustomBaseUrl(creds.baseUrl!, s);
    return {
      url: `${baseUrl}/chat/completions`,
      model: name,
      headers: { authorization: `Bearer ${creds.apiKey}` },
      secret: creds.apiKey,
    };
  }
  if (!s.AI_GATEWAY_URL) throw noGateway(provider);
  const headers: Record<string, string> = {
    authorization: `Bearer ${creds.apiKey}`,
    "cf-aig-metadata": JSON.stringify({ tenant: tenantId, ...meta }),
  };
  if (s.AI_GATEWAY_TOKEN) headers["cf-aig-authorization"] = `Bearer ${s.AI_GATEWAY_TOKEN}`;
  return {
    url: `${s.AI_GATEWAY_URL.replace(/\/+$/, "")}/chat/completions`,
    model: `${GATEWAY_PROVIDER[provider]}/${name}`,
    headers,
    secret: creds.apiKey,
  };
}
