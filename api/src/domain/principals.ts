// Who is acting: a signed-in person or an integrator's API key. The one place that says how each is
// named in the records it leaves (who created a key or a code, where a run came from).
import type { RunSource } from "@autoclaw/shared";

export type Principal = { kind: "user"; userId: string; email: string; name: string } | { kind: "apiKey"; keyId: string; tenantId: string };

/** How records name the actor: a person's user id, or `apikey:<id>`. */
export const actorOf = (p: Principal): string => (p.kind === "user" ? p.userId : `apikey:${p.keyId}`);

/** The person behind the action, if a person did it (rows that reference users). */
export const userIdOf = (p: Principal): string | null => (p.kind === "user" ? p.userId : null);

/** A run started through the API is an `api` run; one started in the dashboard a `dashboard` run. */
export const runSourceOf = (p: Principal): RunSource => (p.kind === "apiKey" ? "api" : "dashboard");
