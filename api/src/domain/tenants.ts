import { and, asc, eq, isNull, sql } from "drizzle-orm";
import type { AddMemberInput, Tenant, TenantOverview, TenantRole, TenantWithRole } from "@autoclaw/shared";
import type { Db } from "../db/client";
import { telegramPairingCodes, telegramPairings, tenantMembers, tenants, user } from "../db/schema";
import { newId } from "./crypto";
import { DomainError, notFound } from "./errors";
import type { Principal } from "./principals";

/**
 * A new team, its creator its owner. An account owns at most `maxOwned` teams (each gets a trial and a
 * runtime): checked and inserted in one batch, so calls at once cannot slip past the limit.
 */
export async function createTenant(db: Db, ownerId: string, name: string, maxOwned: number): Promise<Tenant> {
  const id = newId("tn");
  const now = Date.now();
  const owned = sql`(select count(*) from ${tenantMembers} where ${tenantMembers.userId} = ${ownerId} and ${tenantMembers.role} = 'owner')`;
  const [inserted] = await db.batch([
    db.insert(tenants).select(sql`select ${id}, ${name}, ${now} where ${owned} < ${maxOwned}`).returning({ id: tenants.id }),
    db
      .insert(tenantMembers)
      .select(sql`select ${id}, ${ownerId}, 'owner', ${now} where exists (select 1 from ${tenants} where ${tenants.id} = ${id})`),
  ]);
  if (!inserted.length)
    throw new DomainError("FORBIDDEN", `An account can own at most ${maxOwned} teams: delete one or ask its owner to add you to theirs`);
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

/** Adds an existing AutoClaw account to the team. Invitations by email come with outbound mail. */
/** Adds an existing account by email; answers with the team as the caller sees it. */
export async function addMember(
  db: Db,
  tenantId: string,
  input: Required<AddMemberInput>,
  callerRole: TenantRole,
): Promise<TenantOverview> {
  const account = await db.query.user.findFirst({ where: eq(user.email, input.email) });
  if (!account) throw new DomainError("NOT_FOUND", "No AutoClaw account uses that email yet: ask them to sign up first");
  const existing = await db.query.tenantMembers.findFirst({
    where: and(eq(tenantMembers.tenantId, tenantId), eq(tenantMembers.userId, account.id)),
  });
  if (existing) throw new DomainError("CONFLICT", "That person is already in this team");
  await db.insert(tenantMembers).values({ tenantId, userId: account.id, role: input.role });
  return tenantOverview(db, tenantId, callerRole);
}

export async function removeMember(db: Db, tenantId: string, userId: string, callerRole: TenantRole): Promise<TenantOverview> {
  const member = await db.query.tenantMembers.findFirst({
    where: and(eq(tenantMembers.tenantId, tenantId), eq(tenantMembers.userId, userId)),
  });
  if (!member) throw notFound("Member");
  if (member.role === "owner") throw new DomainError("FORBIDDEN", "The team owner cannot be removed");
  // In one batch: the membership, the Telegram accounts they paired with this team, their unused codes.
  await db.batch([
    db.delete(tenantMembers).where(and(eq(tenantMembers.tenantId, tenantId), eq(tenantMembers.userId, userId))),
    db.delete(telegramPairings).where(and(eq(telegramPairings.tenantId, tenantId), eq(telegramPairings.pairedByUserId, userId))),
    db
      .delete(telegramPairingCodes)
      .where(
        and(eq(telegramPairingCodes.tenantId, tenantId), eq(telegramPairingCodes.createdBy, userId), isNull(telegramPairingCodes.usedAt)),
      ),
  ]);
  return tenantOverview(db, tenantId, callerRole);
}

/** The caller's role in a team, or undefined when they are not a member (callers answer NOT_FOUND). */
export async function membershipRole(db: Db, tenantId: string, userId: string): Promise<TenantRole | undefined> {
  const row = await db.query.tenantMembers.findFirst({
    where: and(eq(tenantMembers.tenantId, tenantId), eq(tenantMembers.userId, userId)),
    columns: { role: true },
  });
  return row?.role;
}
