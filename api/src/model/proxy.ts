// The model proxy tenant runtimes call (`<worker>/api/model/v1`), OpenAI-compatible. It knows the
// runtime by its per-start token and the agent by its provider's header, attaches the tenant's own
// key (which never enters the runtime), forwards through the same upstream resolution as every model
// call, streams the answer straight through, and meters every call.
//
// What it tells the runtime when a call fails is chosen for OpenClaw: a 401, 402 or 429 would put the
// provider (the proxy itself) into a cooldown of up to a day that outlives the cause (a team fixing
// its key, a provider's rate limit passing). So the runtime only ever hears 400 (refused: retrying
// will not help) or 502 (failed: it may), with no upstream text; the upstream's status and a short
// redacted reason are recorded here, before the answer, for the run to report.
import type { Db } from "../db/client";
import type { Settings } from "../config";
import { DomainError } from "../domain/errors";
import { CALLER_HUNG_UP, estimateTokens, meterModelCall, runningRunOf } from "../domain/metering";
import { tenantForModelToken } from "../domain/runtime";
import { AGENT_HEADER } from "@autoclaw/runtime-protocol";
import { RUNTIME_TOKEN_REFUSED } from "@autoclaw/runtime-protocol";
import { errorText, isTransientStatus, redact } from "./client";
import { resolveUpstream } from "./upstream";

const json = (body: unknown, status: number) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });
const openaiError = (message: string, status: number, type = "invalid_request_error") => json({ error: { message, type } }, status);
/** Worded so that OpenClaw's error classifier sees neither an auth, a billing nor a rate-limit failure. */
const refused = () => openaiError("The model provider refused this call; the run says why (autoclaw_upstream_refused)", 400);
const failed = () =>
  openaiError("The model call failed upstream and may be tried again; the run says why (autoclaw_upstream_failed)", 502, "api_error");

/** A tool call the model asked for: its name and the start of its arguments (what a watcher of the run sees). */
export interface ToolCall {
  name: string;
  summary: string;
}
const SUMMARY_MAX = 120;
const summarise = (args: string) => args.replace(/\s+/g, " ").trim().slice(0, SUMMARY_MAX);

/** Tool calls of a streamed answer, their names and arguments assembled from the chunks' pieces. */
function toolCallCollector() {
  const calls = new Map<number, { name: string; args: string }>();
  return {
    add(chunk: { choices?: { delta?: { tool_calls?: { index?: number; function?: { name?: string; arguments?: string } }[] } }[] }) {
      for (const tc of chunk.choices?.[0]?.delta?.tool_calls ?? []) {
        const c = calls.get(tc.index ?? 0) ?? { name: "", args: "" };
        c.name += tc.function?.name ?? "";
        c.args += tc.function?.arguments ?? "";
        calls.set(tc.index ?? 0, c);
      }
    },
    calls: (): ToolCall[] => [...calls.values()].filter((c) => c.name).map((c) => ({ name: c.name, summary: summarise(c.args) })),
  };
}

