// Test tooling: calls go through the real Worker fetch handler (SELF) as a browser or integrator would.
import { env, SELF } from "cloudflare:test";
import { createTRPCClient, httpBatchLink, httpLink, httpSubscriptionLink, splitLink, TRPCClientError } from "@trpc/client";
import { EventSource } from "eventsource";
import type { RecordedRequest } from "../../fakes/openai";
import { sandboxStandIn } from "../../runtime/test/sandbox-stand-in";
import { parseSettings, type Settings } from "../src/config";
import { createDb } from "../src/db/client";
import { sha256 } from "../src/domain/crypto";
import type { RunDeps } from "../src/domain/run-records";
import type { RuntimeDeps } from "../src/domain/runtime";
import { sandboxDriver } from "../src/drivers/sandbox-driver";
import type { AppRouter } from "../src/trpc/router";

export const ORIGIN = "http://127.0.0.1:5173";
let counter = 0;
/** Unique per call, so tests never collide on emails or rate-limit buckets. */
export const unique = (label: string) => `${label}-${Date.now().toString(36)}-${(counter++).toString(36)}`;

export interface Caller {
  cookie?: string;
  apiKey?: string;
  tenantId?: string;
}

export function headersFor(c: Caller): Record<string, string> {
  const h: Record<string, string> = { origin: ORIGIN };
  if (c.cookie) h.cookie = c.cookie;
  if (c.apiKey) h.authorization = `Bearer ${c.apiKey}`;
  if (c.tenantId) h["x-tenant-id"] = c.tenantId;
  return h;
}

/** A typed tRPC client for the Worker under test; `send` replaces how a request reaches it (e.g. with other bindings). */
export function client(c: Caller = {}, { batch = true, send = (req: Request) => SELF.fetch(req) } = {}) {
  const link = (batch ? httpBatchLink : httpLink)<AppRouter>({
    url: `${ORIGIN}/trpc`,
    headers: () => headersFor(c),
    fetch: (url, init) => send(new Request(url as string, init as RequestInit)),
  });
  // Subscriptions over SSE, as an integrator's client makes them: an EventSource whose requests carry the caller's headers.
  const subscriptions = httpSubscriptionLink<AppRouter, typeof EventSource>({
    url: `${ORIGIN}/trpc`,
    EventSource,
    eventSourceOptions: () => ({
      fetch: (url: string | URL, init?: RequestInit) =>
        send(new Request(url, { ...init, headers: { ...Object.fromEntries(new Headers(init?.headers)), ...headersFor(c) } })),
    }),
  });
  return createTRPCClient<AppRouter>({
    links: [splitLink({ condition: (op) => op.type === "subscription", true: subscriptions, false: link })],
  });
}

