// Accounts and sessions: better-auth on D1 through its drizzle adapter, built per request because
// the D1 binding arrives with the request.
import { betterAuth } from "better-auth";
import { drizzleAdapter } from "better-auth/adapters/drizzle";
import { PASSWORD_MAX, PASSWORD_MIN } from "@autoclaw/shared";
import type { Db } from "./db/client";
import { schema } from "./db/client";
import type { Settings } from "./config";
import { clientOf, recordSignIn } from "./domain/audit";
import { type MailSender, verificationMail } from "./domain/mail";

/** How long a verification link works. */
const VERIFY_SECONDS = 24 * 3600;

export function createAuth(db: Db, s: Settings, mail: MailSender) {
  const secure = s.APP_URL.startsWith("https://");
  return betterAuth({
    appName: "AutoClaw",
    baseURL: s.APP_URL,
    basePath: "/api/auth",
    secret: s.BETTER_AUTH_SECRET,
    trustedOrigins: [new URL(s.APP_URL).origin],
    database: drizzleAdapter(db, {
      provider: "sqlite",
      schema: {
        user: schema.user,
        session: schema.session,
        account: schema.account,
        verification: schema.verification,
        rateLimit: schema.rateLimit,
      },
    }),
    emailAndPassword: { enabled: true, minPasswordLength: PASSWORD_MIN, maxPasswordLength: PASSWORD_MAX, autoSignIn: true },
    // Signing up signs in at once; a verified address is needed to join teams by invitation, so the
    // link is sent on sign-up (and again on request) and signs its follower in.
    emailVerification: {
      sendOnSignUp: true,
      autoSignInAfterVerification: true,
      expiresIn: VERIFY_SECONDS,
      sendVerificationEmail: async ({ user, url }) => mail.send(verificationMail(user.email, user.name, url)),
    },
    session: { expiresIn: 60 * 60 * 24 * 14, updateAge: 60 * 60 * 24 },
    // On by default only in production; we want it everywhere, stored in D1 so every isolate agrees.
    rateLimit: {
      enabled: true,
      storage: "database",
      window: 60,
      max: 100,
      customRules: {
        "/sign-in/email": { window: 60, max: 5 },
        "/sign-up/email": { window: 60, max: 5 },
        "/send-verification-email": { window: 60, max: 3 },
      },
    },
    advanced: {
      useSecureCookies: secure,
      defaultCookieAttributes: { httpOnly: true, sameSite: "lax", secure },
      // Cloudflare sets CF-Connecting-IP itself; a client cannot forge it through the edge.
      ipAddress: { ipAddressHeaders: ["cf-connecting-ip"] },
      database: { generateId: () => crypto.randomUUID() },
    },
    telemetry: { enabled: false },
  });
}
export type Auth = ReturnType<typeof createAuth>;

/** Accounts' routes; a password sign-in's outcome is also recorded in the audit log of the account's teams. */
export async function handleAuth(req: Request, auth: Auth, db: Db): Promise<Response> {
  if (req.method !== "POST" || new URL(req.url).pathname !== "/api/auth/sign-in/email") return auth.handler(req);
  const email = await req
    .clone()
    .json<{ email?: unknown }>()
    .then((b) => (typeof b?.email === "string" ? b.email.slice(0, 320) : null))
    .catch(() => null);
  const res = await auth.handler(req);
  const outcome = res.ok ? "ok" : res.status === 401 ? "wrong-password" : res.status === 429 ? "rate-limited" : null;
  if (email && outcome) await recordSignIn(db, email, outcome, clientOf(req));
  return res;
}
