// Joining a team: an admin invites an email address, the person who verifiably owns it accepts.
// Nothing here looks up whether an address has an account, so inviting reveals nothing about who
// has one, and an account made for someone else's address cannot take their seat.
import { and, asc, eq, gt, sql } from "drizzle-orm";
import {
  INVITATION_DAYS,
  type Invitation,
  type InvitationSent,
  type InviteInput,
  MAX_PENDING_INVITATIONS,
  type MyInvitations,
  type TenantWithRole,
} from "@autoclaw/shared";
import type { Settings } from "../config";
import type { Db } from "../db/client";
import { invitations, tenantMembers, tenants, user } from "../db/schema";
import { type AuditBy, auditStatement } from "./audit";
import { newId } from "./crypto";
import { DomainError } from "./errors";
import { invitationMail, type MailSender } from "./mail";

export interface InvitationDeps {
  db: Db;
  settings: Settings;
  mail: MailSender;
}

/** The person answering an invitation, as their session has them. */
export interface Invitee {
  userId: string;
  email: string;
  emailVerified: boolean;
}

const DAY = 24 * 3_600_000;
const closed = () =>
  new DomainError("NOT_FOUND", "This invitation is no longer open: it was answered, revoked or has expired. Ask for a new one.");
const open = (now: number) => and(eq(invitations.status, "pending"), gt(invitations.expiresAt, new Date(now)));

/**
 * Invites an address (again: the open invitation is refreshed and re-sent). At most
 * MAX_PENDING_INVITATIONS open at once, checked in the insert itself. Answers the same whether or
 * not the address has an account; only a current member is refused, whom the team can see anyway.
 */
export async function invite(
  deps: InvitationDeps,
  tenantId: string,
  inviter: { userId: string; name: string },
  input: Required<InviteInput>,
  by: AuditBy,
  now = Date.now(),
): Promise<InvitationSent> {
  const { db } = deps;
  const member = await db
    .select({ userId: tenantMembers.userId })
    .from(tenantMembers)
    .innerJoin(user, eq(user.id, tenantMembers.userId))
    .where(and(eq(tenantMembers.tenantId, tenantId), eq(user.email, input.email)))
    .get();
  if (member) throw new DomainError("CONFLICT", "That person is already in this team");

  const id = newId("inv");
  const expiresAt = now + INVITATION_DAYS * DAY;
  const openCount = sql`(select count(*) from ${invitations} where ${invitations.tenantId} = ${tenantId} and ${invitations.status} = 'pending' and ${invitations.expiresAt} > ${now} and ${invitations.email} <> ${input.email})`;
  const [[row]] = await db.batch([
    db
      .insert(invitations)
      .select(
        sql`select ${id}, ${tenantId}, ${input.email}, ${input.role}, ${inviter.userId}, 'pending', ${now}, ${expiresAt}, null where ${openCount} < ${MAX_PENDING_INVITATIONS}`,
      )
      .onConflictDoUpdate({
        target: [invitations.tenantId, invitations.email],
        targetWhere: sql`status = 'pending'`,
        set: { role: input.role, invitedBy: inviter.userId, createdAt: new Date(now), expiresAt: new Date(expiresAt) },
      })
      .returning(),
    auditStatement(db, tenantId, by, {
      action: "member.invited",
      target: { kind: "email", id: input.email, label: input.email },
      metadata: { role: input.role },
    }),
  ]);
  if (!row)
    throw new DomainError(
      "TOO_MANY_REQUESTS",
      `This team has ${MAX_PENDING_INVITATIONS} open invitations: revoke some or wait for them to be answered`,
    );

  const team = await db.query.tenants.findFirst({ where: eq(tenants.id, tenantId), columns: { name: true } });
  let emailSent = true;
  try {
    await deps.mail.send(
      invitationMail(input.email, inviter.name, team?.name ?? "a team", input.role, `${deps.settings.APP_URL}/invitations`, row.expiresAt),
    );
  } catch (e) {
    emailSent = false;
    console.error(`invitation ${row.id}: mail not sent:`, e instanceof Error ? e.message : e);
  }
  return { ...toInvitation({ ...row, invitedBy: inviter.name }), emailSent };
}

function toInvitation(r: {
  id: string;
  email: string;
  role: Invitation["role"];
  invitedBy: string | null;
  createdAt: Date;
  expiresAt: Date;
}) {
  return {
    id: r.id,
    email: r.email,
    role: r.role,
    invitedBy: r.invitedBy,
    createdAt: r.createdAt.toISOString(),
    expiresAt: r.expiresAt.toISOString(),
  };
}

