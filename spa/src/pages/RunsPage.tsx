import { useInfiniteQuery, useQuery } from "@tanstack/react-query";
import { RUN_STATUSES, runStatus } from "@autoclaw/shared";
import { pollWhileActive, RunsTable } from "../components/runs";
import { Button, Card, EmptyState, ErrorState, Loading, PageHeader, Select } from "../components/ui";
import { useSearchFilters } from "../lib/filters";
import { errorMessage, useTRPC } from "../lib/trpc";

export function RunsPage() {
  const trpc = useTRPC();
  const [params, setFilter] = useSearchFilters();
  const agentId = params.get("agent") || undefined;
  const status = runStatus.safeParse(params.get("status")).data;
  const agents = useQuery(trpc.agents.list.queryOptions());
  const runs = useInfiniteQuery({
    ...trpc.runs.list.infiniteQueryOptions({ agentId, status, limit: 25 }, { getNextPageParam: (p) => p.nextCursor ?? undefined }),
    refetchInterval: (q) => pollWhileActive(q.state.data?.pages[0]?.items.map((r) => r.status)),
  });
  const items = runs.data?.pages.flatMap((p) => p.items) ?? [];

  return (
    <>
      <PageHeader title="Runs" description="Every agent turn — from the dashboard, the API or Telegram." />
      <div className="mb-4 flex gap-3">
        <Select aria-label="Filter by agent" value={agentId ?? ""} onChange={(e) => setFilter("agent", e.target.value)} className="w-56">
          <option value="">All agents</option>
          {agents.data?.map((a) => (
            <option key={a.id} value={a.id}>
              {a.name}
            </option>
          ))}
        </Select>
        <Select aria-label="Filter by status" value={status ?? ""} onChange={(e) => setFilter("status", e.target.value)} className="w-44">
          <option value="">Any status</option>
          {RUN_STATUSES.map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </Select>
      </div>
      <Card>
        {runs.isPending ? (
          <Loading />
        ) : runs.isError ? (
          <ErrorState message={errorMessage(runs.error)} onRetry={() => runs.refetch()} />
        ) : items.length === 0 ? (
          <EmptyState icon="▶" title={agentId || status ? "No runs match these filters" : "No runs yet"}>
            Start a run from an agent's page, or with <code className="text-xs">runs.create</code> through the API.
          </EmptyState>
        ) : (
          <>
            <RunsTable runs={items} agentNames={new Map(agents.data?.map((a) => [a.id, a.name]))} />
            {runs.hasNextPage && (
              <div className="border-t border-zinc-100 p-3 text-center">
                <Button variant="ghost" loading={runs.isFetchingNextPage} onClick={() => runs.fetchNextPage()}>
                  Load more
                </Button>
              </div>
            )}
          </>
        )}
      </Card>
    </>
  );
}
