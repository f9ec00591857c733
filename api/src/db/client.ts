import { Column, fillPlaceholders, getTableColumns, is, SQL, sql } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
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
 * A column left out takes its default, else null. A value may be SQL (a placeholder, for a prepared insert).
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

/** What `bound` needs of a drizzle prepared query (D1's keeps its D1 statement as `stmt`). */
interface PreparedQuery<R> {
  execute(values?: Record<string, unknown>): Promise<R>;
  getQuery(): { sql: string; params: unknown[] };
  mapResult(response: unknown, isFromBatch?: boolean): unknown;
}

/** The internals of drizzle's D1 prepared query that the batch's row mapping reads (drizzle-orm's version is pinned). */
interface DrizzleD1Query {
  executeMethod: "run" | "all" | "get" | "values";
  fields?: { path: string[]; field: unknown }[];
  customResultMapper?: unknown;
}
type Decoder = { mapFromDriverValue(v: unknown): unknown };
type RowMapper = (row: Record<string, unknown>) => Record<string, unknown> | undefined;

const rowMappers = new WeakMap<object, RowMapper | null>();
/**
 * drizzle's mapping of a batch's rows, compiled once per statement for a flat select or returning (no
 * nested fields): the same decoders, without its type checks per cell, which were most of the
 * mapping's cost in `pnpm bench:profile`. Null for any other shape (drizzle maps those). A row whose
 * columns do not line up (two of one name in one object) answers undefined, and drizzle maps it.
 */
function rowMapper(query: object): RowMapper | null {
  let mapper = rowMappers.get(query);
  if (mapper !== undefined) return mapper;
  mapper = null;
  const q = query as DrizzleD1Query;
  // (A join's null-table rule applies to nested paths only: a flat select has none.)
  if (q.fields && !q.customResultMapper && q.fields.every((f) => f.path.length === 1)) {
    const cols = q.fields.map(({ path, field }) => ({
      key: path[0]!,
      // drizzle's own choice of decoder (a column's, or an expression's `decoder`, which is internal).
      decoder: (is(field, Column)
        ? field
        : is(field, SQL)
          ? (field as unknown as { decoder: Decoder }).decoder
          : is(field, SQL.Aliased)
            ? (field.sql as unknown as { decoder: Decoder }).decoder
            : undefined) as Decoder | undefined,
    }));
    if (cols.every((c) => c.decoder))
      mapper = (row) => {
        const out: Record<string, unknown> = {};
        let i = 0;
        for (const k in row) {
          const c = cols[i++];
          if (!c) return undefined;
          const v = row[k];
          out[c.key] = v === null ? null : c.decoder!.mapFromDriverValue(v);
        }
        return i === cols.length ? out : undefined;
      };
  }
  rowMappers.set(query, mapper);
  return mapper;
}

/** A batch's result for `query` mapped as drizzle maps it, by the compiled mapper where there is one. */
function mapBatchResult(query: PreparedQuery<unknown>, response: unknown): unknown {
  const method = (query as unknown as DrizzleD1Query).executeMethod;
  const mapper = (method === "all" || method === "get") && rowMapper(query);
  if (!mapper) return query.mapResult(response, true);
  const rows = (response as { results: Record<string, unknown>[] }).results;
  if (method === "get") {
    if (!rows[0]) return query.mapResult(response, true);
    return mapper(rows[0]) ?? query.mapResult(response, true);
  }
  const out: Record<string, unknown>[] = [];
  for (const row of rows) {
    const mapped = mapper(row);
    if (!mapped) return query.mapResult(response, true);
    out.push(mapped);
  }
  return out;
}

/** A prepared query with its placeholders' values: awaited, it runs alone; or it is an item of `db.batch`. */
export interface Bound<R> extends BatchItem<"sqlite">, PromiseLike<R> {
  readonly _: { readonly dialect: "sqlite"; readonly result: R };
}

/**
 * A `prepared` statement as an item of `db.batch` as well: drizzle's batch takes a prepared query
 * but binds its placeholders' descriptions, not values, so this gives it the query with the values
 * filled in (and the statement D1 already prepared). Values for a placeholder in a where clause go
 * in as stored (a Date as its ms); in `set`/`values` the column's encoder applies.
 */
export function bound<R>(query: PreparedQuery<R>, values: Record<string, unknown>): Bound<R> {
  const { sql: text, params } = query.getQuery();
  return {
    _: { dialect: "sqlite", result: undefined as R },
    // What drizzle's D1 session batch calls on each item.
    _prepare: () => ({
      stmt: (query as unknown as { stmt: D1PreparedStatement }).stmt,
      getQuery: () => ({ sql: text, params: fillPlaceholders(params, values) }),
      mapResult: (response: unknown, isFromBatch?: boolean) =>
        isFromBatch ? mapBatchResult(query as PreparedQuery<unknown>, response) : query.mapResult(response, isFromBatch),
    }),
    // biome-ignore lint/suspicious/noThenProperty: awaited like the query builder it stands in for.
    then: (onFulfilled, onRejected) => query.execute(values).then(onFulfilled, onRejected),
  } as Bound<R>;
}
