// Who sees which conversation (and so the runs that are its turns): its owner, the team's overseers,
// and every member when the team's policy says `team`. One rule, read by runs and conversations alike.
import { and, eq, isNull, or, type Placeholder, sql, type SQL } from "drizzle-orm";
import { bound, type Db, prepared } from "../db/client";
import { conversations, runs, tenants } from "../db/schema";
import { notFound } from "./errors";
import type { Actor } from "./principals";

/** Who is looking, for a condition (a placeholder's in a prepared statement). */
type Viewer = Pick<Actor, "overseer"> & { actor: string | Placeholder };

/** The conversations this viewer may see (a condition on the conversations table). */
export function conversationVisible(viewer: Viewer, tenantId: string | Placeholder): SQL | undefined {
  if (viewer.overseer) return undefined;
  return or(
    eq(conversations.ownerId, viewer.actor),
    sql`(select ${tenants.conversationVisibility} from ${tenants} where ${tenants.id} = ${tenantId}) = 'team'`,
  );
}

/** The runs this viewer may see: every run not in a conversation, and the turns of the conversations they see. */
export function runVisible(viewer: Viewer, tenantId: string | Placeholder): SQL | undefined {
  const seen = conversationVisible(viewer, tenantId);
  if (!seen) return undefined;
  return or(
    isNull(runs.conversationId),
    sql`exists (select 1 from ${conversations} where ${conversations.id} = ${runs.conversationId} and ${seen})`,
  );
}

/** A run's row if the viewer may see it; another team's run, or a conversation hidden from them, is NOT_FOUND. */
export async function visibleRunRow(db: Db, tenantId: string, viewer: Actor, id: string) {
  const [row] = await visibleRunRead(db, tenantId, viewer, id);
  if (!row) throw notFound("Run");
  return row;
}

/** visibleRunRow's read (no row: not visible), for a caller's batch. */
export function visibleRunRead(db: Db, tenantId: string, viewer: Actor, id: string) {
  const q = visibleRunQueries(db);
  return bound(viewer.overseer ? q.overseer : q.member, { id, tenantId, actor: viewer.actor });
}

// Every run read and poll makes it: prepared once per isolate, for overseers and for everyone else.
const visibleRunQueries = prepared((db) => {
  const tenantId = sql.placeholder("tenantId");
  const read = (overseer: boolean) =>
    db
      .select()
      .from(runs)
      .where(
        and(
          eq(runs.id, sql.placeholder("id")),
          eq(runs.tenantId, tenantId),
          runVisible({ overseer, actor: sql.placeholder("actor") }, tenantId),
        ),
      )
      .prepare();
  return { overseer: read(true), member: read(false) };
});
