import { initTRPC, isTrackedEnvelope, tracked, type TrackedEnvelope, TRPCError } from "@trpc/server";
import { z, ZodError } from "zod";
import { type Access, accessRefusal, TENANT_HEADER, type InputIssue, type TenantRole } from "@autoclaw/shared";
import { authenticateApiKey } from "../domain/api-keys";
import { DomainError } from "../domain/errors";
import { type AuditClient, clientOf } from "../domain/audit";
import { allows, auditByOf, type Principal } from "../domain/principals";
import { listTenantsOfUser, membershipRole } from "../domain/tenants";
import type { Services } from "../services";

// ── 1. Context ──────────────────────────────────────────────────────────────────────────────────────
// Who is calling: a signed-in user (better-auth session cookie) or an integrator (tenant API key).

export interface Context {
  /** The isolate's services (the composition root builds them once; procedures never import it). */
  svc: Services;
  req: Request;
  principal: Principal | null;
  /** Where the request came from, for the audit log. */
  client: AuditClient;
  /** A subscription's team (an EventSource cannot send headers, so the client sends it as a connection param). */
  tenantParam?: string;
}

/**
 * A session cookie travels with any same-site request, so a change (POST) not made with an API key
 * must come from AutoClaw's own origin, as JSON (which a plain form cannot send). Checked before
 * anything is read or run; undefined when the request may go on.
 */
export function crossSiteRefusal(req: Request, appUrl: string): Response | undefined {
  if (req.method !== "POST" || /^Bearer\s/i.test(req.headers.get("authorization") ?? "")) return undefined;
  const trusted = req.headers.get("origin") === new URL(appUrl).origin;
  const json = (req.headers.get("content-type") ?? "").split(";")[0]!.trim() === "application/json";
  if (trusted && json) return undefined;
  return Response.json(
    { error: { message: "Changes must come from AutoClaw's own pages (or use an API key)", code: "FORBIDDEN" } },
    { status: 403 },
  );
}

export async function createContext(
  svc: Services,
  req: Request,
  connectionParams?: Record<string, string | undefined> | null,
): Promise<Context> {
  const tenantParam = connectionParams?.[TENANT_HEADER];
  const client = clientOf(req);
  const bearer = req.headers
    .get("authorization")
    ?.match(/^Bearer\s+(.+)$/i)?.[1]
    ?.trim();
  if (bearer) {
    const key = await authenticateApiKey(svc.db, bearer);
    // A presented but bad key is an error, never a silent fall-back to the cookie.
    if (!key) throw new TRPCError({ code: "UNAUTHORIZED", message: "Invalid or revoked API key" });
    return { svc, req, client, tenantParam, principal: { kind: "apiKey", ...key } };
  }
  const session = await svc.auth().api.getSession({ headers: req.headers });
  const principal: Principal | null = session
    ? {
        kind: "user",
        userId: session.user.id,
        email: session.user.email,
        name: session.user.name,
        emailVerified: session.user.emailVerified,
      }
    : null;
  return { svc, req, client, tenantParam, principal };
}
// ── 2. Initialisation ───────────────────────────────────────────────────────────────────────────────
// Errors: zod issues become `data.issues` (path + message); stacks and internal messages never leave.

/**
 * Who may call a procedure, declared by the builder it is made with: anyone, a signed-in person, any
 * authenticated caller, or a team caller with an action of the access matrix. The access suite reads it.
 */
export type ProcedureMeta = { caller: "anyone" | "person" | "authenticated" } | { caller: "team"; access: Access };

const t = initTRPC
  .context<Context>()
  .meta<ProcedureMeta>()
  .create({
    isDev: false,
    // Subscriptions (SSE): a ping keeps proxies from closing a quiet stream; the client reconnects
    // (resuming from the last tracked id) when even pings stop.
    sse: { ping: { enabled: true, intervalMs: 10_000 }, client: { reconnectAfterInactivityMs: 25_000 } },
    errorFormatter({ shape, error }) {
      const issues: InputIssue[] | undefined =
        error.code === "BAD_REQUEST" && error.cause instanceof ZodError
          ? error.cause.issues.map((i) => ({ path: i.path.map((p) => (typeof p === "symbol" ? String(p) : p)), message: i.message }))
          : undefined;
      const internal = error.code === "INTERNAL_SERVER_ERROR";
      return {
        message: internal ? "Something went wrong on our side. Please try again." : issues ? "Invalid input" : shape.message,
        code: shape.code,
        data: { code: shape.data.code, httpStatus: shape.data.httpStatus, path: shape.data.path, ...(issues && { issues }) },
      };
    },
  });

