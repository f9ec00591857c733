// The local mail outbox: a small server that speaks the mail API AutoClaw sends through (Resend's
// `POST /emails`) and, instead of delivering, writes each message as JSON (`to`, `subject`, `text`,
// `html`, `links`) to a folder. The run command's default ($AUTOCLAW_STATE_DIR/mail/, printing each
// message's subject and link) and the tests' mail. Never used by production code.
//   POST /emails          → { id } (Bearer key required, like the real API; 422 on a malformed message)
//   GET  /emails?to=<a>   → (tests) the messages sent to that address, oldest first
import { mkdirSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import path from "node:path";
import { listen, read, send } from "./listen.ts";

export interface OutboxMessage {
  id: string;
  from: string;
  to: string[];
  subject: string;
  text: string;
  html: string;
  links: string[];
  sentAt: string;
}

export interface FakeMailOptions {
  port?: number;
  /** Where each message is written as <sentAt>-<id>.json (none: kept in memory only). */
  dir?: string;
  /** Told of each message as it arrives (the run command prints subject and link). */
  onMessage?: (m: OutboxMessage) => void;
}

/** The links a reader would follow: every http(s) URL in the text, in order, once. */
const linksIn = (text: string) => [...new Set(text.match(/https?:\/\/[^\s"'<>]+/g) ?? [])];

export async function startFakeMail(opts: FakeMailOptions = {}) {
  const messages: OutboxMessage[] = [];
  if (opts.dir) mkdirSync(opts.dir, { recursive: true });
  let n = 0;
  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://outbox");
    if (req.method === "GET" && url.pathname === "/emails") {
      const to = url.searchParams.get("to")?.toLowerCase();
      return send(
        res,
        200,
        messages.filter((m) => !to || m.to.includes(to)),
      );
    }
    if (req.method !== "POST" || url.pathname !== "/emails") return send(res, 404, { name: "not_found", message: "Not found" });
    if (!/^Bearer\s+\S+/.test(req.headers.authorization ?? ""))
      return send(res, 401, { name: "missing_api_key", message: "Missing API key" });
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(await read(req));
    } catch {
      return send(res, 422, { name: "validation_error", message: "Body is not JSON" });
    }
    const to = (Array.isArray(body.to) ? body.to : [body.to]).filter((t): t is string => typeof t === "string");
    if (!to.length || typeof body.from !== "string" || typeof body.subject !== "string" || (!body.text && !body.html))
      return send(res, 422, { name: "validation_error", message: "from, to, subject and text or html are required" });
    const text = typeof body.text === "string" ? body.text : "";
    const m: OutboxMessage = {
      id: `msg_${Date.now().toString(36)}${(n++).toString(36)}`,
      from: body.from,
      to: to.map((t) => t.toLowerCase()),
      subject: body.subject,
      text,
      html: typeof body.html === "string" ? body.html : "",
      links: linksIn(text || String(body.html)),
      sentAt: new Date().toISOString(),
    };
    messages.push(m);
    if (opts.dir) writeFileSync(path.join(opts.dir, `${m.sentAt.replace(/[:.]/g, "-")}-${m.id}.json`), `${JSON.stringify(m, null, 2)}\n`);
    opts.onMessage?.(m);
    send(res, 200, { id: m.id });
  });
  const l = await listen(server, opts.port);
  return { ...l, messages };
}

// `node fakes/mail.ts [dir]`: run it on its own (with MAIL_API_URL pointing at it and any MAIL_API_KEY).
if (import.meta.url === `file://${process.argv[1]}`) {
  const dir = process.argv[2] ?? path.resolve(".autoclaw", "mail");
  const mail = await startFakeMail({
    port: Number(process.env.PORT ?? 8793),
    dir,
    onMessage: (m) => console.log(`✉ ${m.to.join(", ")}: ${m.subject}${m.links[0] ? `\n  ${m.links[0]}` : ""}`),
  });
  console.log(`mail outbox on ${mail.url}, writing to ${dir}`);
}
