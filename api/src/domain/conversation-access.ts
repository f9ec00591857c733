// Who sees which conversation (and so the runs that are its turns): its owner, the team's overseers,
// and every member when the team's policy says `team`. One rule, read by runs and conversations alike.
import { and, eq, isNull, or, sql, type SQL } from "drizzle-orm";
import type { Db } from "../db/client";
import { conversations, runs, tenants } from "../db/schema";
import { notFound } from "./errors";
import type { Actor } from "./principals";

/** The conversations this viewer may see (a condition on the conversations table). */
export function conversationVisible(viewer: Actor, tenantId: string): SQL | undefined {
  if (viewer.overseer) return undefined;
  return or(
    eq(conversations.ownerId, viewer.actor),
    sql`(select ${tenants.conversationVisibility} from ${tenants} where ${tenants.id} = ${tenantId}) = 'team'`,
  );
}

/** The runs this viewer may see: every run not in a conversation, and the turns of the conversations they see. */
export function runVisible(viewer: Actor, tenantId: string): SQL | undefined {
  const seen = conversationVisible(viewer, tenantId);
  if (!seen) return undefined;
  return or(
    isNull(runs.conversationId),
    sql`exists (select 1 from ${conversations} where ${conversations.id} = ${runs.conversationId} and ${seen})`,
  );
}

/** A run's row if the viewer may see it; another team's run, or a conversation hidden from them, is NOT_FOUND. */
export async function visibleRunRow(db: Db, tenantId: string, viewer: Actor, id: string) {
  const [row] = await db
    .select()
    .from(runs)
    .where(and(eq(runs.id, id), eq(runs.tenantId, tenantId), runVisible(viewer, tenantId)));
  if (!row) throw notFound("Run");
  return row;
}
