// Property-based fuzzing of every procedure of the router (fast-check): inputs generated from each
// procedure's own zod schema (its keys) and mutated off it — wrong types, oversized and unicode
// strings, deep objects, `__proto__` and `constructor` keys. Whatever comes in: never a 5xx, and a
// refused call changes nothing in D1.
import { env, SELF } from "cloudflare:test";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { ZodType } from "zod";
import { appRouter } from "../src/trpc/router";
import { agentOnFakeModel, headersFor, ORIGIN, signUpWithTeam } from "./helpers";

const TABLES = ["tenants", "tenant_members", "api_keys", "provider_keys", "agents", "runs", "telegram_pairing_codes", "telegram_settings"];
const CASES_PER_PROCEDURE = 12;

/** Everything a call could change, as text: compared before and after a refused call. */
async function d1State(): Promise<string> {
  const results = await env.DB.batch(TABLES.map((t) => env.DB.prepare(`select * from ${t} order by rowid`)));
  return JSON.stringify(results.map((r) => r.results));
}

const nasty = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: "grapheme", maxLength: 40 }),
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.constant("x".repeat(100_000)),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.anything({ maxDepth: 2 }), { maxLength: 4 }),
  fc.object({ maxDepth: 3 }),
  fc.constant(JSON.parse("[".repeat(200) + "]".repeat(200))),
);

/** The raw JSON text of one input: an object off the schema's keys, or anything at all; sometimes with prototype keys. */
function inputText(keys: string[]) {
  const shaped = fc.record(Object.fromEntries(keys.map((k) => [k, nasty])), { requiredKeys: [] }).chain((o) =>
    fc.constantFrom("", '"__proto__":{"role":"owner","admin":true},', '"constructor":{"prototype":{"x":1}},').map((extra) => {
      const text = JSON.stringify(o);
      return text === "{}" ? `{${extra.replace(/,$/, "")}}` : `{${extra}${text.slice(1)}`;
    }),
  );
  return keys.length
    ? fc.oneof(
        shaped,
        nasty.map((v) => JSON.stringify(v) ?? "null"),
      )
    : nasty.map((v) => JSON.stringify(v) ?? "null");
}

const keysOf = (schema: ZodType | undefined): string[] => {
  const shape = (schema as { shape?: Record<string, unknown> } | undefined)?.shape;
  return shape ? Object.keys(shape) : [];
};

describe("fuzzing every procedure", () => {
  it("answers anything with a clear 4xx or a result, never a 5xx, and a refused call changes nothing", async () => {
    const { user, api, team } = await signUpWithTeam("fuzz-owner");
    await agentOnFakeModel(api);
    const caller = headersFor({ cookie: user.cookie, tenantId: team.id });
    const procedures = Object.entries(
      appRouter._def.procedures as unknown as Record<string, { _def: { type: string; inputs: ZodType[] } }>,
    );
    let tried = 0;
    const failures: string[] = [];
    for (const [path, proc] of procedures) {
      await fc.assert(
        fc.asyncProperty(inputText(keysOf(proc._def.inputs[0])), async (text) => {
          tried++;
          const before = await d1State();
          const body = `{"0":${text}}`;
          const res =
            proc._def.type === "query"
              ? await SELF.fetch(`${ORIGIN}/trpc/${path}?batch=1&input=${encodeURIComponent(body)}`, { headers: caller })
              : await SELF.fetch(`${ORIGIN}/trpc/${path}?batch=1`, {
                  method: "POST",
                  headers: { ...caller, "content-type": "application/json" },
                  body,
                });
          const answer = (await res.json().catch(() => undefined)) as [{ error?: { data?: { httpStatus?: number } } }] | undefined;
          const status = answer?.[0]?.error?.data?.httpStatus ?? res.status;
          if (status >= 500) failures.push(`${path} answered ${status} to ${text.slice(0, 200)}`);
          else if (answer?.[0]?.error && (await d1State()) !== before)
            failures.push(`${path} refused ${text.slice(0, 200)} but changed D1`);
          return status < 500;
        }),
        { numRuns: CASES_PER_PROCEDURE, endOnFailure: true },
      );
    }
    console.log(`fuzz: ${tried} cases over ${procedures.length} procedures, ${failures.length} failures`);
    expect(failures).toEqual([]);
  }, 180_000);
});
