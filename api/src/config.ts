// Settings, parsed once with one schema. Imported by the Worker (env.ts) and by the local run
// command, so a missing or malformed value stops start-up with a message naming it.
// No Worker-only imports here: Node runs this file directly.
import { z } from "zod";

const flag = z.enum(["true", "false"]).transform((v) => v === "true");
const optionalText = z
  .string()
  .optional()
  .transform((v) => (v === "" ? undefined : v));
const optionalUrl = optionalText.pipe(z.url().optional());

/** AES-GCM keys are 32 random bytes, base64-encoded. */
const aesKey = z.string().refine((v) => {
  try {
    return atob(v).length === 32;
  } catch {
    return false;
  }
}, "must be 32 bytes, base64-encoded (e.g. `openssl rand -base64 32`)");

export const settingsSchema = z.object({
  NODE_ENV: z.enum(["production", "development", "test"]).default("production"),
  APP_URL: z.url(),
  BETTER_AUTH_SECRET: z.string().min(32, "must be at least 32 characters"),
  ENCRYPTION_KEY: aesKey,
  AI_GATEWAY_URL: optionalUrl,
  /** Sent as cf-aig-authorization when the AI Gateway is an authenticated one. */
  AI_GATEWAY_TOKEN: optionalText,
  /** How long one model call may take before the run is retried. */
  MODEL_TIMEOUT_MS: z.coerce.number().int().min(100).max(900_000).default(120_000),
  /**
   * A running run's lease: its executor renews it every third of this while it works, so the reaper
   * only takes over runs whose executor has gone (a crashed or evicted AgentSession).
   */
  RUN_LEASE_SECONDS: z.coerce.number().int().min(2).max(600).default(60),
  /** First retry delay of a run after a transient failure; doubles per attempt (max 5 min). */
  RUN_RETRY_DELAY_SECONDS: z.coerce.number().int().min(0).max(300).default(2),
  ALLOW_PRIVATE_MODEL_URLS: flag.default(false),
  /**
   * Who executes turns: `sandbox` (production containers), `host` (the local runtime host), or
   * `direct` (no OpenClaw: the Worker calls the model with the agent's persona; only for the
   * pipeline tests inside workerd, which cannot run a gateway).
   */
  TENANT_RUNTIME: z.enum(["host", "sandbox", "direct"]).default("sandbox"),
  /** The Worker's model proxy as tenant runtimes reach it (…/api/model/v1); defaults to APP_URL's. */
  MODEL_PROXY_URL: optionalUrl,
  RUNTIME_HOST_URL: optionalUrl,
  RUNTIME_HOST_SECRET: optionalText,
  /** The one shared bot (BotFather's token), its @username, and the webhook's secret token. */
  TELEGRAM_BOT_TOKEN: optionalText.pipe(
    z
      .string()
      .regex(/^\d+:[\w-]{20,}$/, "must look like BotFather's token (<id>:<secret>)")
      .optional(),
  ),
  TELEGRAM_BOT_USERNAME: optionalText.pipe(
    z
      .string()
      .regex(/^[A-Za-z][A-Za-z0-9_]{3,31}$/, "must be the bot's username without @")
      .optional(),
  ),
  TELEGRAM_WEBHOOK_SECRET: optionalText.pipe(
    z
      .string()
      .regex(/^[A-Za-z0-9_-]{16,256}$/, "must be 16–256 characters of A-Z, a-z, 0-9, _ and -")
      .optional(),
  ),
  /** Another Bot API server (a local fake in tests); default https://api.telegram.org. */
  TELEGRAM_API_ROOT: optionalUrl,
  /** Billing is on when both are set. */
  STRIPE_SECRET_KEY: optionalText,
  STRIPE_WEBHOOK_SECRET: optionalText,
  /** The Stripe price id of each purchasable plan (a plan without one is not for sale). */
  STRIPE_PRICE_PRO: optionalText,
  STRIPE_PRICE_TEAM: optionalText,
  /** Another Stripe API server (a local fake in tests). */
  STRIPE_API_BASE: optionalUrl,
  /** How long a past_due team may still run agents. */
  BILLING_GRACE_DAYS: z.coerce.number().int().min(0).max(60).default(3),
  /** Teams one account may own: each gets a trial and a runtime (~1.25 GB), so this is a resource limit. */
  MAX_TEAMS_PER_ACCOUNT: z.coerce.number().int().min(1).max(1000).default(3),
  /**
   * Outbound mail (verification, invitations) goes to one HTTP mail API that speaks Resend's
   * `POST /emails` (https://resend.com/docs/api-reference/emails/send-email). Mail is off when no key
   * is set; the run command points it at the local outbox.
   */
  MAIL_API_URL: optionalUrl,
  MAIL_API_KEY: optionalText,
  MAIL_FROM: z.string().min(3).default("AutoClaw <no-reply@autoclaw.dev>"),
  /**
   * Raw routes under /api/bench/ that do a procedure's storage work with no framework, the baselines
   * `pnpm bench` measures against in the same run (bench/README.md). Only the benchmark turns it on.
   */
  BENCH_BASELINES: flag.default(false),
});
export type Settings = z.infer<typeof settingsSchema>;

/**
 * Settings that are secrets: set with `wrangler secret put` (never written in wrangler.toml), never logged,
 * never placed in a tenant runtime. `pnpm deploy:check` holds wrangler.toml to this.
 */
export const SECRET_SETTINGS = [
  "BETTER_AUTH_SECRET",
  "ENCRYPTION_KEY",
  "AI_GATEWAY_TOKEN",
  "RUNTIME_HOST_SECRET",
  "TELEGRAM_BOT_TOKEN",
  "TELEGRAM_WEBHOOK_SECRET",
  "STRIPE_SECRET_KEY",
  "STRIPE_WEBHOOK_SECRET",
  "MAIL_API_KEY",
] as const satisfies readonly (keyof Settings)[];

/** Every setting name, for the run command's "environment overrides" pass-through. */
export const SETTING_NAMES = Object.keys(settingsSchema.shape) as (keyof Settings)[];

export class ConfigError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`AutoClaw configuration is invalid:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
    this.problems = problems;
  }
}

const parsed = new WeakMap<object, Settings>();

/** The parsed settings of one env object (parsed on first use, then cached for the isolate). */
export function settings(env: Record<string, unknown>): Settings {
  let s = parsed.get(env);
  if (!s) {
    s = parseSettings(env);
    parsed.set(env, s);
  }
  return s;
}

export function parseSettings(source: Record<string, unknown>): Settings {
  const result = settingsSchema.safeParse(source);
  if (!result.success) {
    throw new ConfigError(
      result.error.issues.map((i) => {
        const name = String(i.path[0] ?? "settings");
        const missing = source[name] === undefined || source[name] === "";
        return missing ? `${name} is missing` : `${name} ${i.message}`;
      }),
    );
  }
  return result.data;
}
