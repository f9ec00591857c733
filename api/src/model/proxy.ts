// The model proxy tenant runtimes call (`<worker>/api/model/v1`), OpenAI-compatible. It knows the
// runtime by its per-start token, attaches the tenant's own key (which never enters the runtime),
// forwards through the same upstream resolution as every model call, streams the answer straight
// through, and meters the tokens it sees.
import type { Db } from "../db/client";
import { modelUsage } from "../db/schema";
import type { Settings } from "../config";
import { DomainError } from "../domain/errors";
import { tenantForModelToken } from "../domain/runtime";
import { redact } from "./client";
import { resolveUpstream } from "./upstream";

const json = (body: unknown, status: number) => new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });
const openaiError = (message: string, status: number, type = "invalid_request_error") => json({ error: { message, type } }, status);

export async function handleModelProxy(req: Request, path: string, db: Db, s: Settings, waitUntil: (p: Promise<unknown>) => void): Promise<Response> {
  const token = req.headers.get("authorization")?.match(/^Bearer\s+(.+)$/i)?.[1]?.trim() ?? "";
  const tenantId = await tenantForModelToken(db, token);
  if (!tenantId) return openaiError("Invalid or expired runtime token", 401, "authentication_error");

  if (req.method === "GET" && path === "/models") return json({ object: "list", data: [] }, 200);
  if (req.method !== "POST" || path !== "/chat/completions") return openaiError("Not found", 404);

  let body: Record<string, unknown>;
  try {
    body = (await req.json()) as Record<string, unknown>;
  } catch {
    return openaiError("Body must be JSON", 400);
  }
  const model = typeof body.model === "string" ? body.model : "";
  let upstream;
  try {
    upstream = await resolveUpstream(db, s, tenantId, model);
  } catch (e) {
    if (e instanceof DomainError) return openaiError(e.message, 400);
    if (e instanceof Error && e.name === "ZodError") return openaiError(`Unknown model "${model}"`, 400);
    throw e;
  }
  const stream = body.stream === true;
  const forwarded = { ...body, model: upstream.model, ...(stream && { stream_options: { ...(body.stream_options as object), include_usage: true } }) };
  let res: Response;
  try {
    res = await fetch(upstream.url, {
      method: "POST",
      headers: { "content-type": "application/json", ...upstream.headers },
      body: JSON.stringify(forwarded),
      signal: AbortSignal.timeout(s.MODEL_TIMEOUT_MS),
    });
  } catch (e) {
    return openaiError(`Model provider unreachable: ${redact(e instanceof Error ? e.message : String(e), upstream.secret)}`, 502, "api_error");
  }
  const record = (status: number, inputTokens = 0, outputTokens = 0) =>
    db.insert(modelUsage).values({ tenantId, model, status, inputTokens, outputTokens, at: new Date() });

  if (!res.ok) {
    const text = redact(await res.text(), upstream.secret);
    waitUntil(record(res.status));
    return new Response(text, { status: res.status, headers: { "content-type": res.headers.get("content-type") ?? "application/json" } });
  }
  if (!stream || !res.body) {
    const data = (await res.json()) as { usage?: { prompt_tokens?: number; completion_tokens?: number } };
    waitUntil(record(res.status, data.usage?.prompt_tokens ?? 0, data.usage?.completion_tokens ?? 0));
    return json(data, res.status);
  }
  // Stream through untouched, watching the SSE lines for the final usage chunk.
  let tail = "";
  let usage = { in: 0, out: 0 };
  const decoder = new TextDecoder();
  const meter = new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      controller.enqueue(chunk);
      tail += decoder.decode(chunk, { stream: true });
      const lines = tail.split("\n");
      tail = lines.pop() ?? "";
      for (const line of lines) {
        if (!line.startsWith("data:") || !line.includes('"usage"')) continue;
        try {
          const u = JSON.parse(line.slice(5)).usage;
          if (u) usage = { in: u.prompt_tokens ?? 0, out: u.completion_tokens ?? 0 };
        } catch {
          /* a partial or non-JSON line */
        }
      }
    },
    flush() {
      waitUntil(record(200, usage.in, usage.out));
    },
  });
  return new Response(res.body.pipeThrough(meter), { status: 200, headers: { "content-type": "text/event-stream", "cache-control": "no-cache" } });
}
