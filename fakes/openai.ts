// A small OpenAI-compatible model server for tests, demos and benchmarks: `/v1/chat/completions`,
// streamed (SSE, with a final usage chunk) or not. Never used by production code.
//
// The model name picks the behaviour, so a test sets it on the agent (`custom/<name>`):
//   echo (default)   replies "Echo: <last user message>"
//   fail-400         400 with an error that quotes part of the caller's key, as real providers do
//   fail-503         503 every time
//   flaky            503 the first time it sees a message, then answers like echo
//   slow-<ms>        waits <ms> before answering like echo
//   hang             never answers (the caller's timeout must fire)
//   redirect         302 to another address (the caller must not follow it)
// Any model, called with a key containing "revoked": 401 as a provider refuses a bad key.
//   long-<chars>     answers with <chars> characters of text
//   writer           calls the `write` tool (notes/from-agent.md = the user's message, or `write <path>: <text>`
//                    names the file), then says "Saved."
//   steps-<n>-<ms>   a turn of n tool calls (`read` AGENTS.md), each answered after <ms>, then echo
//   stall-once-<n>-<ms>  like steps the first time it sees a message, like echo after that
//   drip-<ms>        streams the echo reply one word every <ms>
//   no-usage         like echo, but never reports usage (as some OpenAI-compatible servers do not)
// `GET /__requests` lists what it received (auth header, model, messages, start/end times, and when
// a caller hung up before the answer ended); `POST /__reset` forgets them. In-process, `onRequest`
// is told of each request as it arrives (tests time faults with it).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { listen, read, send } from "./listen.ts";

export interface RecordedRequest {
  model: string;
  /** Names of the tools the caller offered (OpenClaw offers its agent tools). */
  tools: string[];
  authorization: string | null;
  stream: boolean;
  messages: { role: string; content: string }[];
  startedAt: number;
  endedAt: number | null;
  /** When the caller closed the connection before the answer was complete (an aborted call). */
  abortedAt: number | null;
  status: number;
  /** The usage the answer reported (null when it reported none): what metering must add up to. */
  usage: { prompt_tokens: number; completion_tokens: number } | null;
  /** The request's headers (authorization among them). */
  headers: Record<string, string>;
  /** The body's fields other than messages and tools (user, metadata, …). */
  extra: Record<string, unknown>;
}

export interface FakeModel {
  url: string;
  requests: RecordedRequest[];
  /** Told how far each request has got: arrived ("start"), first token streamed, answer complete ("end"). */
  onRequest?: (rec: RecordedRequest, phase: "start" | "first-token" | "end") => void;
  close(): Promise<void>;
}

const tokens = (text: string) => Math.max(1, Math.ceil(text.length / 4));
/** The person's own words: OpenClaw wraps them in an envelope (`[<time>] <words>`, then a `Runtime: …` block). */
const userWords = (content: string) => content.replace(/^\[[^\]]*\] /, "").replace(/\n\nRuntime: [\s\S]*$/, "");
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function readJson(req: IncomingMessage): Promise<any> {
  return JSON.parse((await read(req)) || "{}");
}

