import { getTableColumns, is, SQL, sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import type { SQLiteTable } from "drizzle-orm/sqlite-core";
import * as schema from "./schema";

export function createDb(d1: D1Database) {
  return drizzle(d1, { schema });
}
export type Db = ReturnType<typeof createDb>;
export { schema };

/**
 * One row of literal values as a select list, every column in the table's order (what drizzle's
 * `insert(table).select(...)` needs), for `insert … select … where <condition>`: a row inserted only
 * when the condition holds in the same statement (plan caps that concurrent calls cannot pass).
 * A column left out takes its default, else null.
 */
export function literalRow<T extends SQLiteTable>(table: T, values: { [K in keyof T["$inferInsert"]]?: T["$inferInsert"][K] }) {
  const given = values as Record<string, unknown>;
  return Object.fromEntries(
    Object.entries(getTableColumns(table)).map(([key, column]) => {
      let v: unknown = given[key];
      if (v === undefined) v = column.defaultFn ? column.defaultFn() : column.default;
      const value = is(v, SQL) ? v : sql`${v instanceof Date ? v.getTime() : typeof v === "boolean" ? Number(v) : (v ?? null)}`;
      return [key, sql`${value}`.as(column.name)];
    }),
  ) as Record<keyof T["_"]["columns"], SQL.Aliased>;
}

/**
 * A statement built once per database handle (the isolate's) and run many times with its
 * placeholders bound: drizzle renders the SQL once and D1 keeps the prepared statement, where a query
 * written inline is rebuilt on every request. For the hot paths (API-key lookup, the Telegram path).
 */
export function prepared<T>(build: (db: Db) => T): (db: Db) => T {
  const built = new WeakMap<Db, T>();
  return (db) => {
    let s = built.get(db);
    if (s === undefined) {
      s = build(db);
      built.set(db, s);
    }
    return s;
  };
}
