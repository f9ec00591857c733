import { and, asc, eq, isNull, ne, sql } from "drizzle-orm";
import type { AuditAction, SetRoleInput, Tenant, TenantOverview, TenantRole, TenantWithRole } from "@autoclaw/shared";
import type { Db } from "../db/client";
import { telegramPairingCodes, telegramPairings, tenantMembers, tenants, user } from "../db/schema";
import { type AuditBy, auditStatement } from "./audit";
import { newId } from "./crypto";
import { DomainError, notFound } from "./errors";
import type { PersonBy, Principal } from "./principals";

/**
 * A new team, its creator its owner. An account owns at most `maxOwned` teams (each gets a trial and a
 * runtime): checked and inserted in one batch, so calls at once cannot slip past the limit.
 */
export async function createTenant(db: Db, by: PersonBy, name: string, maxOwned: number): Promise<Tenant> {
  const ownerId = by.actor.id;
  const id = newId("tn");
  const now = Date.now();
  const owned = sql`(select count(*) from ${tenantMembers} where ${tenantMembers.userId} = ${ownerId} and ${tenantMembers.role} = 'owner')`;
  const [inserted] = await db.batch([
    // In the table's column order: id, name, conversation_visibility, created_at.
    db.insert(tenants).select(sql`select ${id}, ${name}, 'private', ${now} where ${owned} < ${maxOwned}`).returning({ id: tenants.id }),
    db
      .insert(tenantMembers)
      .select(sql`select ${id}, ${ownerId}, 'owner', ${now} where exists (select 1 from ${tenants} where ${tenants.id} = ${id})`),
    auditStatement(db, id, by, { action: "team.created", target: { kind: "team", id, label: name } }),
  ]);
  if (!inserted.length)
    throw new DomainError(
      "FORBIDDEN",
      `An account can own at most ${maxOwned} teams: hand one to another owner and leave it, or ask a team's admin to invite you to theirs`,
    );
  return { id, name };
}

export async function listTenantsOfUser(db: Db, userId: string): Promise<TenantWithRole[]> {
  return db
    .select({ id: tenants.id, name: tenants.name, role: tenantMembers.role })
    .from(tenantMembers)
    .innerJoin(tenants, eq(tenants.id, tenantMembers.tenantId))
    .where(eq(tenantMembers.userId, userId))
    .orderBy(asc(tenants.createdAt));
}

/** A person's teams; an API key sees the one team it belongs to, in which it acts as an admin. */
export async function tenantsOf(db: Db, p: Principal): Promise<TenantWithRole[]> {
  if (p.kind === "user") return listTenantsOfUser(db, p.userId);
  const t = await getTenant(db, p.tenantId);
  return [{ id: t.id, name: t.name, role: "admin" }];
}

export async function getTenant(db: Db, tenantId: string): Promise<Tenant & { createdAt: Date }> {
  const row = await db.query.tenants.findFirst({ where: eq(tenants.id, tenantId) });
  if (!row) throw notFound("Team");
  return row;
}

export async function tenantOverview(db: Db, tenantId: string, callerRole: TenantRole): Promise<TenantOverview> {
  const t = await getTenant(db, tenantId);
  const members = await db
    .select({ userId: user.id, name: user.name, email: user.email, role: tenantMembers.role, joinedAt: tenantMembers.createdAt })
    .from(tenantMembers)
    .innerJoin(user, eq(user.id, tenantMembers.userId))
    .where(eq(tenantMembers.tenantId, tenantId))
    .orderBy(asc(tenantMembers.createdAt));
  return {
    id: t.id,
    name: t.name,
    role: callerRole,
    createdAt: t.createdAt.toISOString(),
    members: members.map((m) => ({ ...m, joinedAt: m.joinedAt.toISOString() })),
  };
}

/** What the log calls a member: their email, read in the change's batch. */
export const memberTarget = (userId: string) => ({
  kind: "user",
  id: userId,
  label: sql`(select ${user.email} from ${user} where ${user.id} = ${userId})`,
});

/**
 * In one batch: the membership, its audit entry, the Telegram accounts they paired with this team,
 * their unused codes.
 */
