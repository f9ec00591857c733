// Who may do what in a team — written down once, enforced by the API (one middleware, trpc/init.ts)
// and read by the dashboard to show only what the caller may use.
import type { TenantRole } from "./tenants";

/** What an API key may be allowed to do. No scope manages API keys, members, model keys or billing. */
export const API_KEY_SCOPES = ["read", "runs", "agents"] as const;
export type ApiKeyScope = (typeof API_KEY_SCOPES)[number];
/** What an integrator needs to run agents: see them and their runs, start and cancel runs. */
export const DEFAULT_API_KEY_SCOPES: ApiKeyScope[] = ["read", "runs"];

export const API_KEY_SCOPE_LABELS: Record<ApiKeyScope, string> = {
  read: "Read the team's agents, runs and usage",
  runs: "Start and cancel runs",
  agents: "Create, edit and delete agents",
};

/**
 * Each kind of action: the least role a person needs for it, and the scope an API key needs
 * (null: no key may do it, whatever its scopes).
 */
export const ACCESS = {
  /** See the team, its agents, runs, usage, runtime status, Telegram pairings and plan. */
  read: { role: "member", scope: "read" },
  /** Start runs; cancel one's own (admins cancel any). */
  run: { role: "member", scope: "runs" },
  /** Pair one's own Telegram account. */
  pairSelf: { role: "member", scope: null },
  /** Leave the team (people only: a key is revoked, not withdrawn). */
  leave: { role: "member", scope: null },
  /** Create, edit and delete agents. */
  manageAgents: { role: "admin", scope: "agents" },
  /** Model keys, API keys, members, the runtime (start, stop, restart, logs), Telegram settings. */
  manageTeam: { role: "admin", scope: null },
  /** Read and export the audit log (who did what, from where): owners and admins, never a key. */
  audit: { role: "admin", scope: null },
  /** Billing (checkout, portal). Making or unmaking an owner also needs an owner (domain/tenants.ts). */
  own: { role: "owner", scope: null },
} as const satisfies Record<string, { role: TenantRole; scope: ApiKeyScope | null }>;
export type Access = keyof typeof ACCESS;

const RANK: Record<TenantRole, number> = { member: 0, admin: 1, owner: 2 };

/** May a person of this role do this? */
export const roleAllows = (role: TenantRole, access: Access) => RANK[role] >= RANK[ACCESS[access].role];

/** May an API key with these scopes do this? */
export const scopesAllow = (scopes: readonly ApiKeyScope[], access: Access): boolean => {
  const needed: ApiKeyScope | null = ACCESS[access].scope;
  return needed !== null && scopes.includes(needed);
};

/** The refusal a caller reads. */
export function accessRefusal(access: Access, byKey: boolean): string {
  const { role, scope } = ACCESS[access];
  if (byKey) return scope ? `This API key lacks the "${scope}" scope` : "API keys cannot do this: a team owner or admin must";
  return role === "owner" ? "Only team owners can do this" : "Only team owners and admins can do this";
}
