// `bound` statements in a batch are mapped by a compiled row mapper (api/src/db/client.ts): the rows must
// come out exactly as drizzle's own mapping gives them, for every kind of column and expression.
import { env } from "cloudflare:test";
import { eq, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { bound, createDb } from "../src/db/client";
import { apiKeys, user } from "../src/db/schema";
import { signUpWithTeam } from "./helpers";

describe("bound statements in a batch", () => {
  it("map rows as drizzle does: booleans, times, JSON, nulls, expressions with and without a decoder, none found", async () => {
    const { user: u, api } = await signUpWithTeam("db-map");
    const key = await api.apiKeys.create.mutate({ name: "mapped" });
    const db = createDb(env.DB);
    const p = sql.placeholder;
    const people = db
      .select()
      .from(user)
      .where(eq(user.email, p("email")))
      .prepare();
    const keys = db
      .select({
        id: apiKeys.id,
        scopes: apiKeys.scopes,
        lastUsedAt: apiKeys.lastUsedAt,
        createdAt: apiKeys.createdAt,
        count: sql<number>`(select count(*) from ${apiKeys} where ${apiKeys.tenantId} = ${apiKeys.tenantId})`.mapWith(Number),
        label: sql<string>`'key ' || ${apiKeys.name}`,
      })
      .from(apiKeys)
      .where(eq(apiKeys.id, p("id")))
      .prepare();
    const [[person], [k], none] = await db.batch([
      bound(people, { email: u.email }),
      bound(keys, { id: key.id }),
      bound(people, { email: "nobody@example.com" }),
    ]);

    // drizzle's own mapping (the statement run alone) is the reference.
    expect(person).toEqual((await people.execute({ email: u.email }))[0]);
    expect(k).toEqual((await keys.execute({ id: key.id }))[0]);
    expect(none).toEqual([]);
    expect(person!.emailVerified).toBe(false);
    expect(person!.createdAt).toBeInstanceOf(Date);
    expect(k).toMatchObject({ id: key.id, scopes: ["read", "runs"], lastUsedAt: null, label: "key mapped" });
    expect(k!.createdAt).toBeInstanceOf(Date);
    expect(typeof k!.count).toBe("number");
  });
});
