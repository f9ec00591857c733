import { z } from "zod";

/** A member's role in a team. Owners and admins manage keys and members; members use agents. */
export const TENANT_ROLES = ["owner", "admin", "member"] as const;
export const tenantRole = z.enum(TENANT_ROLES);
export type TenantRole = z.infer<typeof tenantRole>;

export const tenantName = z.string().trim().min(1, "Team name is required").max(80, "Team name is at most 80 characters");

export const createTenantInput = z.object({ name: tenantName });
export type CreateTenantInput = z.infer<typeof createTenantInput>;

export const tenant = z.object({ id: z.string(), name: z.string() });
export type Tenant = z.infer<typeof tenant>;

export const tenantWithRole = tenant.extend({ role: tenantRole });
export type TenantWithRole = z.infer<typeof tenantWithRole>;

export const tenantMember = z.object({
  userId: z.string(),
  name: z.string(),
  email: z.string(),
  role: tenantRole,
  joinedAt: z.iso.datetime(),
});
export type TenantMember = z.infer<typeof tenantMember>;

/** The team the caller is acting in, as the dashboard shows it. */
export const tenantOverview = tenant.extend({
  role: tenantRole,
  createdAt: z.iso.datetime(),
  members: z.array(tenantMember),
});
export type TenantOverview = z.infer<typeof tenantOverview>;

// ── Invitations ─────────────────────────────────────────────────────────────────────────────────────
// People join a team by invitation to their email; accepting needs that email verified.

/** How long an invitation stays open. */
export const INVITATION_DAYS = 7;
/** Open invitations a team may have at once (each one sends mail). */
export const MAX_PENDING_INVITATIONS = 50;

export const inviteInput = z.object({
  email: z
    .email("Enter a valid email address")
    .max(254, "An email address is at most 254 characters")
    .transform((e) => e.toLowerCase()),
  /** Owners are made by an owner from among the members (tenants.setRole), never invited. */
  role: tenantRole.exclude(["owner"]).default("member"),
});
export type InviteInput = z.input<typeof inviteInput>;

/** An open invitation as the team's admins see it. */
export const invitation = z.object({
  id: z.string(),
  email: z.string(),
  role: tenantRole,
  invitedBy: z.string().nullable(),
  createdAt: z.iso.datetime(),
  expiresAt: z.iso.datetime(),
});
export type Invitation = z.infer<typeof invitation>;

/** What `tenants.invite` answers: the same whether or not the address has an account. */
export const invitationSent = invitation.extend({
  /** False when the mail could not be sent; the invitation stands and shows in the invitee's dashboard. */
  emailSent: z.boolean(),
});
export type InvitationSent = z.infer<typeof invitationSent>;

/** An invitation addressed to the caller. */
export const myInvitation = z.object({
  id: z.string(),
  tenantId: z.string(),
  teamName: z.string(),
  role: tenantRole,
  invitedBy: z.string().nullable(),
  expiresAt: z.iso.datetime(),
});
export type MyInvitation = z.infer<typeof myInvitation>;

/** `invitations.mine`: none are shown until the caller's email is verified (the invitations are the address owner's). */
export const myInvitations = z.object({ emailVerified: z.boolean(), invitations: z.array(myInvitation) });
export type MyInvitations = z.infer<typeof myInvitations>;

export const invitationIdInput = z.object({ id: z.string().min(1).max(64) });

// ── Members ─────────────────────────────────────────────────────────────────────────────────────────

export const removeMemberInput = z.object({ userId: z.string().min(1).max(64) });

export const setRoleInput = z.object({ userId: z.string().min(1).max(64), role: tenantRole });
export type SetRoleInput = z.infer<typeof setRoleInput>;
