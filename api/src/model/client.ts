// The one place that talks to model providers: OpenAI-compatible chat completions, streamed or not,
// with a timeout, usage extraction and errors sorted into "the provider refused" (fail the run now)
// and "try again later" (5xx, 429, timeouts, network).
import { estimateTokens } from "../domain/metering";
import type { Upstream } from "./upstream";

export interface ChatMessage {
  role: "system" | "user" | "assistant";
  content: string;
}

export interface Usage {
  inputTokens: number;
  outputTokens: number;
}

export interface ChatResult {
  text: string;
  usage: Usage;
  /** The provider reported no usage: `usage` was counted from the text. */
  estimated: boolean;
}

/** Usage counted from the text, for a provider that reports none. */
const counted = (messages: ChatMessage[], text: string): Usage => ({
  inputTokens: estimateTokens(JSON.stringify(messages)),
  outputTokens: estimateTokens(text),
});

export type ModelErrorKind = "provider" | "transient";

export class ModelError extends Error {
  readonly kind: ModelErrorKind;
  readonly status: number | undefined;
  constructor(kind: ModelErrorKind, message: string, status?: number) {
    super(message);
    this.name = "ModelError";
    this.kind = kind;
    this.status = status;
  }
}

/**
 * Removes the key from text that may be shown or logged. Providers echo keys partially
 * ("sk-abc…wxyz"), so any run of 5+ key characters that occurs in the key goes, as does anything
 * shaped like a key. At most the last 4 characters survive, which the product shows anyway.
 */
export function redact(text: string, secret: string): string {
  const out = text.replace(/[A-Za-z0-9_\-.]{5,}/g, (token) => {
    if (!secret) return token;
    for (let i = 0; i + 5 <= token.length; i++) if (secret.includes(token.slice(i, i + 5))) return "[redacted]";
    return token;
  });
  return out.replace(/\b(sk|ak|key|pk|rk)[-_][A-Za-z0-9_\-*.]{8,}/g, "[redacted]").slice(0, 500);
}

function usageOf(u: unknown): Usage | undefined {
  if (!u || typeof u !== "object") return undefined;
  const o = u as Record<string, unknown>;
  const inputTokens = Number(o.prompt_tokens ?? o.input_tokens ?? 0);
  const outputTokens = Number(o.completion_tokens ?? o.output_tokens ?? 0);
  return { inputTokens: Number.isFinite(inputTokens) ? inputTokens : 0, outputTokens: Number.isFinite(outputTokens) ? outputTokens : 0 };
}

/** The error message a provider put in its answer (OpenAI-style JSON or text). */
export async function errorText(res: Response): Promise<string> {
  const body = await res.text().catch(() => "");
  try {
    const j = JSON.parse(body) as { error?: { message?: string } | string; message?: string };
    const m = typeof j.error === "string" ? j.error : (j.error?.message ?? j.message);
    if (m) return m;
  } catch {
    /* not JSON */
  }
  return body.slice(0, 300) || res.statusText;
}

export interface ChatOptions {
  messages: ChatMessage[];
  stream?: boolean;
  timeoutMs: number;
  /** Called with each piece of streamed text. */
  onDelta?: (text: string) => void;
  /** Stops the call (a cancelled run); it fails as a transient error. */
  signal?: AbortSignal;
}

export async function chatCompletion(upstream: Upstream, opts: ChatOptions): Promise<ChatResult> {
  const stream = opts.stream ?? true;
  const body = { model: upstream.model, messages: opts.messages, stream, ...(stream && { stream_options: { include_usage: true } }) };
  const signal = AbortSignal.any([AbortSignal.timeout(opts.timeoutMs), ...(opts.signal ? [opts.signal] : [])]);
  let res: Response;
  try {
    res = await fetch(upstream.url, {
      method: "POST",
      // Never followed: a redirect could point a tenant's call (and key) anywhere. A 3xx is an error.
      redirect: "manual",
      headers: { "content-type": "application/json", ...upstream.headers },
      body: JSON.stringify(body),
      signal,
    });
  } catch (e) {
    throw networkError(e, opts.timeoutMs, upstream.secret);
  }
  if (!res.ok) {
    throw upstreamError(res.status, redact(await errorText(res), upstream.secret));
  }
  try {
    let text: string;
    let usage: Usage | undefined;
    if (stream && (res.headers.get("content-type") ?? "").includes("text/event-stream"))
      ({ text, usage } = await readStream(res, opts.onDelta));
    else {
      const j = (await res.json()) as { choices?: { message?: { content?: string } }[]; usage?: unknown };
      text = j.choices?.[0]?.message?.content ?? "";
      usage = usageOf(j.usage);
      opts.onDelta?.(text);
    }
    return { text, usage: usage ?? counted(opts.messages, text), estimated: !usage };
  } catch (e) {
    if (e instanceof ModelError) throw e;
    throw networkError(e, opts.timeoutMs, upstream.secret);
  }
}

/** Statuses worth another try: a timeout, a conflict, a rate limit, the provider's own trouble. */
export const isTransientStatus = (status: number) => status === 408 || status === 409 || status === 429 || status >= 500;

/** A provider's refusal (fail the run now) or trouble (try again), worded the same wherever it is seen. */
export const upstreamError = (status: number, reason: string) =>
  new ModelError(isTransientStatus(status) ? "transient" : "provider", `Model provider answered ${status}: ${reason}`, status);

function networkError(e: unknown, timeoutMs: number, secret: string): ModelError {
  if (e instanceof DOMException && (e.name === "TimeoutError" || e.name === "AbortError")) {
    return new ModelError("transient", `Model provider did not answer within ${Math.round(timeoutMs / 1000)} s`);
  }
  return new ModelError("transient", `Could not reach the model provider: ${redact(e instanceof Error ? e.message : String(e), secret)}`);
}

/** Server-sent events from an OpenAI-compatible stream: text deltas and, last, usage. */
async function readStream(res: Response, onDelta?: (t: string) => void): Promise<{ text: string; usage: Usage | undefined }> {
  // Decoded by hand: a TextDecoderStream piped in front of the reader cost more than the parsing.
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let buf = "";
  let text = "";
  let usage: Usage | undefined;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buf += decoder.decode(value, { stream: true });
    // The deltas that came in one read are one: each costs the live log a write.
    let got = "";
    for (let nl = buf.indexOf("\n"); nl >= 0; nl = buf.indexOf("\n")) {
      const line = buf.slice(0, nl).trim();
      buf = buf.slice(nl + 1);
      if (!line.startsWith("data:")) continue;
      const data = line.slice(5).trim();
      if (data === "[DONE]") continue;
      let chunk: { choices?: { delta?: { content?: string } }[]; usage?: unknown; error?: { message?: string } };
      try {
        chunk = JSON.parse(data);
      } catch {
        continue;
      }
      if (chunk.error) throw new ModelError("transient", `Model stream failed: ${chunk.error.message ?? "unknown error"}`);
      const delta = chunk.choices?.[0]?.delta?.content;
      if (delta) got += delta;
      usage = usageOf(chunk.usage) ?? usage;
    }
    if (got) {
      text += got;
      onDelta?.(got);
    }
  }
  return { text, usage };
}
