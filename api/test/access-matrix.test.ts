// The access matrix, enumerated from the router itself (not a hand list): every procedure × every
// kind of caller → allowed, or the exact refusal the matrix (shared/access.ts) says. A new procedure
// is covered the moment it is added; one that forgot to declare who may call it fails here.
import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { ACCESS, type Access, type ApiKeyScope, accessRefusal, roleAllows, scopesAllow, type TenantRole } from "@autoclaw/shared";
import type { ProcedureMeta } from "../src/trpc/init";
import { appRouter } from "../src/trpc/router";
import { client, headersFor, joinTeam, ORIGIN, signUp, signUpWithTeam, type Caller } from "./helpers";

type Who =
  | { kind: "nobody" }
  | { kind: "outsider" }
  | { kind: "person"; role: TenantRole }
  | { kind: "key"; scopes: ApiKeyScope[] }
  | { kind: "revokedKey" };

/**
 * Who should be able to call each procedure, written here on purpose a second time (the routers are
 * the first): a procedure whose declaration drifts from this, or a new one missing here, fails.
 */
const INTENDED: Record<string, ProcedureMeta["caller"] | Access> = {
  "tenants.create": "person",
  "tenants.list": "authenticated",
  "tenants.current": "read",
  "tenants.invite": "manageTeam",
  "tenants.invitations": "manageTeam",
  "tenants.revokeInvitation": "manageTeam",
  "tenants.setRole": "manageTeam",
  "tenants.removeMember": "manageTeam",
  "tenants.leave": "leave",
  "invitations.mine": "person",
  "invitations.accept": "person",
  "invitations.decline": "person",
  "apiKeys.create": "manageTeam",
  "apiKeys.list": "read",
  "apiKeys.revoke": "manageTeam",
  "providerKeys.set": "manageTeam",
  "providerKeys.list": "read",
  "providerKeys.remove": "manageTeam",
  "templates.list": "anyone",
  "agents.create": "manageAgents",
  "agents.list": "read",
  "agents.get": "read",
  "agents.update": "manageAgents",
  "agents.remove": "manageAgents",
  "agents.files": "read",
  "agents.fileVersions": "read",
  "runs.create": "run",
  "runs.get": "read",
  "runs.list": "read",
  "runs.cancel": "run",
  "runs.events": "read",
  "conversations.create": "run",
  "conversations.list": "read",
  "conversations.get": "read",
  "conversations.rename": "run",
  "conversations.remove": "run",
  "conversations.send": "run",
  "conversations.settings": "read",
  "conversations.setVisibility": "manageTeam",
  "usage.summary": "read",
  "usage.budget": "read",
  "usage.setBudget": "manageTeam",
  "usage.prices": "read",
  "usage.setPrice": "manageTeam",
  "usage.removePrice": "manageTeam",
  "runtime.status": "read",
  "runtime.start": "manageTeam",
  "runtime.stop": "manageTeam",
  "runtime.restart": "manageTeam",
  "runtime.logs": "manageTeam",
  "runtime.check": "manageTeam",
  "skills.list": "read",
  "skills.refresh": "manageTeam",
  "skills.updatePolicy": "manageTeam",
  "skills.updateAgent": "manageTeam",
  "skills.packs": "read",
  "skills.applyPack": "manageTeam",
  "skills.diagnose": "read",
  "skills.configure": "manageTeam",
  "skills.history": "manageTeam",
  "telegram.status": "read",
  "telegram.createPairingCode": "pairSelf",
  "telegram.pairings": "read",
  "telegram.unpair": "manageTeam",
  "telegram.setDefaultAgent": "manageTeam",
  "billing.plans": "anyone",
  "billing.status": "read",
  "billing.createCheckout": "own",
  "billing.portal": "own",
  "audit.list": "audit",
  "audit.export": "audit",
  "schedules.create": "manageAgents",
  "schedules.list": "read",
  "schedules.update": "manageAgents",
  "schedules.remove": "manageAgents",
  "schedules.runNow": "manageAgents",
  "schedules.subscribe": "pairSelf",
  "triggers.create": "manageAgents",
  "triggers.list": "read",
  "triggers.revoke": "manageAgents",
};
const asMeta = (intended: ProcedureMeta["caller"] | Access): ProcedureMeta =>
  intended in ACCESS ? { caller: "team", access: intended as Access } : { caller: intended as Exclude<ProcedureMeta["caller"], "team"> };