export async function handleModelProxy(
  req: Request,
  path: string,
  db: Db,
  s: Settings,
  waitUntil: (p: Promise<unknown>) => void,
  /** Told the tool calls each answer asks for (the agent's run shows them live). */
  onToolCalls?: (tenantId: string, agentId: string, calls: ToolCall[]) => Promise<void>,
): Promise<Response> {
  const token =
    req.headers
      .get("authorization")
      ?.match(/^Bearer\s+(.+)$/i)?.[1]
      ?.trim() ?? "";
  const tenantId = await tenantForModelToken(db, token);
  if (!tenantId) {
    // A runtime's token that is not the current one: the platform heals that (a restart), not OpenClaw.
    if (token.startsWith("rt_"))
      return openaiError(`This runtime's credentials are not current; the platform restarts it (${RUNTIME_TOKEN_REFUSED})`, 400);
    return openaiError("Invalid or expired runtime token", 401, "authentication_error");
  }

  if (req.method === "GET" && path === "/models") return json({ object: "list", data: [] }, 200);
  if (req.method !== "POST" || path !== "/chat/completions") return openaiError("Not found", 404);

  let body: Record<string, unknown>;
  try {
    body = (await req.json()) as Record<string, unknown>;
  } catch {
    return openaiError("Body must be JSON", 400);
  }
  const model = typeof body.model === "string" ? body.model.slice(0, 200) : "";
  const agent = req.headers.get(AGENT_HEADER);
  const agentId = agent && /^[a-z0-9_-]{1,64}$/.test(agent) ? agent : null;
  const t0 = Date.now();
  // Looked up while the call is under way: the run this call belongs to, for the run's and the budget's metering.
  const runId = agentId ? runningRunOf(db, tenantId, agentId).catch(() => null) : Promise.resolve(null);
  const record = async (status: number, inputTokens = 0, outputTokens = 0, error: string | null = null, estimated = false) =>
    meterModelCall(db, {
      tenantId,
      agentId,
      runId: await runId,
      model,
      status,
      inputTokens,
      outputTokens,
      estimated,
      latencyMs: Date.now() - t0,
      error,
      at: new Date(t0),
    });

  let upstream: Awaited<ReturnType<typeof resolveUpstream>>;
  try {
    upstream = await resolveUpstream(db, s, tenantId, model);
  } catch (e) {
    const reason =
      e instanceof DomainError ? e.message : e instanceof Error && e.name === "ZodError" ? `Unknown model "${model}"` : undefined;
    if (!reason) throw e;
    await record(400, 0, 0, reason);
    return refused();
  }
  const stream = body.stream === true;
  const forwarded = {
    ...body,
    model: upstream.model,
    ...(stream && { stream_options: { ...(body.stream_options as object), include_usage: true } }),
  };
  let res: Response;
  try {
    res = await fetch(upstream.url, {
      method: "POST",
      // Never followed: a redirect could point a tenant's call (and key) anywhere. A 3xx is an error.
      redirect: "manual",
      headers: { "content-type": "application/json", ...upstream.headers },
      body: JSON.stringify(forwarded),
      signal: AbortSignal.timeout(s.MODEL_TIMEOUT_MS),
    });
  } catch (e) {
    const timedOut = e instanceof DOMException && e.name === "TimeoutError";
    await record(
      timedOut ? 504 : 502,
      0,
      0,
      timedOut
        ? `Model provider did not answer within ${Math.round(s.MODEL_TIMEOUT_MS / 1000)} s`
        : `Could not reach the model provider: ${redact(e instanceof Error ? e.message : String(e), upstream.secret)}`,
    );
    return failed();
  }

  if (!res.ok) {
    await record(res.status, 0, 0, redact(await errorText(res), upstream.secret));
    return isTransientStatus(res.status) ? failed() : refused();
  }
  const tell = (calls: ToolCall[]) => {
    if (calls.length && agentId && onToolCalls)
      waitUntil(
        onToolCalls(tenantId, agentId, calls).catch((e) => console.error("model proxy: telling the run about its tools failed:", e)),
      );
  };
  if (!stream || !res.body) {
    const data = (await res.json()) as {
      usage?: { prompt_tokens?: number; completion_tokens?: number };
      choices?: { message?: { content?: string | null; tool_calls?: { function?: { name?: string; arguments?: string } }[] } }[];
    };
    if (data.usage) waitUntil(record(res.status, data.usage.prompt_tokens ?? 0, data.usage.completion_tokens ?? 0));
    else
      waitUntil(
        record(
          res.status,
          estimateTokens(JSON.stringify(body.messages ?? "")),
          estimateTokens(data.choices?.[0]?.message?.content ?? ""),
          null,
          true,
        ),
      );
    tell(
      (data.choices?.[0]?.message?.tool_calls ?? [])
        .filter((c) => c.function?.name)
        .map((c) => ({ name: c.function!.name!, summary: summarise(c.function?.arguments ?? "") })),
    );
    return json(data, res.status);
  }
  // Stream through untouched, watching the SSE lines for tool calls, the text (counted when no usage comes) and
  // the final usage chunk.
  let tail = "";
  let usage: { in: number; out: number } | undefined;
  let textChars = 0;
  const tools = toolCallCollector();
  const decoder = new TextDecoder();
  const watch = (chunk: Uint8Array) => {
    tail += decoder.decode(chunk, { stream: true });
    const lines = tail.split("\n");
    tail = lines.pop() ?? "";
    for (const line of lines) {
      if (!line.startsWith("data:") || !(line.includes('"usage"') || line.includes('"tool_calls"') || line.includes('"content"'))) continue;
      try {
        const chunk = JSON.parse(line.slice(5));
        if (chunk.usage) usage = { in: chunk.usage.prompt_tokens ?? 0, out: chunk.usage.completion_tokens ?? 0 };
        const content = chunk.choices?.[0]?.delta?.content;
        if (typeof content === "string") textChars += content.length;
        tools.add(chunk);
      } catch {
        /* a partial or non-JSON line */
      }
    }
  };
  // A provider that sends no usage chunk (or a caller that hung up before it came) is counted from the text both
  // ways, and the call says so.
  const counted = () => [estimateTokens(JSON.stringify(body.messages ?? "")), Math.ceil(textChars / 4)] as const;
  const upstreamBody = res.body.getReader();
  const metered = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const { value, done } = await upstreamBody.read();
      if (value) {
        controller.enqueue(value);
        watch(value);
      }
      if (!done) return;
      controller.close();
      waitUntil(usage ? record(200, usage.in, usage.out) : record(200, ...counted(), null, true));
      tell(tools.calls());
    },
    // The runtime hung up (its turn was stopped): the provider stops too, and what it had written is still metered.
    cancel(reason) {
      waitUntil(record(CALLER_HUNG_UP, ...counted(), "The caller hung up before the answer ended", true));
      return upstreamBody.cancel(reason);
    },
  });
  return new Response(metered, {
    status: 200,
    headers: { "content-type": "text/event-stream", "cache-control": "no-cache" },
  });
}
