// Joining a team by invitation (replacing tenants.addMember, which told anyone whether an address had
// an account and let a pre-registered address take a seat meant for its owner): invitations to an
// email, accepted only by the verified owner of that email; mail through the one sender, read back
// from the local outbox. Also leaving, roles, and the team's last owner.
import { env, SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { INVITATION_DAYS, MAX_PENDING_INVITATIONS } from "@autoclaw/shared";
import { createDb } from "../src/db/client";
import { invite } from "../src/domain/invitations";
import { NO_CLIENT } from "../src/domain/audit";
import {
  authPost,
  client,
  expectTrpcError,
  joinTeam,
  mailTo,
  ORIGIN,
  signUp,
  signUpWithTeam,
  testSettings,
  unique,
  verifyEmail,
} from "./helpers";

const inviteMails = (email: string) => mailTo(email).then((all) => all.filter((m) => m.subject.includes("invited you")));

describe("invitations", () => {
  it("answer the same whether or not the address has an account, and mail the invitee a link to the dashboard", async () => {
    const { api, team } = await signUpWithTeam("inv-same");
    const existing = await signUp("inv-has-account");
    const stranger = `${unique("inv-no-account")}@example.com`;
    const a = await api.tenants.invite.mutate({ email: existing.email.toUpperCase() });
    const b = await api.tenants.invite.mutate({ email: stranger, role: "admin" });
    const shape = (x: typeof a) => ({ ...x, id: "·", email: "·", role: "·", createdAt: "·", expiresAt: "·" });
    expect(shape(a)).toEqual(shape(b));
    expect(a).toMatchObject({ email: existing.email, role: "member", invitedBy: "Test inv-same", emailSent: true });
    expect(Date.parse(a.expiresAt) - Date.parse(a.createdAt)).toBe(INVITATION_DAYS * 24 * 3_600_000);

    const [mail] = await inviteMails(stranger);
    expect(mail!.subject).toBe(`Test inv-same invited you to Team inv-same on AutoClaw`);
    expect(mail!.text).toContain("as an admin");
    expect(mail!.links).toEqual([`${ORIGIN}/invitations`]);
    expect((await api.tenants.invitations.query()).map((i) => i.email).sort()).toEqual([existing.email, stranger].sort());
    // Nobody joined yet.
    expect((await api.tenants.current.query()).members).toHaveLength(1);
    expect(team.id).toMatch(/^tn_/);
  });

  it("are accepted only with a verified email: a pre-registered address cannot take the seat", async () => {
    const { api, team } = await signUpWithTeam("inv-verify");
    const invitee = await signUp("inv-invitee");
    const inv = await api.tenants.invite.mutate({ email: invitee.email, role: "admin" });
    const asInvitee = client({ cookie: invitee.cookie });

    // Unverified (as anyone who merely signed up with the address is): sees nothing, can accept nothing.
    expect(await asInvitee.invitations.mine.query()).toEqual({ emailVerified: false, invitations: [] });
    const refused = await expectTrpcError(asInvitee.invitations.accept.mutate({ id: inv.id }), "FORBIDDEN");
    expect(refused.message).toMatch(/Verify your email first/);
    await expectTrpcError(asInvitee.invitations.decline.mutate({ id: inv.id }), "FORBIDDEN");
    expect(await asInvitee.tenants.list.query()).toEqual([]);

    // The link mailed on sign-up verifies the address; now the invitation shows and can be accepted, once.
    const verified = await verifyEmail(invitee);
    expect(verified.status).toBe(302);
    const mine = await asInvitee.invitations.mine.query();
    expect(mine).toEqual({
      emailVerified: true,
      invitations: [
        {
          id: inv.id,
          tenantId: team.id,
          teamName: "Team inv-verify",
          role: "admin",
          invitedBy: "Test inv-verify",
          expiresAt: inv.expiresAt,
        },
      ],
    });
    expect(await asInvitee.invitations.accept.mutate({ id: inv.id })).toEqual({ id: team.id, name: "Team inv-verify", role: "admin" });
    expect(await asInvitee.tenants.list.query()).toEqual([{ id: team.id, name: "Team inv-verify", role: "admin" }]);
    await expectTrpcError(asInvitee.invitations.accept.mutate({ id: inv.id }), "NOT_FOUND");
    expect(await api.tenants.invitations.query()).toEqual([]);
    await expectTrpcError(api.tenants.invite.mutate({ email: invitee.email }), "CONFLICT");
  });

  it("belong to their address: another verified person cannot accept, decline or see one", async () => {
    const { api } = await signUpWithTeam("inv-owner-only");
    const meant = await signUp("inv-meant");
    const other = await signUp("inv-other");
    await verifyEmail(other);
    const inv = await api.tenants.invite.mutate({ email: meant.email });
    const asOther = client({ cookie: other.cookie });
    expect((await asOther.invitations.mine.query()).invitations).toEqual([]);
    await expectTrpcError(asOther.invitations.accept.mutate({ id: inv.id }), "NOT_FOUND");
    await expectTrpcError(asOther.invitations.decline.mutate({ id: inv.id }), "NOT_FOUND");
    expect(await asOther.tenants.list.query()).toEqual([]);
    expect(await api.tenants.invitations.query()).toHaveLength(1);
  });

  it("can be declined, revoked by an admin, and expire after seven days", async () => {
    const { api, team } = await signUpWithTeam("inv-lifecycle");
    const [d, r, e] = [await signUp("inv-decliner"), await signUp("inv-revoked"), await signUp("inv-expired")];
    for (const u of [d, r, e]) await verifyEmail(u);
    const [invD, invR, invE] = [
      await api.tenants.invite.mutate({ email: d.email }),
      await api.tenants.invite.mutate({ email: r.email }),
      await api.tenants.invite.mutate({ email: e.email }),
    ];
    await client({ cookie: d.cookie }).invitations.decline.mutate({ id: invD.id });
    await api.tenants.revokeInvitation.mutate({ id: invR.id });
    await expectTrpcError(api.tenants.revokeInvitation.mutate({ id: invR.id }), "NOT_FOUND");
    await env.DB.prepare("update invitations set expires_at = ? where id = ?")
      .bind(Date.now() - 1000, invE.id)
      .run();

    for (const [u, inv] of [
      [d, invD],
      [r, invR],
      [e, invE],
    ] as const) {
      const asU = client({ cookie: u.cookie });
      expect((await asU.invitations.mine.query()).invitations).toEqual([]);
      const closed = await expectTrpcError(asU.invitations.accept.mutate({ id: inv.id }), "NOT_FOUND");
      expect(closed.message).toMatch(/no longer open/);
    }
    expect(await api.tenants.invitations.query()).toEqual([]);
    expect((await api.tenants.current.query()).members).toHaveLength(1);
    // Another team cannot revoke ours.
    const other = await signUpWithTeam("inv-other-team");
    const ours = await api.tenants.invite.mutate({ email: `${unique("inv-target")}@example.com` });
    await expectTrpcError(other.api.tenants.revokeInvitation.mutate({ id: ours.id }), "NOT_FOUND");
    expect(await api.tenants.invitations.query()).toHaveLength(1);
    expect(team.id).not.toBe(other.team.id);
  });

  it("inviting an address again refreshes its one open invitation and sends the mail again", async () => {
    const { api } = await signUpWithTeam("inv-again");
    const email = `${unique("inv-twice")}@example.com`;
    const first = await api.tenants.invite.mutate({ email });
    const second = await api.tenants.invite.mutate({ email, role: "admin" });
    expect(second.id).toBe(first.id);
    expect(second.role).toBe("admin");
    expect(await api.tenants.invitations.query()).toHaveLength(1);
    expect(await mailTo(email, (m) => m.length >= 2)).toHaveLength(2);
  });

  it(`a team has at most ${MAX_PENDING_INVITATIONS} open invitations, counted in the insert`, async () => {
    const { api, team } = await signUpWithTeam("inv-cap");
    const now = Date.now();
    const stmts = Array.from({ length: MAX_PENDING_INVITATIONS - 1 }, (_, i) =>
      env.DB.prepare(
        "insert into invitations (id, tenant_id, email, role, status, created_at, expires_at) values (?, ?, ?, 'member', 'pending', ?, ?)",
      ).bind(`inv_cap_${team.id}_${i}`, team.id, `cap-${i}@example.com`, now, now + 86_400_000),
    );
    await env.DB.batch(stmts);
    // Three at once for the last place: exactly one gets it.
    const results = await Promise.allSettled(
      [1, 2, 3].map((n) => api.tenants.invite.mutate({ email: `${unique(`cap-race-${n}`)}@example.com` })),
    );
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    expect((await api.tenants.invitations.query()).length).toBe(MAX_PENDING_INVITATIONS);
    const refused = await expectTrpcError(api.tenants.invite.mutate({ email: `${unique("cap-late")}@example.com` }), "TOO_MANY_REQUESTS");
    expect(refused.message).toMatch(/50 open invitations/);
    // Re-inviting an address already invited still works at the cap.
    expect((await api.tenants.invite.mutate({ email: "cap-0@example.com" })).email).toBe("cap-0@example.com");
  });

  it("stand when the mail cannot be sent, and say so", async () => {
    const { team, user } = await signUpWithTeam("inv-mail-down");
    const db = createDb(env.DB);
    const row = await env.DB.prepare("select id from user where email = ?").bind(user.email).first<{ id: string }>();
    const failing = { send: async () => Promise.reject(new Error("the mail API answered 503")) };
    const sent = await invite(
      { db, settings: testSettings(), mail: failing },
      team.id,
      { userId: row!.id, name: user.name },
      { email: "down@example.com", role: "member" },
      { actor: { kind: "user", id: row!.id, label: user.email }, client: NO_CLIENT },
    );
    expect(sent.emailSent).toBe(false);
    const list = await client({ cookie: user.cookie, tenantId: team.id }).tenants.invitations.query();
    expect(list.map((i) => i.email)).toEqual(["down@example.com"]);
  });

  it("the mail puts people's names in as text, never markup", async () => {
    const { api } = await signUpWithTeam("inv-escape");
    await api.tenants.invite.mutate({ email: "esc@example.com" });
    const evil = await signUp("inv-evil");
    const team = await client({ cookie: evil.cookie }).tenants.create.mutate({ name: '<img src=x onerror="alert(1)">\nBcc: x' });
    const email = `${unique("esc-target")}@example.com`;
    await client({ cookie: evil.cookie, tenantId: team.id }).tenants.invite.mutate({ email });
    const [mail] = await inviteMails(email);
    expect(mail!.html).not.toContain("<img");
    expect(mail!.html).toContain("&lt;img src=x onerror=&quot;alert(1)&quot;&gt;");
    expect(mail!.subject).not.toMatch(/[\r\n]/);
  });
});

describe("email verification", () => {
  it("is mailed on sign-up; the link verifies the address and lands its follower signed in", async () => {
    const u = await signUp("verify-me");
    const [mail] = await mailTo(u.email);
    expect(mail!.subject).toBe("Verify your email for AutoClaw");
    expect(mail!.links[0]).toMatch(new RegExp(`^${ORIGIN}/api/auth/verify-email\\?token=[\\w.-]+&callbackURL=%2F`));

    // Followed in another browser (no cookie): verified, signed in, sent to the dashboard.
    const res = await SELF.fetch(mail!.links[0]!, { redirect: "manual" });
    expect(res.status).toBe(302);
    expect(res.headers.get("location")).toBe("/");
    const cookie = res.headers
      .getSetCookie()
      .map((c) => c.split(";")[0])
      .join("; ");
    expect(cookie).toContain("session_token");
    const session = await (await SELF.fetch(`${ORIGIN}/api/auth/get-session`, { headers: { cookie } })).json<{
      user: { email: string; emailVerified: boolean };
    }>();
    expect(session.user).toMatchObject({ email: u.email, emailVerified: true });
  });

  it("can be sent again by the signed-in person (rate-limited), and a bad link verifies nothing", async () => {
    const u = await signUp("verify-resend");
    const res = await authPost("/send-verification-email", { email: u.email, callbackURL: "/invitations" }, { cookie: u.cookie });
    expect(res.status).toBe(200);
    const mails = await mailTo(u.email, (m) => m.length >= 2);
    expect(mails).toHaveLength(2);
    expect(mails[1]!.links[0]).toContain("callbackURL=%2Finvitations");

    const bad = await SELF.fetch(`${ORIGIN}/api/auth/verify-email?token=not-a-token&callbackURL=%2F`, { redirect: "manual" });
    expect(bad.headers.get("location")).toBe("/?error=INVALID_TOKEN");
    expect((await client({ cookie: u.cookie }).invitations.mine.query()).emailVerified).toBe(false);
  });
});

describe("members, roles and leaving", () => {
  it("a member leaves; the team's only owner cannot until another member is an owner", async () => {
    const { api, user: ownerUser } = await signUpWithTeam("leave-team");
    const [mate, second] = [await signUp("leave-mate"), await signUp("leave-second")];
    await joinTeam(api, mate);
    await joinTeam(api, second, "admin");
    const asMate = client({ cookie: mate.cookie });
    expect(await asMate.tenants.leave.mutate()).toEqual({ left: true });
    expect(await asMate.tenants.list.query()).toEqual([]);

    const onlyOwner = await expectTrpcError(api.tenants.leave.mutate(), "FORBIDDEN");
    expect(onlyOwner.message).toMatch(/only owner/);
    const secondId = (await api.tenants.current.query()).members.find((m) => m.email === second.email)!.userId;
    // An admin cannot make owners; an owner can.
    const asSecond = client({ cookie: second.cookie });
    await expectTrpcError(asSecond.tenants.setRole.mutate({ userId: secondId, role: "owner" }), "FORBIDDEN");
    await api.tenants.setRole.mutate({ userId: secondId, role: "owner" });
    expect(await api.tenants.leave.mutate()).toEqual({ left: true });
    expect((await asSecond.tenants.current.query()).members.map((m) => [m.email, m.role])).toEqual([[second.email, "owner"]]);
    expect(ownerUser.email).not.toBe(second.email);
  });

  it("two owners demoting each other at once leave the team with one owner", async () => {
    const { api } = await signUpWithTeam("two-owners");
    const other = await signUp("two-owners-b");
    await joinTeam(api, other, "admin");
    const members = (await api.tenants.current.query()).members;
    const [a, b] = [members.find((m) => m.role === "owner")!, members.find((m) => m.email === other.email)!];
    await api.tenants.setRole.mutate({ userId: b.userId, role: "owner" });
    const asB = client({ cookie: other.cookie });
    const results = await Promise.allSettled([
      api.tenants.setRole.mutate({ userId: b.userId, role: "member" }),
      asB.tenants.setRole.mutate({ userId: a.userId, role: "member" }),
      api.tenants.setRole.mutate({ userId: a.userId, role: "member" }),
    ]);
    expect(results.some((r) => r.status === "rejected")).toBe(true);
    const after = (await client({ cookie: other.cookie }).tenants.list.query()).length
      ? await asB.tenants.current.query()
      : await api.tenants.current.query();
    expect(after.members.filter((m) => m.role === "owner")).toHaveLength(1);
  });
});
