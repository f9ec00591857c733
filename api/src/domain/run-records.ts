// What the run lifecycle (runs.ts) and the run executor (run-executor.ts) share: their dependencies,
// the queue message, the notifier, the retry policy, and the run's timeline in D1.
import { and, eq, type Placeholder, sql, type SQL } from "drizzle-orm";
import type { LiveRunEventBody, RunMessage, RunSource } from "@autoclaw/shared";
import type { Settings } from "../config";
import type { Db } from "../db/client";
import { runEvents, runs } from "../db/schema";
import type { RuntimeDeps } from "./runtime";

export interface RunDeps {
  db: Db;
  settings: Settings;
  queue: Queue<RunMessage>;
  bucket: R2Bucket;
  /** The tenant runtimes; undefined when there are none (TENANT_RUNTIME=direct: the Worker calls the model itself). */
  runtime: RuntimeDeps | undefined;
  /** Told when a run starts working and when it ends (Telegram: typing indicator, the reply). */
  notify?: RunNotifier;
  /** Hands a run to its AgentSession's inbox at once, without waiting for the queue (see createRun). */
  dispatch?: (message: Required<RunMessage>, waitMs?: number) => Promise<boolean>;
  /** Tells a run's AgentSession it was cancelled: it stops the turn (in the gateway too) and ends the run's live events. */
  stopRun?: (route: Required<RunMessage>) => Promise<void>;
  /** Where a run's live events go (the executing AgentSession's event log); only the executor has one. */
  live?: LiveSink;
}

export type LiveSink = (runId: string, event: LiveRunEventBody) => void;

export interface RunNotifier {
  /** A run started executing; returns what to call when it stops. */
  working(run: { id: string; source: RunSource }): () => void;
  /** A run reached a final state (never throws into the caller). */
  finished(run: { id: string; source: RunSource }): Promise<void>;
}

export type RunRow = typeof runs.$inferSelect;

/** Where a queued run goes: messages carry their route; the reaper's re-sends of old runs may carry only the id. */
export async function routeOfRun(db: Db, m: RunMessage): Promise<Required<RunMessage> | undefined> {
  if (m.tenantId && m.agentId) return { runId: m.runId, tenantId: m.tenantId, agentId: m.agentId };
  const [run] = await db.select({ tenantId: runs.tenantId, agentId: runs.agentId }).from(runs).where(eq(runs.id, m.runId));
  return run && { runId: m.runId, ...run };
}

/** Attempts before a transient failure fails the run: 1 + RUN_QUEUE's max_retries (wrangler.toml). */
export const MAX_ATTEMPTS = 6;

/** The pause before a run's next attempt (RUN_RETRY_DELAY_SECONDS, doubling, at most 5 min). */
export function retryDelaySeconds(s: Settings, attempts: number): number {
  return Math.min(300, s.RUN_RETRY_DELAY_SECONDS * 2 ** Math.max(0, attempts - 1));
}

export async function addEvent(db: Db, runId: string, kind: string, message: string | null = null) {
  await db.insert(runEvents).values({ runId, kind, message, at: new Date() });
}

/**
 * An event row written only if the run is, at that moment, in the state `where` describes: lets a
 * status change and its event go to D1 in one batch (one round trip, one transaction).
 */
export function eventIf(
  db: Db,
  runId: string | Placeholder,
  at: Date | Placeholder,
  kind: string | Placeholder,
  message: SQL | Placeholder | string | null,
  where: SQL | undefined,
) {
  return db.insert(runEvents).select(
    db
      .select({
        id: sql<number>`null`.as("id"),
        runId: runs.id,
        at: sql<number>`${at instanceof Date ? at.getTime() : at}`.as("at"),
        kind: sql<string>`${kind}`.as("kind"),
        message: sql<string | null>`${message}`.as("message"),
      })
      .from(runs)
      .where(and(eq(runs.id, runId), where)),
  );
}
