import { once } from "node:events";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { TRPCClientError } from "@trpc/client";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  AutoclawError,
  BadRequestError,
  ForbiddenError,
  NotFoundError,
  RateLimitedError,
  RunTimeoutError,
  createAutoclawClient,
} from "../src/index";

// One answer per call, decided by the test: a tRPC result, a tRPC error with its HTTP status, or a dropped socket.
type Answer =
  | { data: unknown }
  | { error: { code: string; status: number; message?: string; issues?: unknown[] }; headers?: Record<string, string> }
  | "drop";
type Handler = (input: unknown, call: number) => Answer;

let server: Server;
let url: string;
let handlers: Record<string, Handler>;
let calls: { path: string; input: unknown; authorization: string | undefined }[];

const CODES: Record<string, number> = { BAD_REQUEST: -32600, NOT_FOUND: -32004, FORBIDDEN: -32003, TOO_MANY_REQUESTS: -32029 };

beforeAll(async () => {
  server = createServer(async (req, res) => {
    const u = new URL(req.url ?? "/", "http://x");
    if (u.pathname.startsWith("/api/artifacts/")) {
      res.end(`artifact at ${u.pathname}${u.search}`);
      return;
    }
    const paths = u.pathname.replace(/^\/trpc\//, "").split(",");
    let raw = u.searchParams.get("input") ?? "";
    if (req.method === "POST") {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      raw = Buffer.concat(chunks).toString("utf8");
    }
    const inputs = (raw ? JSON.parse(raw) : {}) as Record<string, unknown>;
    const answers = paths.map((path, i) => {
      const input = inputs[String(i)];
      calls.push({ path, input, authorization: req.headers.authorization });
      const handler = handlers[path];
      if (!handler) return { error: { code: "NOT_FOUND", status: 404, message: `No procedure ${path}` } } as Answer;
      return handler(input, calls.filter((c) => c.path === path).length);
    });
    if (answers.includes("drop")) {
      req.socket.destroy();
      return;
    }
    let status = 200;
    const body = answers.map((a, i) => {
      if (a === "drop") throw new Error("unreachable");
      if ("data" in a) return { result: { data: a.data } };
      status = a.error.status;
      for (const [name, value] of Object.entries(a.headers ?? {})) res.setHeader(name, value);
      const { code, issues, message = code } = a.error;
      return {
        error: {
          message,
          code: CODES[code] ?? -32603,
          data: { code, httpStatus: a.error.status, path: paths[i], ...(issues && { issues }) },
        },
      };
    });
    res.writeHead(status, { "content-type": "application/json" });
    res.end(JSON.stringify(body));
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => server.close());
beforeEach(() => {
  handlers = {};
  calls = [];
});

const client = (retry?: Parameters<typeof createAutoclawClient>[0]["retry"]) =>
  createAutoclawClient({ url: `${url}/`, apiKey: "ak_test_secret", retry: retry ?? { baseDelayMs: 10, maxDelayMs: 40 } });
const limited = (retryAfter?: string): Answer => ({
  error: { code: "TOO_MANY_REQUESTS", status: 429 },
  ...(retryAfter && { headers: { "retry-after": retryAfter } }),
});
const run = (status: string) => ({ id: "run_1", status, artifacts: [], output: status === "succeeded" ? "done" : null });

describe("retries", () => {
  it("repeats a query after a 429, waiting the server's Retry-After, and sends the key as a bearer token", async () => {
    handlers["tenants.list"] = (_, n) => (n === 1 ? limited("1") : { data: [{ id: "t1", name: "Acme", role: "owner" }] });
    const started = Date.now();
    await expect(client().tenants.list.query()).resolves.toEqual([{ id: "t1", name: "Acme", role: "owner" }]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(calls.map((c) => c.authorization)).toEqual(["Bearer ak_test_secret", "Bearer ak_test_secret"]);
  });

  it("repeats a query whose connection dropped", async () => {
    handlers["tenants.list"] = (_, n) => (n < 3 ? "drop" : { data: [] });
    await expect(client().tenants.list.query()).resolves.toEqual([]);
    expect(calls).toHaveLength(3);
  });

  it("never repeats a runs.create without an idempotency key (it could queue the run twice)", async () => {
    handlers["runs.create"] = () => limited("7");
    const err = await client()
      .runs.create.mutate({ agentId: "a1", input: "hi" })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RateLimitedError);
    expect((err as RateLimitedError).retryAfter).toBe(7);
    expect((err as RateLimitedError).httpStatus).toBe(429);
    expect(calls).toHaveLength(1);
  });

  it("never repeats a mutation that is not idempotent, even on a dropped connection", async () => {
    handlers["agents.create"] = () => "drop";
    const err = await client()
      .agents.create.mutate({ name: "x", templateId: "writer", model: "custom/writer" } as never)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AutoclawError);
    expect((err as AutoclawError).code).toBe("NETWORK_ERROR");
    expect(calls).toHaveLength(1);
  });

  it("repeats a keyed runs.create, and gives up after the configured attempts", async () => {
    handlers["runs.create"] = (_, n) => (n < 3 ? limited() : { data: { id: "run_1", status: "queued" } });
    await expect(client().runs.create.mutate({ agentId: "a1", input: "hi", idempotencyKey: "k1" })).resolves.toEqual({
      id: "run_1",
      status: "queued",
    });
    expect(calls.map((c) => (c.input as { idempotencyKey: string }).idempotencyKey)).toEqual(["k1", "k1", "k1"]);

    calls = [];
    handlers["tenants.list"] = () => limited();
    await expect(client({ attempts: 2, baseDelayMs: 1 }).tenants.list.query()).rejects.toBeInstanceOf(RateLimitedError);
    expect(calls).toHaveLength(2);
  });

  it("can be turned off", async () => {
    handlers["tenants.list"] = () => limited();
    await expect(client(false).tenants.list.query()).rejects.toBeInstanceOf(RateLimitedError);
    expect(calls).toHaveLength(1);
  });
});

describe("typed errors", () => {
  it("gives the zod issues of a bad input, and stays a TRPCClientError", async () => {
    const issues = [{ path: ["input"], message: "Too small: expected string to have >=1 characters" }];
    handlers["runs.create"] = () => ({ error: { code: "BAD_REQUEST", status: 400, message: "Invalid input", issues } });
    const err = await client()
      .runs.create.mutate({ agentId: "a1", input: "" })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BadRequestError);
    expect(err).toBeInstanceOf(AutoclawError);
    expect(err).toBeInstanceOf(TRPCClientError);
    expect((err as BadRequestError).issues).toEqual(issues);
    expect((err as BadRequestError).code).toBe("BAD_REQUEST");
    expect((err as Error).message).toBe("Invalid input");
  });

  it("names not found and forbidden", async () => {
    handlers["runs.get"] = () => ({ error: { code: "NOT_FOUND", status: 404, message: "Run not found" } });
    handlers["apiKeys.list"] = () => ({ error: { code: "FORBIDDEN", status: 403, message: "This key lacks the admin scope" } });
    const c = client();
    const notFound = await c.runs.get.query({ id: "run_x" }).catch((e: unknown) => e);
    expect(notFound).toBeInstanceOf(NotFoundError);
    expect((notFound as NotFoundError).message).toBe("Run not found");
    const forbidden = await c.apiKeys.list.query().catch((e: unknown) => e);
    expect(forbidden).toBeInstanceOf(ForbiddenError);
    expect(calls.filter((call) => call.path === "runs.get")).toHaveLength(1);
  });
});

describe("helpers", () => {
  it("createAndWait keys the create, then polls until the run has finished", async () => {
    handlers["runs.create"] = () => ({ data: { id: "run_1", status: "queued" } });
    handlers["runs.get"] = (_, n) => ({ data: run(n < 3 ? "running" : "succeeded") });
    const done = await client().runs.createAndWait({ agentId: "a1", input: "hi" });
    expect(done.status).toBe("succeeded");
    expect(typeof (calls[0]!.input as { idempotencyKey?: unknown }).idempotencyKey).toBe("string");
    expect(calls.filter((c) => c.path === "runs.get")).toHaveLength(3);
  });

  it("createAndWait asks the create to hold for the run: a run that ended within it takes that one request", async () => {
    handlers["runs.create"] = (input) => ({ data: { id: "run_1", status: "succeeded", run: run("succeeded"), input } });
    const done = await client().runs.createAndWait({ agentId: "a1", input: "hi" });
    expect(done).toMatchObject({ id: "run_1", status: "succeeded", output: "done" });
    expect(calls.map((c) => c.path)).toEqual(["runs.create"]);
    expect(calls[0]!.input).toMatchObject({ waitMs: 30_000 });
    // A shorter overall timeout holds the create no longer than that; a run still going is then followed.
    calls = [];
    handlers["runs.create"] = () => ({ data: { id: "run_1", status: "running", run: run("running") } });
    handlers["runs.get"] = () => ({ data: run("succeeded") });
    expect((await client().runs.createAndWait({ agentId: "a1", input: "hi" }, { timeoutMs: 5_000 })).status).toBe("succeeded");
    expect(calls.map((c) => c.path)).toEqual(["runs.create", "runs.get"]);
    expect(calls[0]!.input).toMatchObject({ waitMs: 5_000 });
  });

  it("createAndWait gives up with a RunTimeoutError naming the run, and an abort stops it", async () => {
    handlers["runs.create"] = () => ({ data: { id: "run_1", status: "queued" } });
    handlers["runs.get"] = () => ({ data: run("running") });
    const err = await client()
      .runs.createAndWait({ agentId: "a1", input: "hi" }, { timeoutMs: 600 })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RunTimeoutError);
    expect((err as RunTimeoutError).runId).toBe("run_1");

    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error("user left")), 300);
    await expect(client().runs.wait("run_1", { signal: controller.signal })).rejects.toThrow("user left");
  });

  it("iterate walks every page", async () => {
    const pages: Record<string, { items: { id: string }[]; nextCursor: string | null }> = {
      first: { items: [{ id: "r1" }, { id: "r2" }], nextCursor: "c2" },
      c2: { items: [{ id: "r3" }], nextCursor: "c3" },
      c3: { items: [], nextCursor: null },
    };
    handlers["runs.list"] = (input) => ({ data: pages[(input as { cursor?: string }).cursor ?? "first"] });
    const seen: string[] = [];
    for await (const r of client().runs.iterate({ agentId: "a1" })) seen.push(r.id);
    expect(seen).toEqual(["r1", "r2", "r3"]);
    expect(calls.map((c) => c.input)).toEqual([{ agentId: "a1" }, { agentId: "a1", cursor: "c2" }, { agentId: "a1", cursor: "c3" }]);
  });

  it("fetchArtifact reads the signed URL relative to the API", async () => {
    const response = await client().runs.fetchArtifact({
      name: "notes/a.md",
      url: "/api/artifacts/run_1/notes/a.md?exp=1&sig=abc",
    } as never);
    expect(await response.text()).toBe("artifact at /api/artifacts/run_1/notes/a.md?exp=1&sig=abc");
  });
});