const REFUSALS = ["UNAUTHORIZED", "FORBIDDEN", "NOT_FOUND"] as const;
type Outcome = "allowed" | (typeof REFUSALS)[number];

/** The matrix's own refusals: any other FORBIDDEN is a procedure's rule, reached by an allowed caller. */
const ACCESS_REFUSALS = new Set(Object.keys(ACCESS).flatMap((a) => [false, true].map((byKey) => accessRefusal(a as Access, byKey))));
const outcomeOf = (error: { message?: string; data?: { code?: string } } | undefined): Outcome => {
  const code = error?.data?.code;
  if (code === "FORBIDDEN" && !ACCESS_REFUSALS.has(error?.message ?? "")) return "allowed";
  return REFUSALS.includes(code as (typeof REFUSALS)[number]) ? (code as Outcome) : "allowed";
};

/** What the matrix says this caller gets for a procedure declared with this meta. */
function expected(meta: ProcedureMeta, who: Who): Outcome {
  if (who.kind === "revokedKey") return "UNAUTHORIZED"; // a bad key is refused before anything
  if (meta.caller !== "team") {
    if (meta.caller === "anyone") return "allowed";
    if (who.kind === "nobody") return "UNAUTHORIZED";
    return meta.caller === "person" && who.kind === "key" ? "UNAUTHORIZED" : "allowed";
  }
  if (who.kind === "nobody") return "UNAUTHORIZED";
  if (who.kind === "outsider") return "NOT_FOUND"; // another team's member asking for our team
  if (who.kind === "key") return scopesAllow(who.scopes, meta.access) ? "allowed" : "FORBIDDEN";
  return roleAllows(who.role, meta.access) ? "allowed" : "FORBIDDEN";
}

describe("the access matrix, procedure by procedure", () => {
  it("every procedure answers every kind of caller as the matrix says", async () => {
    const owner = await signUpWithTeam("matrix-owner");
    const addPerson = async (role: "admin" | "member") => {
      const u = await signUp(`matrix-${role}`);
      await joinTeam(owner.api, u, role);
      return u.cookie;
    };
    const [adminCookie, memberCookie] = [await addPerson("admin"), await addPerson("member")];
    const outsider = await signUpWithTeam("matrix-outsider");
    const key = async (scopes: ApiKeyScope[]) => (await owner.api.apiKeys.create.mutate({ name: scopes.join("+"), scopes })).key;
    const revoked = await owner.api.apiKeys.create.mutate({ name: "revoked", scopes: ["read"] });
    await owner.api.apiKeys.revoke.mutate({ id: revoked.id });

    const team = owner.team.id;
    const callers: [Who, Caller][] = [
      [{ kind: "nobody" }, {}],
      [{ kind: "outsider" }, { cookie: outsider.user.cookie, tenantId: team }],
      [
        { kind: "person", role: "member" },
        { cookie: memberCookie, tenantId: team },
      ],
      [
        { kind: "person", role: "admin" },
        { cookie: adminCookie, tenantId: team },
      ],
      [
        { kind: "person", role: "owner" },
        { cookie: owner.user.cookie, tenantId: team },
      ],
      [{ kind: "key", scopes: ["read"] }, { apiKey: await key(["read"]) }],
      [{ kind: "key", scopes: ["runs"] }, { apiKey: await key(["runs"]) }],
      [{ kind: "key", scopes: ["agents"] }, { apiKey: await key(["agents"]) }],
      [{ kind: "revokedKey" }, { apiKey: revoked.key }],
    ];

    // Leaving changes who is in the team, so it goes last.
    const procedures = Object.entries(
      appRouter._def.procedures as unknown as Record<string, { _def: { type: string; meta?: ProcedureMeta } }>,
    ).sort(([a], [b]) => Number(a === "tenants.leave") - Number(b === "tenants.leave"));
    const unexpected: string[] = [];
    for (const [path, proc] of procedures) {
      const intended = INTENDED[path];
      if (!intended) {
        unexpected.push(`${path}: not in this suite's table of who may call what`);
        continue;
      }
      const meta = asMeta(intended);
      if (JSON.stringify(proc._def.meta) !== JSON.stringify(meta))
        unexpected.push(`${path}: declared ${JSON.stringify(proc._def.meta)}, intended ${JSON.stringify(meta)}`);
      for (const [who, caller] of callers) {
        // An input no procedure accepts: an allowed caller gets BAD_REQUEST (or the procedure's own
        // precondition), never a change; a refused one gets the refusal before the input is read.
        const error =
          proc._def.type === "subscription" ? await firstSseError(path, caller) : await batchError(path, proc._def.type, caller);
        const got = outcomeOf(error);
        const want = expected(meta, who);
        // NOT_FOUND is also how an allowed caller hears about an id that is not there: only a refusal that
        // was not expected, or an expected refusal that did not come, is wrong.
        const ok = got === want || (want === "allowed" && got === "NOT_FOUND" && who.kind !== "outsider");
        if (!ok) unexpected.push(`${path} as ${JSON.stringify(who)}: expected ${want}, got ${got} (${error?.data?.code ?? "no error"})`);
      }
    }
    console.log(`access matrix: ${procedures.length} procedures × ${callers.length} callers, ${unexpected.length} unexpected`);
    expect(Object.keys(INTENDED).filter((p) => !procedures.some(([path]) => path === p))).toEqual([]);
    expect(unexpected).toEqual([]);
    // The probes changed nothing but what leaving does: the member and the admin left, and the owner,
    // the only one, could not.
    expect((await owner.api.tenants.current.query()).members.map((m) => m.role)).toEqual(["owner"]);
    expect(await client({ cookie: outsider.user.cookie }).tenants.list.query()).toHaveLength(1);
  }, 60_000);
});

