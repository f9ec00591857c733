// A run's statuses as plain values (zod-free: the SPA's first load uses them; runs.ts makes the enum).

export const RUN_STATUSES = ["queued", "running", "succeeded", "failed", "canceled"] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];
export const FINAL_STATUSES: readonly RunStatus[] = ["succeeded", "failed", "canceled"];