export const router = t.router;

/** Turns the domain's refusals into tRPC errors of the same meaning. */
const domainErrors = t.middleware(async ({ next }) => {
  const result = await next();
  if (!result.ok && result.error.cause instanceof DomainError) {
    const cause = result.error.cause;
    throw new TRPCError({ code: cause.code, message: cause.message, cause });
  }
  return result;
});

// ── 3. Procedure builders ───────────────────────────────────────────────────────────────────────────

export const publicProcedure = t.procedure.use(domainErrors).meta({ caller: "anyone" });

/** A signed-in person (not an API key): creating teams belongs to people. */
export const userProcedure = publicProcedure.meta({ caller: "person" }).use(({ ctx, next }) => {
  if (ctx.principal?.kind !== "user") throw new TRPCError({ code: "UNAUTHORIZED", message: "Sign in first" });
  return next({ ctx: { ...ctx, user: ctx.principal, by: auditByOf(ctx.principal, ctx.client) } });
});

/** A signed-in person or an API key. */
export const authedProcedure = publicProcedure.meta({ caller: "authenticated" }).use(({ ctx, next }) => {
  if (!ctx.principal) throw new TRPCError({ code: "UNAUTHORIZED", message: "Sign in or send an API key" });
  return next({ ctx: { ...ctx, principal: ctx.principal, by: auditByOf(ctx.principal, ctx.client) } });
});

/**
 * A team procedure for one kind of action in the access matrix (shared/access.ts). The team comes
 * from the API key, or from `x-tenant-id` checked against the caller's memberships (a user with
 * exactly one team may omit it); not a member → NOT_FOUND. Then a person needs the role the action
 * names, an API key the scope (some actions no key may do); anything else is FORBIDDEN. (One
 * middleware for both: every team call passes through it.)
 */
export const accessProcedure = (access: Access) =>
  authedProcedure.meta({ caller: "team", access }).use(async ({ ctx, next }) => {
    const p = ctx.principal;
    const requested = (ctx.req.headers.get(TENANT_HEADER) ?? ctx.tenantParam)?.trim() || undefined;
    let tenantId: string;
    let role: TenantRole;
    if (p.kind === "apiKey") {
      if (requested && requested !== p.tenantId) throw new TRPCError({ code: "NOT_FOUND", message: "Team not found" });
      tenantId = p.tenantId;
      role = "admin";
    } else if (requested) {
      const r = await membershipRole(ctx.svc.db, requested, p.userId);
      if (!r) throw new TRPCError({ code: "NOT_FOUND", message: "Team not found" });
      tenantId = requested;
      role = r;
    } else {
      const mine = await listTenantsOfUser(ctx.svc.db, p.userId);
      if (mine.length === 0) throw new TRPCError({ code: "NOT_FOUND", message: "You are not in a team yet: create one first" });
      if (mine.length > 1)
        throw new TRPCError({ code: "BAD_REQUEST", message: `You are in several teams: choose one with the ${TENANT_HEADER} header` });
      tenantId = mine[0]!.id;
      role = mine[0]!.role;
    }
    if (!allows(p, role, access)) throw new TRPCError({ code: "FORBIDDEN", message: accessRefusal(access, p.kind === "apiKey") });
    return next({ ctx: { ...ctx, principal: p, tenant: { id: tenantId, role } } });
  });

/**
 * A subscription's output: each event checked against its shared schema and sent with its id (the
 * event's `seq`), which the client hands back as `lastEventId` when it reconnects.
 */
export function trackedEvents<T extends { seq: number }>(event: z.ZodType<T>) {
  return z
    .custom<AsyncIterable<T>>((v) => !!v && typeof v === "object" && Symbol.asyncIterator in v)
    .transform(async function* (events): AsyncGenerator<TrackedEnvelope<T>> {
      for await (const ev of events) {
        const checked = await event.parseAsync(isTrackedEnvelope(ev) ? ev[1] : ev);
        yield tracked(String(checked.seq), checked);
      }
    });
}
