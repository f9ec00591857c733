import { useQuery } from "@tanstack/react-query";
import type { SignInInput, SignUpInput } from "@autoclaw/shared";

// Accounts talk to better-auth's REST endpoints (docs/api.md); everything else goes through tRPC.

export interface SessionUser {
  id: string;
  name: string;
  email: string;
  /** Set by following the link mailed on sign-up; needed to accept invitations. */
  emailVerified: boolean;
}

async function post(path: string, body: unknown) {
  const res = await fetch(`/api/auth${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  if (res.ok) return;
  const data = (await res.json().catch(() => ({}))) as { message?: string };
  if (res.status === 429) throw new Error("Too many attempts. Wait a minute and try again.");
  throw new Error(data.message ?? `Request failed (${res.status})`);
}

/** `callbackURL`: where the mailed verification link lands the user (signed in). */
export const signUp = (input: SignUpInput, callbackURL = "/dashboard") => post("/sign-up/email", { ...input, callbackURL });
export const resendVerification = (email: string, callbackURL = "/dashboard") => post("/send-verification-email", { email, callbackURL });
export const signIn = (input: SignInInput) => post("/sign-in/email", input);
export const signOut = () => post("/sign-out", {});

export const SESSION_KEY = ["session"] as const;

export function useSession() {
  return useQuery({
    queryKey: SESSION_KEY,
    queryFn: async (): Promise<SessionUser | null> => {
      const res = await fetch("/api/auth/get-session");
      if (!res.ok) throw new Error(`Could not reach AutoClaw (${res.status})`);
      const data = (await res.json()) as { user: SessionUser } | null;
      return data?.user ?? null;
    },
    staleTime: 60_000,
  });
}
