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