function membershipDrop(db: Db, tenantId: string, userId: string, keepLastOwner: boolean, by: AuditBy, action: AuditAction) {
  const owners = sql`(select count(*) from ${tenantMembers} where ${tenantMembers.tenantId} = ${tenantId} and ${tenantMembers.role} = 'owner')`;
  // The pairings and codes go only if the membership did (checked after its delete, in the same batch).
  const gone = sql`not exists (select 1 from ${tenantMembers} where ${tenantMembers.tenantId} = ${tenantId} and ${tenantMembers.userId} = ${userId})`;
  return db.batch([
    db
      .delete(tenantMembers)
      .where(
        and(
          eq(tenantMembers.tenantId, tenantId),
          eq(tenantMembers.userId, userId),
          keepLastOwner ? sql`(${tenantMembers.role} <> 'owner' or ${owners} > 1)` : ne(tenantMembers.role, "owner"),
        ),
      )
      .returning({ role: tenantMembers.role }),
    auditStatement(db, tenantId, by, { action, target: memberTarget(userId) }),
    db.delete(telegramPairings).where(and(eq(telegramPairings.tenantId, tenantId), eq(telegramPairings.pairedByUserId, userId), gone)),
    db
      .delete(telegramPairingCodes)
      .where(
        and(
          eq(telegramPairingCodes.tenantId, tenantId),
          eq(telegramPairingCodes.createdBy, userId),
          isNull(telegramPairingCodes.usedAt),
          gone,
        ),
      ),
  ]);
}

/** An admin removes someone; an owner must first be made an admin or member (by an owner). */
export async function removeMember(
  db: Db,
  tenantId: string,
  userId: string,
  caller: { role: TenantRole; by: AuditBy },
): Promise<TenantOverview> {
  const role = await membershipRole(db, tenantId, userId);
  if (!role) throw notFound("Member");
  if (role === "owner") throw new DomainError("FORBIDDEN", "An owner cannot be removed: an owner must first change their role");
  await membershipDrop(db, tenantId, userId, false, caller.by, "member.removed");
  return tenantOverview(db, tenantId, caller.role);
}

/** The caller leaves the team; its last owner cannot (another owner must remain). */
export async function leaveTenant(db: Db, tenantId: string, by: AuditBy): Promise<void> {
  const [left] = await membershipDrop(db, tenantId, by.actor.id, true, by, "member.left");
  if (!left.length) throw new DomainError("FORBIDDEN", "You are this team's only owner: make another member an owner first, then leave");
}

/**
 * Changes a member's role. Admins move people between member and admin; making or unmaking an owner
 * needs an owner. The last owner stays an owner: the guard is in the update itself, so two owners
 * demoting each other at once cannot leave the team without one.
 */
export async function setMemberRole(
  db: Db,
  tenantId: string,
  input: SetRoleInput,
  caller: { userId: string; role: TenantRole; by: AuditBy },
): Promise<TenantOverview> {
  const callerRole = caller.role;
  const current = await membershipRole(db, tenantId, input.userId);
  if (!current) throw notFound("Member");
  if ((current === "owner" || input.role === "owner") && callerRole !== "owner")
    throw new DomainError("FORBIDDEN", "Only team owners can make or unmake owners");
  const owners = sql`(select count(*) from ${tenantMembers} where ${tenantMembers.tenantId} = ${tenantId} and ${tenantMembers.role} = 'owner')`;
  const [changed] = await db.batch([
    db
      .update(tenantMembers)
      .set({ role: input.role })
      .where(
        and(
          eq(tenantMembers.tenantId, tenantId),
          eq(tenantMembers.userId, input.userId),
          sql`(${tenantMembers.role} <> 'owner' or ${input.role} = 'owner' or ${owners} > 1)`,
        ),
      )
      .returning({ role: tenantMembers.role }),
    auditStatement(db, tenantId, caller.by, {
      action: "member.role_changed",
      target: memberTarget(input.userId),
      metadata: { from: current, to: input.role },
    }),
  ]);
  if (!changed.length) throw new DomainError("FORBIDDEN", "A team keeps at least one owner: make someone else an owner first");
  return tenantOverview(db, tenantId, input.userId === caller.userId ? input.role : callerRole);
}

/** The caller's role in a team, or undefined when they are not a member (callers answer NOT_FOUND). */
export async function membershipRole(db: Db, tenantId: string, userId: string): Promise<TenantRole | undefined> {
  const row = await db.query.tenantMembers.findFirst({
    where: and(eq(tenantMembers.tenantId, tenantId), eq(tenantMembers.userId, userId)),
    columns: { role: true },
  });
  return row?.role;
}
