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

export const addMemberInput = z.object({
  email: z.email("Enter a valid email address").transform((e) => e.toLowerCase()),
  role: tenantRole.exclude(["owner"]).default("member"),
});
export type AddMemberInput = z.input<typeof addMemberInput>;

export const removeMemberInput = z.object({ userId: z.string().min(1) });
