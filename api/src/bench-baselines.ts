// The benchmarks' baselines (`pnpm bench`, bench/README.md): raw routes that do the storage work of a
// product path with no framework (no tRPC, no zod, no drizzle; D1's own prepared statements), so the
// framework's share of a request is measured against the same storage work in the same run. Served
// only when BENCH_BASELINES is on, which the benchmark's stack sets and deploy:check refuses.
import { sha256 } from "./domain/crypto";
import type { AppEnv } from "./env";

const unauthorized = () => Response.json({ error: "Invalid or revoked API key" }, { status: 401 });

/**
 * `tenants.list` with an API key, by hand: the key's lookup by hash, its last-used mark (at most once
 * a minute, written only when stale, as the product does) and the team's read.
 */
async function teamsOfKey(env: AppEnv, req: Request): Promise<Response> {
  const db = env.DB;
  const key = await keyOf(db, req);
  if (!key) return unauthorized();
  const team = await db.prepare("select id, name from tenants where id = ?").bind(key.tenant_id).first<{ id: string; name: string }>();
  return Response.json(team ? [{ id: team.id, name: team.name, role: "admin" }] : []);
}

/** The API key's lookup by hash and its last-used mark (at most once a minute, written only when stale, as the product does). */
async function keyOf(db: D1Database, req: Request) {
  const bearer = req.headers
    .get("authorization")
    ?.match(/^Bearer\s+(.+)$/i)?.[1]
    ?.trim();
  if (!bearer) return undefined;
  const key = await db
    .prepare("select id, tenant_id, last_used_at from api_keys where key_hash = ? and revoked_at is null limit 1")
    .bind(await sha256(bearer))
    .first<{ id: string; tenant_id: string; last_used_at: number | null }>();
  if (!key) return undefined;
  const now = Date.now();
  if (!key.last_used_at || key.last_used_at < now - 60_000)
    await db
      .prepare("update api_keys set last_used_at = ? where id = ? and (last_used_at is null or last_used_at < ?)")
      .bind(now, key.id, now - 60_000)
      .run();
  return key;
}

/**
 * `runs.create` with an API key and the run's execution to `succeeded`, by hand and in one request:
 * the key's lookup, the run's reads and its insert batch, the call to a Durable Object, the claim,
 * the model key and history, the model call (body `modelUrl`: the fake's chat completions), the
 * output in R2 and the finish with the call's metering. Answers the server-side time from insert to finish, as
 * a run's createdAt → finishedAt.
 */
async function run(env: AppEnv, req: Request): Promise<Response> {
  const db = env.DB;
  const key = await keyOf(db, req);
  if (!key) return unauthorized();
  const { agentId, input, modelUrl } = (await req.json()) as { agentId: string; input: string; modelUrl: string };
  const tenant = key.tenant_id;
  const q = (sql: string, ...params: unknown[]) => db.prepare(sql).bind(...params);
  const [agentRows] = await db.batch<Record<string, unknown>>([
    q("select * from agents where id = ? and tenant_id = ? and deleted_at is null", agentId, tenant),
    q("select monthly_tokens, monthly_cost_usd from budgets where tenant_id = ?", tenant),
    q("select provider from provider_keys where tenant_id = ?", tenant),
    q("select * from runs where tenant_id = ? and 0", tenant),
  ]);
  const agent = agentRows!.results[0] as { id: string; model: string } | undefined;
  if (!agent) return Response.json({ error: "no such agent" }, { status: 404 });
  const created = Date.now();
  const id = `run_${crypto.randomUUID()}`;
  await db.batch([
    q(
      `insert into runs (id, tenant_id, agent_id, status, source, input, model, input_tokens, output_tokens, attempts, created_at, updated_at, created_by)
       select ?, ?, ?, 'queued', 'api', ?, ?, 0, 0, 0, ?, ?, ? from tenants where id = ? on conflict do nothing returning id`,
      id,
      tenant,
      agent.id,
      input,
      agent.model,
      created,
      created,
      `api_key:${key.id}`,
      tenant,
    ),
    q("insert into run_events (run_id, at, kind, message) select id, ?, 'queued', 'from api' from runs where id = ?", created, id),
  ]);
  await env.AGENT_SESSION.getByName("bench:baseline").toolCalled("bench", "baseline");
  let now = Date.now();
  await db.batch([
    q(
      `update runs set status = 'running', attempts = attempts + 1, lease_expires_at = ?, updated_at = ?, started_at = coalesce(started_at, ?)
       where id = ? and status = 'queued' returning *`,
      now + 60_000,
      now,
      now,
      id,
    ),
    q(
      "insert into run_events (run_id, at, kind) select id, ?, 'started' from runs where id = ? and status = 'running' and updated_at = ?",
      now,
      id,
      now,
    ),
    q("select monthly_tokens, monthly_cost_usd from budgets where tenant_id = ?", tenant),
  ]);
  await q("select * from provider_keys where tenant_id = ? and provider = ?", tenant, "custom").all();
  const res = await fetch(modelUrl, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: "Bearer bench" },
    body: JSON.stringify({ model: "echo", stream: true, messages: [{ role: "user", content: input }] }),
  });
  const output = await res.text();
  now = Date.now();
  const r2Key = `tenant/${tenant}/runs/${id}/output.md`;
  const held = "id = ? and status = 'running' and attempts = 1";
  await Promise.all([
    env.ARTIFACTS.put(r2Key, output),
    db.batch([
      q(`insert into run_events (run_id, at, kind) select id, ?, 'succeeded' from runs where ${held}`, now, id),
      q(
        `insert into model_usage (tenant_id, agent_id, model, status, input_tokens, output_tokens, run_id, latency_ms, estimated, at)
         values (?, ?, ?, 200, 10, 4, ?, 2, 0, ?)`,
        tenant,
        agent.id,
        agent.model,
        id,
        now,
      ),
      q(
        `insert into usage_daily (tenant_id, day, agent_id, model, calls, failed_calls, estimated_calls, input_tokens, output_tokens, latency_ms)
         values (?, ?, ?, ?, 1, 0, 0, 10, 4, 2) on conflict (tenant_id, day, agent_id, model) do update set calls = calls + 1`,
        tenant,
        new Date(now).toISOString().slice(0, 10),
        agent.id,
        agent.model,
      ),
      q(
        "insert into run_artifacts (run_id, tenant_id, name, content_type, size, r2_key, created_at) values (?, ?, 'output.md', 'text/markdown', ?, ?, ?)",
        id,
        tenant,
        output.length,
        r2Key,
        now,
      ),
      q(
        `update runs set status = 'succeeded', output = ?, lease_expires_at = null, updated_at = ?, finished_at = ? where ${held}`,
        output,
        now,
        now,
        id,
      ),
    ]),
  ]);
  return Response.json({ id, ms: now - created });
}

