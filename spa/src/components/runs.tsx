import { Link } from "wouter";
import type { RunStatus, RunSummary } from "@autoclaw/shared";
import { FINAL_STATUSES } from "@autoclaw/shared";
import { Badge } from "./ui";
import { relativeTime } from "../lib/format";

const TONE: Record<RunStatus, "zinc" | "brand" | "green" | "amber" | "red"> = {
  queued: "zinc",
  running: "brand",
  succeeded: "green",
  failed: "red",
  canceled: "amber",
};

export function RunStatusBadge({ status, retrying }: { status: RunStatus; retrying?: boolean }) {
  return (
    <Badge tone={TONE[status]}>
      {status === "running" && <span className="mr-1 inline-block h-1.5 w-1.5 animate-pulse rounded-full bg-current" />}
      {retrying && status === "queued" ? "retrying" : status}
    </Badge>
  );
}

export const isActive = (status: RunStatus) => !FINAL_STATUSES.includes(status);

/** Poll every second while any of these runs can still change. */
export const pollWhileActive = (statuses: RunStatus[] | undefined) => (statuses?.some(isActive) ? 1000 : false);

export function RunsTable({ runs, agentNames }: { runs: RunSummary[]; agentNames?: Map<string, string> }) {
  return (
    <table className="w-full table-fixed text-left text-sm">
      <thead className="border-b border-zinc-100 text-xs text-zinc-500">
        <tr>
          <th className="w-28 px-5 py-3 font-medium">Status</th>
          <th className="px-5 py-3 font-medium">Input</th>
          {agentNames && <th className="w-40 px-5 py-3 font-medium">Agent</th>}
          <th className="w-24 px-5 py-3 font-medium">Source</th>
          <th className="w-24 px-5 py-3 text-right font-medium">Tokens</th>
          <th className="w-32 px-5 py-3 text-right font-medium">Created</th>
        </tr>
      </thead>
      <tbody className="divide-y divide-zinc-100" data-testid="runs">
        {runs.map((r) => (
          <tr key={r.id} className="hover:bg-zinc-50">
            <td className="px-5 py-3">
              <RunStatusBadge status={r.status} retrying={!!r.error} />
            </td>
            <td className="truncate px-5 py-3">
              <Link to={`/runs/${r.id}`} className="font-medium text-zinc-900 hover:text-brand-700">
                {r.input}
              </Link>
              {r.status === "failed" && r.error && <p className="truncate text-xs text-red-600">{r.error}</p>}
            </td>
            {agentNames && <td className="truncate px-5 py-3 text-zinc-600">{agentNames.get(r.agentId) ?? "Deleted agent"}</td>}
            <td className="px-5 py-3 text-zinc-600">{r.source}</td>
            <td className="px-5 py-3 text-right text-zinc-600 tabular-nums">
              {(r.usage.inputTokens + r.usage.outputTokens).toLocaleString()}
            </td>
            <td className="px-5 py-3 text-right text-zinc-500">{relativeTime(r.createdAt)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