/** A subscription (SSE) probed as the access suite probes the rest: its first event is the refusal, if any. */
async function firstSseError(path: string, caller: Parameters<typeof headersFor>[0]) {
  const res = await SELF.fetch(`${ORIGIN}/trpc/${path}?input=${encodeURIComponent(JSON.stringify({ __access_probe: true }))}`, {
    headers: headersFor(caller),
  });
  if (!res.headers.get("content-type")?.includes("text/event-stream")) {
    const body = (await res.json()) as { error?: { message?: string; data?: { code?: string } } };
    return body.error;
  }
  // The refusal is a `serialized-error` event; an allowed caller gets `connected` and then (for a bad input) the same kind of event.
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  const deadline = Date.now() + 3000;
  while (!/event: serialized-error\ndata: .*\n/.test(text) && Date.now() < deadline) {
    const { value, done } = await reader.read();
    if (done) break;
    text += value;
  }
  await reader.cancel();
  const data = text.match(/event: serialized-error\ndata: (.*)\n/)?.[1];
  return data ? (JSON.parse(data) as { message?: string; data?: { code?: string } }) : undefined;
}

/** A query or mutation probed in a batch of one: the procedure's refusal, if any. */
async function batchError(path: string, type: string, caller: Parameters<typeof headersFor>[0]) {
  // An input no procedure accepts: an allowed caller gets BAD_REQUEST (or the procedure's own
  // precondition), never a change; a refused one gets the refusal before the input is read.
  const input = JSON.stringify({ "0": { __access_probe: true } });
  const url = type === "query" ? `${ORIGIN}/trpc/${path}?batch=1&input=${encodeURIComponent(input)}` : `${ORIGIN}/trpc/${path}?batch=1`;
  const res = await SELF.fetch(url, {
    method: type === "query" ? "GET" : "POST",
    headers: { ...headersFor(caller), "content-type": "application/json" },
    ...(type !== "query" && { body: input }),
  });
  const [answer] = (await res.json()) as [{ error?: { message?: string; data?: { code?: string } } }];
  return answer.error;
}
