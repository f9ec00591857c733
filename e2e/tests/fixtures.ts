import { test as base } from "@playwright/test";

export { expect } from "@playwright/test";

/**
 * Each spec is a different person, so each comes from its own address. Sign-up and sign-in are rate
 * limited per client address (5 a minute, and better-auth's window restarts at every allowed attempt),
 * so six specs sharing 127.0.0.1 are refused sign-up whenever they happen to run less than a minute
 * apart. Miniflare keeps a CF-Connecting-IP the request already carries, as Cloudflare's edge sets it.
 */
export const test = base.extend({
  extraHTTPHeaders: async ({ extraHTTPHeaders }, use) => {
    const octet = () => 1 + Math.floor(Math.random() * 254);
    // 198.18.0.0/15 is reserved for benchmarking, never a real client.
    await use({ ...extraHTTPHeaders, "cf-connecting-ip": `198.18.${octet()}.${octet()}` });
  },
});
