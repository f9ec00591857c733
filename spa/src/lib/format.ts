// How the dashboard writes dates, durations and sizes: one place, so every page reads the same.
import type { RunSummary } from "@autoclaw/shared";

export function formatDate(iso: string | null | undefined): string {
  if (!iso) return "—";
  return new Date(iso).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

export function relativeTime(iso: string | null | undefined): string {
  if (!iso) return "Never";
  const s = Math.round((Date.now() - new Date(iso).getTime()) / 1000);
  if (s < 60) return "Just now";
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  return formatDate(iso);
}

/** Milliseconds as people read them (850 ms, 2.4 s). */
export const formatMs = (n: number) => (n < 1000 ? `${n} ms` : `${(n / 1000).toFixed(1)} s`);

export function duration(run: Pick<RunSummary, "startedAt" | "finishedAt" | "agentMs">, detail = false): string {
  if (!run.startedAt || !run.finishedAt) return "—";
  const total = new Date(run.finishedAt).getTime() - new Date(run.startedAt).getTime();
  return detail && run.agentMs !== null ? `${formatMs(total)} (agent ${formatMs(run.agentMs)})` : formatMs(total);
}

/** Bytes as people read them (1.2 MB). */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ["KB", "MB", "GB"];
  let v = n / 1024;
  let u = 0;
  for (; v >= 1024 && u < units.length - 1; u++) v /= 1024;
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[u]}`;
}
