// How calls reach the API, apart from their schemas (zod-free, so the SPA's first load needs no zod).

/** The header session callers use to pick which of their teams a call acts in. */
export const TENANT_HEADER = "x-tenant-id";

/** Calls in one tRPC batch at most (the server refuses a longer batch with 400; the SPA's link splits). */
export const TRPC_MAX_BATCH = 10;
