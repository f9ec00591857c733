import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { ORIGIN, authPost, client, expectTrpcError, sessionCookie, signUp, unique } from "./helpers";

describe("accounts at /api/auth", () => {
  it("signs up, keeps a session in an HttpOnly SameSite cookie, signs out", async () => {
    const email = `${unique("alice")}@example.com`;
    const res = await authPost(
      "/sign-up/email",
      { name: "Alice", email, password: "a long password" },
      { "cf-connecting-ip": "192.0.2.10" },
    );
    expect(res.status).toBe(200);
    const setCookie = res.headers.getSetCookie().find((c) => c.includes("session_token"))!;
    expect(setCookie).toMatch(/HttpOnly/i);
    expect(setCookie).toMatch(/SameSite=Lax/i);
    // Served on http://127.0.0.1 locally: Secure only when APP_URL is https.
    expect(setCookie).not.toMatch(/;\s*Secure/i);
    const cookie = sessionCookie(res);

    const session = await SELF.fetch(`${ORIGIN}/api/auth/get-session`, { headers: { cookie } });
    expect(((await session.json()) as any).user.email).toBe(email.toLowerCase());

    const out = await authPost("/sign-out", {}, { cookie });
    expect(out.status).toBe(200);
    const after = await SELF.fetch(`${ORIGIN}/api/auth/get-session`, { headers: { cookie } });
    expect(await after.json()).toBeNull();
    await expectTrpcError(client({ cookie }).tenants.create.mutate({ name: "Nope" }), "UNAUTHORIZED");
  });

  it("signs in with the right password and refuses a wrong one", async () => {
    const u = await signUp("bob");
    const ok = await authPost("/sign-in/email", { email: u.email, password: u.password }, { "cf-connecting-ip": "192.0.2.20" });
    expect(ok.status).toBe(200);
    expect(sessionCookie(ok)).toContain("session_token");

    const bad = await authPost("/sign-in/email", { email: u.email, password: "wrong password" }, { "cf-connecting-ip": "192.0.2.20" });
    expect(bad.status).toBe(401);
    expect(bad.headers.getSetCookie().some((c) => c.includes("session_token="))).toBe(false);
  });

  it("rate-limits sign-in attempts per client address", async () => {
    const u = await signUp("carol");
    const ip = "192.0.2.30";
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) {
      const r = await authPost("/sign-in/email", { email: u.email, password: `guess ${i}` }, { "cf-connecting-ip": ip });
      statuses.push(r.status);
    }
    expect(statuses.slice(0, 5).every((s) => s === 401)).toBe(true);
    expect(statuses.at(-1)).toBe(429);
    // Another address is not affected.
    const other = await authPost("/sign-in/email", { email: u.email, password: u.password }, { "cf-connecting-ip": "192.0.2.31" });
    expect(other.status).toBe(200);
  });

  it("refuses a sign-in posted from a foreign origin", async () => {
    const u = await signUp("dave");
    const res = await authPost(
      "/sign-in/email",
      { email: u.email, password: u.password },
      { origin: "https://evil.example", "cf-connecting-ip": "192.0.2.40" },
    );
    expect(res.status).toBe(403);
  });

  it("rejects a duplicate email at sign-up", async () => {
    const u = await signUp("erin");
    const res = await authPost(
      "/sign-up/email",
      { name: "Erin 2", email: u.email, password: "another password" },
      { "cf-connecting-ip": "192.0.2.50" },
    );
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
  });
});
