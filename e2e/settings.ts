// Ports and the bot's settings of the stack the browser suite starts (playwright.config.ts) and talks to.
export const PORT = Number(process.env.E2E_PORT ?? 8797);
export const SPA_PORT = Number(process.env.E2E_SPA_PORT ?? 5183);
export const API_URL = `http://127.0.0.1:${PORT}`;
/** The fake Telegram Bot API the stack's bot talks to; tests post updates to the webhook with the secret. */
export const TELEGRAM = {
  port: Number(process.env.E2E_TELEGRAM_PORT ?? 8804),
  token: "123456789:e2e-token-abcdefghijklmnopqrstuvwxyz",
  username: "autoclaw_e2e_bot",
  secret: "e2e-webhook-secret-0123456789",
};
/** The fake Stripe API; after its checkout page it posts signed events to the stack's webhook. */
export const STRIPE = {
  port: Number(process.env.E2E_STRIPE_PORT ?? 8805),
  secretKey: "sk_test_e2e_autoclaw",
  webhookSecret: "whsec_e2e_autoclaw_0123456789",
  prices: { pro: "price_pro_e2e", team: "price_team_e2e" },
};
