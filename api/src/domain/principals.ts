// Who is acting: a signed-in person or an integrator's API key. The one place that says how each is
// named in the records it leaves (who created a key or a code, where a run came from).
import { type Access, type ApiKeyScope, type RunSource, roleAllows, scopesAllow, type TenantRole } from "@autoclaw/shared";

import type { AuditActor, AuditBy, AuditClient } from "./audit";
import { DomainError } from "./errors";

export type Principal =
  | { kind: "user"; userId: string; email: string; name: string; emailVerified: boolean }
  | { kind: "apiKey"; keyId: string; prefix: string; tenantId: string; scopes: ApiKeyScope[] };

/** May this caller, acting in a team with this role (people) or these scopes (API keys), do this? */
export const allows = (p: Principal, role: TenantRole, access: Access): boolean =>
  p.kind === "apiKey" ? scopesAllow(p.scopes, access) : roleAllows(role, access);

/** How records name the actor: a person's user id, or `apikey:<id>`. */
export const actorOf = (p: Principal): string => (p.kind === "user" ? p.userId : `apikey:${p.keyId}`);

/** actorOf for an audited change: the same `userId` / `apikey:<id>` the other records use. */
export const recordedActorOf = (by: AuditBy): string => (by.actor.kind === "apiKey" ? `apikey:${by.actor.id}` : by.actor.id);

/** How the audit log names the actor: a person by email, a key by its visible prefix. */
export const auditActorOf = (p: Principal): AuditActor =>
  p.kind === "user" ? { kind: "user", id: p.userId, label: p.email } : { kind: "apiKey", id: p.keyId, label: `${p.prefix}…` };

export const auditByOf = (p: Principal, client: AuditClient): AuditBy => ({ actor: auditActorOf(p), client });

/** An action only a person may take, with who and from where. */
export type PersonBy = AuditBy & { actor: AuditActor & { kind: "user" } };
export function personBy(by: AuditBy): PersonBy {
  if (by.actor.kind !== "user") throw new DomainError("FORBIDDEN", "API keys cannot do this: a person must");
  return by as PersonBy;
}

/** The person behind the action, if a person did it (rows that reference users). */
export const userIdOf = (p: Principal): string | null => (p.kind === "user" ? p.userId : null);

/** A run started through the API is an `api` run; one started in the dashboard a `dashboard` run. */
export const runSourceOf = (p: Principal): RunSource => (p.kind === "apiKey" ? "api" : "dashboard");

/**
 * Who is acting on runs and conversations: the actor, and whether they oversee the team (owners and
 * admins cancel anyone's run and see every conversation; others their own).
 */
export interface Actor {
  actor: string;
  overseer: boolean;
}
export const actingAs = (p: Principal, role: TenantRole): Actor => ({ actor: actorOf(p), overseer: allows(p, role, "manageTeam") });

export type Person = Extract<Principal, { kind: "user" }>;

/** The person behind an action no API key may do (the access matrix already refuses keys; this makes it a type). */
export function personOf(p: Principal): Person {
  if (p.kind !== "user") throw new DomainError("FORBIDDEN", "API keys cannot do this: a person must");
  return p;
}
