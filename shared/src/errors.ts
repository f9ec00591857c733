import { z } from "zod";

/** What the API puts in `error.data.issues` for bad input: one entry per problem, path + message. */
export const inputIssue = z.object({ path: z.array(z.union([z.string(), z.number()])), message: z.string() });
export type InputIssue = z.infer<typeof inputIssue>;

/** The header session callers use to pick which of their teams a call acts in. */
export const TENANT_HEADER = "x-tenant-id";

/** Calls in one tRPC batch at most (the server refuses a longer batch with 400; the SPA's link splits). */
export const TRPC_MAX_BATCH = 10;