/**
 * A paired person's Telegram message, by hand: the D1 round trips the product makes for one (the
 * update recorded with who sent it; the run's reads; the run and its reply row; the claim; the model
 * key and the conversation's history; the finish with the model call's metering; the reply's claim and
 * its sent mark), with no Durable Object, model call or Bot API call. Body: `{ telegramUserId, updateId, text }`.
 */
async function telegramMessage(env: AppEnv, req: Request): Promise<Response> {
  const db = env.DB;
  const { telegramUserId: tg, updateId, text } = (await req.json()) as { telegramUserId: number; updateId: number; text: string };
  const q = (sql: string, ...params: unknown[]) => db.prepare(sql).bind(...params);
  const team = "(select tenant_id from telegram_pairings where telegram_user_id = ?)";
  let now = Date.now();
  const [inserted, pairingRows, , , agentRows] = await db.batch<Record<string, unknown>>([
    q("insert into telegram_updates (update_id, received_at) values (?, ?) on conflict do nothing returning update_id", updateId, now),
    q("select * from telegram_pairings where telegram_user_id = ?", tg),
    q(`select name from tenants where id = ${team}`, tg),
    q(`select default_agent_id from telegram_settings where tenant_id = ${team}`, tg),
    q(`select * from agents where tenant_id = ${team} and deleted_at is null order by created_at`, tg),
  ]);
  const pairing = pairingRows!.results[0] as { tenant_id: string; chat_id: number } | undefined;
  const agent = agentRows!.results[0] as { id: string; model: string } | undefined;
  if (!inserted!.results.length || !pairing || !agent)
    return Response.json({ error: "not a new message of a paired person" }, { status: 409 });
  const tenant = pairing.tenant_id;
  const key = `telegram:${updateId}`;
  const [, , , , convRows] = await db.batch<Record<string, unknown>>([
    q("select * from agents where id = ? and tenant_id = ? and deleted_at is null", agent.id, tenant),
    q("select monthly_tokens, monthly_cost_usd from budgets where tenant_id = ?", tenant),
    q("select provider from provider_keys where tenant_id = ?", tenant),
    q("select * from runs where tenant_id = ? and idempotency_key = ?", tenant, key),
    q(
      `insert into conversations (id, tenant_id, agent_id, owner_id, source, scope, turns, created_at, updated_at)
       values (?, ?, ?, ?, 'telegram', ?, 0, ?, ?) on conflict (tenant_id, agent_id, scope) do update set removed_at = null returning id`,
      `conv_${crypto.randomUUID()}`,
      tenant,
      agent.id,
      `telegram:${tg}`,
      `telegram:${tg}`,
      now,
      now,
    ),
  ]);
  const conv = (convRows!.results[0] as { id: string }).id;
  const run = `run_${crypto.randomUUID()}`;
  const exists = "exists (select 1 from runs where id = ?)";
  await db.batch([
    q(
      `insert into runs (id, tenant_id, agent_id, status, source, input, model, idempotency_key, input_tokens, output_tokens, attempts,
         created_at, updated_at, conversation, created_by, conversation_id)
       select ?, ?, ?, 'queued', 'telegram', ?, ?, ?, 0, 0, 0, ?, ?, ?, ?, ? from tenants where id = ? on conflict do nothing returning id`,
      run,
      tenant,
      agent.id,
      text,
      agent.model,
      key,
      now,
      now,
      `telegram:${tg}`,
      `telegram:${tg}`,
      conv,
      tenant,
    ),
    q("insert into run_events (run_id, at, kind, message) select id, ?, 'queued', 'from telegram' from runs where id = ?", now, run),
    q(
      `update conversations set title = coalesce(title, ?), turns = turns + 1, updated_at = ?, removed_at = null where id = ? and ${exists}`,
      text,
      now,
      conv,
      run,
    ),
    q("insert into telegram_replies (run_id, chat_id) select ?, ? from runs where id = ?", run, pairing.chat_id, run),
    q(`update telegram_updates set handled_at = ? where update_id = ? and ${exists}`, now, updateId, run),
  ]);
  now = Date.now();
  const budgetOfRun = "select monthly_tokens, monthly_cost_usd from budgets where tenant_id = (select tenant_id from runs where id = ?)";
  await db.batch([
    q(
      `update runs set status = 'running', attempts = attempts + 1, lease_expires_at = ?, updated_at = ?, started_at = coalesce(started_at, ?)
       where id = ? and (status = 'queued' or (status = 'running' and lease_expires_at < ?)) returning *`,
      now + 60_000,
      now,
      now,
      run,
      now,
    ),
    q(
      "insert into run_events (run_id, at, kind) select id, ?, 'started' from runs where id = ? and status = 'running' and updated_at = ?",
      now,
      run,
      now,
    ),
    q(budgetOfRun, run),
  ]);
  await q("select chat_id from telegram_replies where run_id = ?", run).all();
  await db.batch([
    q("select * from provider_keys where tenant_id = ? and provider = ?", tenant, "custom"),
    q(
      "select input, output from runs where conversation_id = ? and status = 'succeeded' and created_at < ? order by created_at desc limit 20",
      conv,
      now,
    ),
  ]);
  const output = `Echo: ${text}`;
  const day = new Date(now).toISOString().slice(0, 10);
  const held = "id = ? and status = 'running' and attempts = 1";
  await db.batch([
    q(`insert into run_events (run_id, at, kind) select id, ?, 'succeeded' from runs where ${held}`, now, run),
    q(
      `insert into model_usage (tenant_id, agent_id, model, status, input_tokens, output_tokens, run_id, latency_ms, estimated, at)
       values (?, ?, ?, 200, 200, 4, ?, 2, 0, ?)`,
      tenant,
      agent.id,
      agent.model,
      run,
      now,
    ),
    q(
      `insert into usage_daily (tenant_id, day, agent_id, model, calls, failed_calls, estimated_calls, input_tokens, output_tokens, latency_ms)
       values (?, ?, ?, ?, 1, 0, 0, 200, 4, 2) on conflict (tenant_id, day, agent_id, model) do update set calls = calls + 1,
       input_tokens = input_tokens + 200, output_tokens = output_tokens + 4, latency_ms = latency_ms + 2`,
      tenant,
      day,
      agent.id,
      agent.model,
    ),
    q(
      `insert into run_artifacts (run_id, tenant_id, name, content_type, size, r2_key, created_at) values (?, ?, 'output.md', 'text/markdown', ?, ?, ?)
       on conflict (run_id, name) do update set size = excluded.size`,
      run,
      tenant,
      output.length,
      `tenant/${tenant}/runs/${run}/output.md`,
      now,
    ),
    q(
      `update runs set status = 'succeeded', output = ?, input_tokens = 200, output_tokens = 4, lease_expires_at = null, updated_at = ?, finished_at = ?,
       agent_ms = 5 where ${held}`,
      output,
      now,
      now,
      run,
    ),
  ]);
  await db.batch([
    q(
      `update telegram_replies set claimed_at = ? where run_id = ? and sent_at is null and (claimed_at is null or claimed_at < ?)
       and exists (select 1 from runs where id = ? and status in ('succeeded', 'failed', 'canceled')) returning *`,
      now,
      run,
      now - 300_000,
      run,
    ),
    q("select * from runs where id = ?", run),
    q(budgetOfRun, run),
  ]);
  await q("update telegram_replies set sent_at = ? where run_id = ? and chat_id = ?", Date.now(), run, pairing.chat_id).run();
  return Response.json({ runId: run });
}

type Route = (env: AppEnv, req: Request) => Promise<Response>;
const ROUTES: Record<string, Route> = {
  "/api/bench/teams-of-key": teamsOfKey,
  "/api/bench/run": run,
  "/api/bench/telegram-message": telegramMessage,
};

/** The baseline route for this path, if baselines are on and there is one. */
export function benchBaseline(path: string, enabled: boolean): Route | undefined {
  return enabled ? ROUTES[path] : undefined;
}