/** A team's open invitations, in the order they were sent. */
export async function teamInvitations(db: Db, tenantId: string, now = Date.now()): Promise<Invitation[]> {
  const rows = await db
    .select({
      id: invitations.id,
      email: invitations.email,
      role: invitations.role,
      invitedBy: user.name,
      createdAt: invitations.createdAt,
      expiresAt: invitations.expiresAt,
    })
    .from(invitations)
    .leftJoin(user, eq(user.id, invitations.invitedBy))
    .where(and(eq(invitations.tenantId, tenantId), open(now)))
    .orderBy(asc(invitations.createdAt));
  return rows.map(toInvitation);
}

export async function revokeInvitation(db: Db, tenantId: string, id: string, by: AuditBy, now = Date.now()): Promise<void> {
  const [done] = await db.batch([
    db
      .update(invitations)
      .set({ status: "revoked", respondedAt: new Date(now) })
      .where(and(eq(invitations.id, id), eq(invitations.tenantId, tenantId), eq(invitations.status, "pending")))
      .returning({ id: invitations.id }),
    auditStatement(db, tenantId, by, { action: "member.invitation_revoked", target: invitationTarget(id) }),
  ]);
  if (!done.length) throw closed();
}

/** The open invitations addressed to the caller; none until their address is verified. */
export async function myInvitations(db: Db, who: Invitee, now = Date.now()): Promise<MyInvitations> {
  if (!who.emailVerified) return { emailVerified: false, invitations: [] };
  const rows = await db
    .select({
      id: invitations.id,
      tenantId: invitations.tenantId,
      teamName: tenants.name,
      role: invitations.role,
      invitedBy: user.name,
      expiresAt: invitations.expiresAt,
    })
    .from(invitations)
    .innerJoin(tenants, eq(tenants.id, invitations.tenantId))
    .leftJoin(user, eq(user.id, invitations.invitedBy))
    .where(and(eq(invitations.email, who.email.toLowerCase()), open(now)))
    .orderBy(asc(invitations.createdAt));
  return { emailVerified: true, invitations: rows.map((r) => ({ ...r, expiresAt: r.expiresAt.toISOString() })) };
}

/** An invitation as the log names it: the address it was sent to. */
const invitationTarget = (id: string) => ({
  kind: "invitation",
  id,
  label: sql`(select ${invitations.email} from ${invitations} where ${invitations.id} = ${id})`,
});
const teamOfInvitation = (id: string) => sql`(select ${invitations.tenantId} from ${invitations} where ${invitations.id} = ${id})`;

function assertVerified(who: Invitee) {
  if (!who.emailVerified)
    throw new DomainError("FORBIDDEN", "Verify your email first: follow the link we sent you, or send a new one from the banner");
}

/**
 * Joins the team: the membership and the invitation's answer in one batch, both conditioned on the
 * invitation being open and addressed to the caller, so it is used at most once.
 */
export async function acceptInvitation(db: Db, who: Invitee, id: string, by: AuditBy, now = Date.now()): Promise<TenantWithRole> {
  assertVerified(who);
  const mine = and(eq(invitations.id, id), eq(invitations.email, who.email.toLowerCase()), open(now));
  const [, , answered] = await db.batch([
    db
      .insert(tenantMembers)
      .select(
        db
          .select({
            tenantId: invitations.tenantId,
            userId: sql`${who.userId}`.as("user_id"),
            role: invitations.role,
            createdAt: sql`${now}`.as("created_at"),
          })
          .from(invitations)
          .where(mine),
      )
      .onConflictDoNothing(),
    auditStatement(db, teamOfInvitation(id), by, {
      action: "member.joined",
      target: { kind: "user", id: who.userId, label: who.email },
      metadata: { invitation: id },
    }),
    db
      .update(invitations)
      .set({ status: "accepted", respondedAt: new Date(now) })
      .where(mine)
      .returning({ tenantId: invitations.tenantId }),
  ]);
  const tenantId = answered[0]?.tenantId;
  if (!tenantId) throw closed();
  const joined = await db
    .select({ id: tenants.id, name: tenants.name, role: tenantMembers.role })
    .from(tenantMembers)
    .innerJoin(tenants, eq(tenants.id, tenantMembers.tenantId))
    .where(and(eq(tenantMembers.tenantId, tenantId), eq(tenantMembers.userId, who.userId)))
    .get();
  if (!joined) throw closed();
  return joined;
}

export async function declineInvitation(db: Db, who: Invitee, id: string, by: AuditBy, now = Date.now()): Promise<void> {
  assertVerified(who);
  const [done] = await db.batch([
    db
      .update(invitations)
      .set({ status: "declined", respondedAt: new Date(now) })
      .where(and(eq(invitations.id, id), eq(invitations.email, who.email.toLowerCase()), open(now)))
      .returning({ id: invitations.id }),
    auditStatement(db, teamOfInvitation(id), by, { action: "member.declined", target: invitationTarget(id) }),
  ]);
  if (!done.length) throw closed();
}