export async function startFakeModel(port = 0): Promise<FakeModel> {
  const requests: RecordedRequest[] = [];
  const seen = new Set<string>();
  const fake: Omit<FakeModel, "url" | "close"> = { requests };

  async function completions(req: IncomingMessage, res: ServerResponse) {
    const body = await readJson(req);
    const model = String(body.model ?? "echo");
    const messages = (body.messages ?? []) as { role: string; content: string }[];
    const last = userWords([...messages].reverse().find((m) => m.role === "user")?.content ?? "");
    const tools = ((body.tools ?? []) as { function?: { name?: string } }[]).map((t) => t.function?.name ?? "");
    const { messages: _m, tools: _t, ...extra } = body as Record<string, unknown>;
    const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)]));
    const rec: RecordedRequest = {
      model,
      tools,
      authorization: req.headers.authorization ?? null,
      stream: !!body.stream,
      messages,
      startedAt: Date.now(),
      endedAt: null,
      abortedAt: null,
      status: 200,
      usage: null,
      headers,
      extra,
    };
    requests.push(rec);
    res.once("close", () => {
      if (rec.endedAt === null) rec.abortedAt = Date.now();
    });
    fake.onRequest?.(rec, "start");
    const done = (status: number, usage: RecordedRequest["usage"] = null) => {
      rec.status = status;
      rec.usage = usage;
      rec.endedAt = Date.now();
      fake.onRequest?.(rec, "end");
    };
    // Tool results since the user's message: how far into a multi-step turn this call is.
    const stepsDone = messages.length - 1 - messages.findLastIndex((m) => m.role === "user");
    const toolCall = (name: string, args: object) => ({
      id: `call_${requests.length}`,
      type: "function",
      function: { name, arguments: JSON.stringify(args) },
    });

    if ((req.headers.authorization ?? "").includes("revoked")) {
      done(401);
      return send(res, 401, {
        error: {
          message: "Incorrect API key provided. You can find your API key at the dashboard.",
          type: "invalid_request_error",
          code: "invalid_api_key",
        },
      });
    }
    if (model === "fail-400") {
      const key = (req.headers.authorization ?? "").replace(/^Bearer /, "");
      done(400);
      return send(res, 400, {
        error: {
          message: `Incorrect API key provided: ${key.slice(0, 6)}…${key.slice(-4)} (full: ${key}). You can find your API key at the dashboard.`,
          type: "invalid_request_error",
        },
      });
    }
    if (model === "fail-503" || (model === "flaky" && !seen.has(last))) {
      seen.add(last);
      done(503);
      return send(res, 503, { error: { message: "The model is overloaded. Please try again later." } });
    }
    if (model === "hang") return; // the caller gives up; the socket is closed with the server
    if (model === "redirect") {
      done(302);
      res.writeHead(302, { location: "http://169.254.169.254/latest/meta-data/" });
      return res.end();
    }
    const steps = model.match(/^(steps|stall-once)-(\d+)-(\d+)$/);
    const stalling = steps && (steps[1] === "steps" || !seen.has(last) || stepsDone > 0);
    if (steps && stalling && stepsDone < 2 * Number(steps[2])) {
      seen.add(last);
      await sleep(Number(steps[3]));
      if (res.destroyed) return;
      return sendToolCall(res, body, model, toolCall("read", { path: "AGENTS.md" }), done);
    }
    const write = last.match(/^write (\S+): (.*)$/s);
    if (model === "writer" && messages.at(-1)?.role !== "tool") {
      return sendToolCall(
        res,
        body,
        model,
        toolCall("write", write ? { path: write[1], content: write[2] } : { path: "notes/from-agent.md", content: last }),
        done,
      );
    }
    const slow = model.match(/^slow-(\d+)$/);
    if (slow) await sleep(Number(slow[1]));
    const drip = model.match(/^drip-(\d+)$/);
    const long = model.match(/^long-(\d+)$/);
    const text = long
      ? "All work and no play makes a lobster a dull claw. ".repeat(Math.ceil(Number(long[1]) / 50)).slice(0, Number(long[1]))
      : model === "writer"
        ? "Saved."
        : `Echo: ${last}`;
    const prompt = tokens(messages.map((m) => m.content).join("\n"));
    const usage = { prompt_tokens: prompt, completion_tokens: tokens(text), total_tokens: prompt + tokens(text) };
    const reportsUsage = model !== "no-usage";

    if (!body.stream) {
      done(200, reportsUsage ? usage : null);
      return send(res, 200, {
        id: `chatcmpl-${requests.length}`,
        object: "chat.completion",
        created: Math.floor(Date.now() / 1000),
        model,
        choices: [{ index: 0, message: { role: "assistant", content: text }, finish_reason: "stop" }],
        ...(reportsUsage && { usage }),
      });
    }
    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive" });
    const id = `chatcmpl-${requests.length}`;
    const chunk = (delta: object, extra: object = {}) =>
      res.write(
        `data: ${JSON.stringify({ id, object: "chat.completion.chunk", created: Math.floor(Date.now() / 1000), model, choices: [{ index: 0, delta, finish_reason: null }], ...extra })}\n\n`,
      );
    chunk({ role: "assistant", content: "" });
    for (const [i, piece] of (text.match(/\S+\s*/g) ?? [text]).entries()) {
      if (drip && i > 0) await sleep(Number(drip[1]));
      if (res.destroyed) return;
      chunk({ content: piece });
      if (i === 0) fake.onRequest?.(rec, "first-token");
    }
    res.write(
      `data: ${JSON.stringify({ id, object: "chat.completion.chunk", model, choices: [{ index: 0, delta: {}, finish_reason: "stop" }] })}\n\n`,
    );
    const sendsUsage = reportsUsage && !!body.stream_options?.include_usage;
    if (sendsUsage) res.write(`data: ${JSON.stringify({ id, object: "chat.completion.chunk", model, choices: [], usage })}\n\n`);
    res.end("data: [DONE]\n\n");
    done(200, sendsUsage ? usage : null);
  }

  const server: Server = createServer((req, res) => {
    const path = (req.url ?? "").split("?")[0];
    if (req.method === "POST" && path === "/v1/chat/completions")
      return void completions(req, res).catch((e) => send(res, 500, { error: { message: String(e) } }));
    if (req.method === "GET" && path === "/v1/models")
      return send(res, 200, {
        object: "list",
        data: ["echo", "flaky", "fail-400", "fail-503", "hang"].map((id) => ({ id, object: "model" })),
      });
    if (req.method === "GET" && path === "/__requests") return send(res, 200, requests);
    if (req.method === "POST" && path === "/__reset") {
      requests.length = 0;
      seen.clear();
      return send(res, 200, { ok: true });
    }
    send(res, 404, { error: { message: "not found" } });
  });
  const { url, close } = await listen(server, port);
  return Object.assign(fake, { url, close });
}

