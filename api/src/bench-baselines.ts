// The benchmarks' baselines (`pnpm bench`, bench/README.md): raw routes that do the storage work of a
// product path with no framework (no tRPC, no zod, no drizzle; D1's own prepared statements), so the
// framework's share of a request is measured against the same storage work in the same run. Served
// only when BENCH_BASELINES is on, which the benchmark's stack sets and deploy:check refuses.
import { sha256 } from "./domain/crypto";

const unauthorized = () => Response.json({ error: "Invalid or revoked API key" }, { status: 401 });

/**
 * `tenants.list` with an API key, by hand: the key's lookup by hash, its last-used mark (at most once
 * a minute, written only when stale, as the product does) and the team's read.
 */
async function teamsOfKey(db: D1Database, req: Request): Promise<Response> {
  const bearer = req.headers
    .get("authorization")
    ?.match(/^Bearer\s+(.+)$/i)?.[1]
    ?.trim();
  if (!bearer) return unauthorized();
  const key = await db
    .prepare("select id, tenant_id, last_used_at from api_keys where key_hash = ? and revoked_at is null limit 1")
    .bind(await sha256(bearer))
    .first<{ id: string; tenant_id: string; last_used_at: number | null }>();
  if (!key) return unauthorized();
  const now = Date.now();
  if (!key.last_used_at || key.last_used_at < now - 60_000)
    await db
      .prepare("update api_keys set last_used_at = ? where id = ? and (last_used_at is null or last_used_at < ?)")
      .bind(now, key.id, now - 60_000)
      .run();
  const team = await db.prepare("select id, name from tenants where id = ?").bind(key.tenant_id).first<{ id: string; name: string }>();
  return Response.json(team ? [{ id: team.id, name: team.name, role: "admin" }] : []);
}

const ROUTES: Record<string, (db: D1Database, req: Request) => Promise<Response>> = {
  "/api/bench/teams-of-key": teamsOfKey,
};

/** The baseline route for this path, if baselines are on and there is one. */
export function benchBaseline(path: string, enabled: boolean): ((db: D1Database, req: Request) => Promise<Response>) | undefined {
  return enabled ? ROUTES[path] : undefined;
}
