// The runtime host's HTTP API (POST /tenants/:id/start, /turn, /files, …) as both sides type it: the
// Worker's host driver sends these, runtime/src/host.ts answers them. The sandbox driver speaks the
// same shapes to a container. Imported by Node directly (type stripping): plain TS, `.ts` imports.
import type { RuntimeState } from "@autoclaw/shared";
import type { TenantOpenclawConfig } from "./openclaw-config.ts";
import type { WorkspaceListing } from "./workspace.ts";

export interface DriverStatus {
  state: RuntimeState;
  lastError: string | null;
  /** The start generation whose secrets the running gateway has (null when none runs). */
  generation: number | null;
  /** SHA-256 of the model token the running gateway presents to the proxy, when the driver knows it. */
  tokenHash?: string | null;
}

export interface StartSpec {
  /** D1's generation for this start: its model token and gateway token belong to it. */
  generation: number;
  config: TenantOpenclawConfig;
  /** Variables the config's `${ENV}` references resolve from inside the runtime (the model token). */
  env: Record<string, string>;
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface TurnRequest {
  agentId: string;
  /** OpenClaw's session (`agent:<agentId>:<scope>`): the conversation the turn continues. */
  sessionKey: string;
  channel: string;
  input: string;
  /** The turn is stopped in the gateway (and fails with RuntimeError `timeout`) after this long. */
  deadlineMs: number;
  /** Ask the gateway to stream (SSE); the host then answers in NDJSON lines (TurnStreamLine). */
  stream?: boolean;
}

/**
 * The host's streamed answer to a turn, one JSON object per line: the reply's text as the gateway
 * streams it, then the result (its body the whole completion, as a non-streamed turn answers).
 */
export type TurnStreamLine = { delta: string } | { result: TurnResult } | HostError;

/** The gateway request for one turn (both drivers): only the new message; the session key carries the rest. */
export function gatewayTurnRequest(turn: TurnRequest, token: string, signal: AbortSignal): RequestInit {
  return {
    method: "POST",
    headers: {
      authorization: `Bearer ${token}`,
      "content-type": "application/json",
      "x-openclaw-session-key": turn.sessionKey,
      "x-openclaw-message-channel": turn.channel,
    },
    body: JSON.stringify({
      model: `openclaw/${turn.agentId}`,
      messages: [{ role: "user", content: turn.input }],
      ...(turn.stream && { stream: true, stream_options: { include_usage: true } }),
    }),
    signal,
  };
}

/** Reads lines as they arrive (SSE or NDJSON), the last partial line held until it completes. */
export async function* readLines(body: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let tail = "";
  for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
    tail += decoder.decode(chunk, { stream: true });
    const lines = tail.split("\n");
    tail = lines.pop() ?? "";
    for (const line of lines) yield line.replace(/\r$/, "");
  }
  if (tail) yield tail;
}

/**
 * A gateway's streamed chat completion (SSE), each piece of text handed to `onDelta` as it comes;
 * resolves to the completion as a non-streamed answer would have it, so callers read one shape.
 */
export async function readCompletionStream(body: ReadableStream<Uint8Array>, onDelta: (text: string) => void): Promise<string> {
  let content = "";
  let usage: unknown;
  for await (const line of readLines(body)) {
    if (!line.startsWith("data:")) continue;
    const data = line.slice(5).trim();
    if (data === "[DONE]") break;
    let chunk: { choices?: { delta?: { content?: string } }[]; usage?: unknown };
    try {
      chunk = JSON.parse(data);
    } catch {
      continue;
    }
    const piece = chunk.choices?.[0]?.delta?.content;
    if (piece) {
      content += piece;
      onDelta(piece);
    }
    if (chunk.usage) usage = chunk.usage;
  }
  return JSON.stringify({
    object: "chat.completion",
    choices: [{ index: 0, message: { role: "assistant", content } }],
    ...(usage ? { usage } : {}),
  });
}

export interface TurnResult {
  /** The gateway's HTTP status and body (OpenAI chat completion, or its error). */
  status: number;
  body: string;
  /** Time inside the gateway (the agent and its model calls). */
  agentMs: number;
  /** The agent's folder as it is after the turn (absent if it could not be listed). */
  listing?: WorkspaceListing;
}

/** Why a runtime operation failed, as far as the caller's next step depends on it. */
export type RuntimeErrorCode =
  /** No gateway runs for the tenant (stopped while idle, host or container restarted). */
  | "not_running"
  /** A turn of the same session is still running. */
  | "busy"
  /** The turn passed its deadline and was stopped. */
  | "timeout"
  /** The host, container or gateway did not answer. */
  | "unreachable"
  /** The runtime host runs as many gateways as it may, and none is idle. */
  | "capacity"
  /** A newer start has already given the gateway newer secrets. */
  | "superseded"
  | "no_workspace"
  | "refused"
  | "failed";

/**
 * In the model proxy's refusal of a runtime's token. OpenClaw passes a provider's refusal on (as a
 * 401 in its error, or as a bare 500): a turn failing with this text comes from a gateway holding
 * other secrets than the platform, never from the team's model provider.
 */
export const RUNTIME_TOKEN_REFUSED = "autoclaw_runtime_token_refused";

/** CLI commands the Worker may run in a tenant's runtime (both drivers); nothing that installs, execs or edits. */
export const ALLOWED_CLI = [
  /^skills list --json( --agent [a-z0-9_-]{1,64})?$/,
  /^skills info [a-z0-9-]{1,64} --json( --agent [a-z0-9_-]{1,64})?$/,
  /^config validate$/,
  // OpenClaw's own read-only diagnostics (the dashboard's "Check runtime").
  /^security audit --json$/,
  /^doctor --lint --json$/,
  /^--version$/,
];

/** The runtime host's answer to `POST /tenants/:id/turn` (errors are `{ error, code }` with their status). */
export type HostTurnAnswer = TurnResult;
export interface HostError {
  error: string;
  code?: RuntimeErrorCode;
}

export const toBase64 = (bytes: Uint8Array) => {
  // In blocks: one String.fromCharCode per byte is slow for a file of megabytes.
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
};
export const fromBase64 = (b64: string) => Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