export async function authPost(path: string, body: unknown, headers: Record<string, string> = {}) {
  return SELF.fetch(`${ORIGIN}/api/auth${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", origin: ORIGIN, ...headers },
    body: JSON.stringify(body),
  });
}

export function sessionCookie(res: Response): string {
  const cookies = res.headers.getSetCookie().map((c) => c.split(";")[0]!);
  const session = cookies.find((c) => c.includes("session_token"));
  if (!session) throw new Error(`no session cookie in ${res.status} response`);
  return cookies.join("; ");
}

export interface TestUser {
  email: string;
  password: string;
  name: string;
  cookie: string;
}

export async function signUp(label = "user"): Promise<TestUser> {
  const email = `${unique(label)}@example.com`.toLowerCase();
  const password = "correct horse battery staple";
  const name = `Test ${label}`;
  const res = await authPost("/sign-up/email", { name, email, password }, { "cf-connecting-ip": `198.51.100.${counter % 250}` });
  if (res.status !== 200) throw new Error(`sign-up failed: ${res.status} ${await res.text()}`);
  return { email, password, name, cookie: sessionCookie(res) };
}

/** A signed-up user who owns one fresh team. */
export async function signUpWithTeam(label = "owner") {
  const user = await signUp(label);
  const team = await client({ cookie: user.cookie }).tenants.create.mutate({ name: `Team ${label}` });
  return { user, team, api: client({ cookie: user.cookie, tenantId: team.id }) };
}

// ── Mail and invitations ────────────────────────────────────────────────────────────────────────────

export interface SentMail {
  to: string[];
  subject: string;
  text: string;
  html: string;
  links: string[];
}

/** What the local outbox holds for an address (oldest first), waiting briefly for `until` to hold. */
export async function mailTo(email: string, until: (m: SentMail[]) => boolean = (m) => m.length > 0, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const all = (await (await fetch(`${env.MAIL_API_URL}/emails?to=${encodeURIComponent(email)}`)).json()) as SentMail[];
    if (until(all) || Date.now() > deadline) return all;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Follows the verification link mailed on sign-up, as its reader would. */
export async function verifyEmail(u: TestUser): Promise<Response> {
  const mails = await mailTo(u.email, (m) => m.some((x) => x.subject.startsWith("Verify")));
  const link = mails.findLast((m) => m.subject.startsWith("Verify"))?.links[0];
  if (!link) throw new Error(`no verification mail for ${u.email}`);
  return SELF.fetch(link, { redirect: "manual" });
}

/** Brings a person into the team the real way: invited, their email verified, the invitation accepted. */
export async function joinTeam(owner: Api, u: TestUser, role: "admin" | "member" = "member") {
  const inv = await owner.tenants.invite.mutate({ email: u.email, role });
  await verifyEmail(u);
  return client({ cookie: u.cookie }).invitations.accept.mutate({ id: inv.id });
}

/** Raw tRPC call, for asserting on the wire format (status codes, error.data). */
export async function rawCall(path: string, input: unknown, c: Caller = {}, kind: "query" | "mutation" = "mutation") {
  const url = new URL(`${ORIGIN}/trpc/${path}`);
  const init: RequestInit = { headers: { ...headersFor(c), "content-type": "application/json" } };
  if (kind === "query") url.searchParams.set("input", JSON.stringify(input));
  else Object.assign(init, { method: "POST", body: typeof input === "string" ? input : JSON.stringify(input) });
  const res = await SELF.fetch(url.toString(), init);
  return { status: res.status, body: (await res.json()) as any };
}

export async function expectTrpcError(p: Promise<unknown>, code: string): Promise<TRPCClientError<AppRouter>> {
  try {
    await p;
  } catch (e) {
    if (e instanceof TRPCClientError && e.data?.code === code) return e as TRPCClientError<AppRouter>;
    throw new Error(`expected ${code}, got ${e instanceof TRPCClientError ? `${e.data?.code}: ${e.message}` : String(e)}`);
  }
  throw new Error(`expected ${code}, but the call succeeded`);
}

// ── Runs ────────────────────────────────────────────────────────────────────────────────────────────

export type Api = ReturnType<typeof client>;
export const BYOK_KEY = "sk-test-byok-4f9c2a7e1d3b5a6c8e0f";

/** Gives the team a `custom` key pointing at the fake model and an agent using `custom/<model>`. */
export async function agentOnFakeModel(api: Api, model = "echo", opts: { apiKey?: string; name?: string } = {}) {
  const { env } = await import("cloudflare:test");
  await api.providerKeys.set.mutate({ provider: "custom", apiKey: opts.apiKey ?? BYOK_KEY, baseUrl: `${env.FAKE_MODEL_URL}/v1` });
  return api.agents.create.mutate({ templateId: "personal-assistant", name: opts.name ?? `Agent ${model}`, model: `custom/${model}` });
}

/** Polls runs.get until the run reaches one of `statuses` (a final one by default). */
export async function waitForRun(api: Api, id: string, statuses: string[] = ["succeeded", "failed", "canceled"], timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const run = await api.runs.get.query({ id });
    if (statuses.includes(run.status)) return run;
    if (Date.now() > deadline) throw new Error(`run ${id} still ${run.status} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** What the fake model received whose last user message contains `marker`. */
export async function fakeRequests(marker: string): Promise<RecordedRequest[]> {
  const { env } = await import("cloudflare:test");
  const all = (await (await fetch(`${env.FAKE_MODEL_URL}/__requests`)).json()) as RecordedRequest[];
  return all.filter((r) => r.messages.some((m) => m.role === "user" && m.content.includes(marker)));
}

/** The test Worker's settings, with what a test changes. */
export const testSettings = (patch: Partial<Settings> = {}): Settings => ({
  ...parseSettings(env as unknown as Record<string, unknown>),
  ...patch,
});

/**
 * The runtime domain with the production (sandbox) driver, its container the recording stand-in, and
 * the run deps of an executor the test drives itself (the Worker's own consumer runs in direct mode).
 */
export function sandboxRuntime(standIn = sandboxStandIn(), patch: Partial<Settings> = {}) {
  const rt: RuntimeDeps = {
    db: createDb(env.DB),
    settings: testSettings(patch),
    bucket: env.ARTIFACTS,
    driver: sandboxDriver(
      () => standIn.stub,
      async () => "gw-token",
    ),
  };
  const runs: RunDeps = { db: rt.db, settings: rt.settings, queue: env.RUN_QUEUE, bucket: env.ARTIFACTS, runtime: rt };
  return { standIn, rt, runs };
}

/** A team with an agent on the fake model whose runtime holds a model token (what a start writes to D1): the model proxy's caller. */
export async function runtimeWithToken(label: string) {
  const t = await signUpWithTeam(label);
  await agentOnFakeModel(t.api);
  const token = `rt_${unique("token").replace(/[^a-z0-9]/gi, "")}`;
  await env.DB.prepare(
    "insert into tenant_openclaw_runtime (tenant_id, state, version, generation, model_token_hash, updated_at) values (?, 'ready', '2026.9.6', 1, ?, ?)",
  )
    .bind(t.team.id, await sha256(token), Date.now())
    .run();
  return { ...t, token };
}