/** A tool call answer, streamed or not (with the usage chunk when asked for). */
function sendToolCall(
  res: ServerResponse,
  body: any,
  model: string,
  call: object,
  done: (status: number, usage: RecordedRequest["usage"]) => void,
) {
  const usage = { prompt_tokens: 10, completion_tokens: 10, total_tokens: 20 };
  if (!body.stream) {
    done(200, usage);
    return send(res, 200, {
      id: "t",
      object: "chat.completion",
      model,
      choices: [{ index: 0, message: { role: "assistant", content: null, tool_calls: [call] }, finish_reason: "tool_calls" }],
      usage,
    });
  }
  res.writeHead(200, { "content-type": "text/event-stream" });
  res.write(
    `data: ${JSON.stringify({ id: "t", object: "chat.completion.chunk", model, choices: [{ index: 0, delta: { role: "assistant", content: null, tool_calls: [{ index: 0, ...call }] }, finish_reason: null }] })}\n\n`,
  );
  res.write(
    `data: ${JSON.stringify({ id: "t", object: "chat.completion.chunk", model, choices: [{ index: 0, delta: {}, finish_reason: "tool_calls" }] })}\n\n`,
  );
  const sendsUsage = !!body.stream_options?.include_usage;
  if (sendsUsage) res.write(`data: ${JSON.stringify({ id: "t", object: "chat.completion.chunk", model, choices: [], usage })}\n\n`);
  res.end("data: [DONE]\n\n");
  done(200, sendsUsage ? usage : null);
}

// `node fakes/openai.ts [port]`: run it on its own, e.g. to try the product by hand.
if (import.meta.url === `file://${process.argv[1]}`) {
  const fake = await startFakeModel(Number(process.argv[2] ?? 18999));
  console.log(
    `Fake OpenAI-compatible model at ${fake.url}/v1 (models: echo, no-usage, writer, flaky, slow-<ms>, drip-<ms>, steps-<n>-<ms>, long-<n>, fail-400, fail-503, hang)`,
  );
}
