import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { toast } from "../lib/toast";
import type { RuntimeState } from "@autoclaw/shared";
import { Alert, Badge, Button, Card, ErrorState, Fact, Loading, PageHeader } from "../components/ui";
import { useCan } from "../lib/teams";
import { errorMessage, useTRPC } from "../lib/trpc";
import { formatDate, relativeTime } from "../lib/format";

const TONE: Record<RuntimeState, "zinc" | "brand" | "green" | "red"> = { stopped: "zinc", starting: "brand", ready: "green", error: "red" };

export function RuntimePage() {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const canManage = useCan()("manageTeam");
  const status = useQuery({
    ...trpc.runtime.status.queryOptions(),
    refetchInterval: (q) => (q.state.data?.state === "starting" ? 1000 : 10_000),
  });
  const logs = useQuery({
    ...trpc.runtime.logs.queryOptions({ lines: 80 }),
    refetchInterval: status.data?.state === "starting" ? 1500 : 10_000,
  });
  const refresh = () => {
    void qc.invalidateQueries({ queryKey: trpc.runtime.status.queryKey() });
    void qc.invalidateQueries({ queryKey: trpc.runtime.logs.queryKey() });
  };
  const start = useMutation(
    trpc.runtime.start.mutationOptions({
      onSuccess: () => toast.success("Runtime is ready"),
      onSettled: refresh,
    }),
  );
  const stop = useMutation(
    trpc.runtime.stop.mutationOptions({
      onSuccess: () => toast.success("Runtime stopped"),
      onSettled: refresh,
    }),
  );
  const check = useMutation(trpc.runtime.check.mutationOptions());
  const restart = useMutation(
    trpc.runtime.restart.mutationOptions({
      onSuccess: () => toast.success("Runtime restarted"),
      onSettled: refresh,
    }),
  );

  if (status.isPending) return <Loading />;
  if (status.isError) return <ErrorState message={errorMessage(status.error)} onRetry={() => status.refetch()} />;
  const s = status.data;
  const busy = start.isPending || stop.isPending || restart.isPending;
  const state: RuntimeState = start.isPending || restart.isPending ? "starting" : s.state;

  return (
    <>
      <PageHeader
        title="Runtime"
        description="Your team's own OpenClaw gateway: it runs your agents with their workspaces, memory and skills. It starts on the first run and stops when idle."
        actions={
          canManage && (
            <div className="flex gap-2">
              {state === "ready" ? (
                <>
                  <Button variant="secondary" loading={check.isPending} disabled={busy} onClick={() => check.mutate()}>
                    Check runtime
                  </Button>
                  <Button variant="secondary" loading={restart.isPending} disabled={busy} onClick={() => restart.mutate()}>
                    Restart
                  </Button>
                  <Button variant="danger" loading={stop.isPending && !restart.isPending} disabled={busy} onClick={() => stop.mutate()}>
                    Stop
                  </Button>
                </>
              ) : (
                <Button loading={busy} onClick={() => start.mutate()}>
                  {state === "starting" ? "Starting…" : "Start"}
                </Button>
              )}
            </div>
          )
        }
      />
      <div className="mb-6 grid gap-4 sm:grid-cols-4">
        <Fact label="State">
          <span data-testid="runtime-state">
            <Badge tone={TONE[state]}>{state === "starting" ? "starting runtime" : state}</Badge>
          </span>
        </Fact>
        <Fact label="OpenClaw">{s.version}</Fact>
        <Fact label="Started">
          <span data-testid="runtime-started" data-started-at={s.startedAt ?? ""}>
            {s.state === "ready" ? formatDate(s.startedAt) : "—"}
          </span>
        </Fact>
        <Fact label="Last activity">{relativeTime(s.lastActiveAt)}</Fact>
      </div>
      {s.lastError && (
        <div className="mb-6">
          <Alert tone="red" title="Last error">
            <p className="break-words">{s.lastError}</p>
          </Alert>
        </div>
      )}
      {check.data && (
        <div className="mb-6">
          <Card title="OpenClaw's own check" description={`Its security audit and health lint, ${relativeTime(check.data.checkedAt)}.`}>
            <ul className="divide-y divide-zinc-100 text-sm" data-testid="runtime-check">
              {check.data.errors.map((e) => (
                <li key={e} className="px-5 py-2 text-red-700">
                  {e}
                </li>
              ))}
              {check.data.findings.length === 0 && <li className="px-5 py-3 text-zinc-500">No findings.</li>}
              {check.data.findings.map((f) => (
                <li key={`${f.source}-${f.checkId}-${f.title}`} className="px-5 py-2">
                  <Badge tone={f.severity === "critical" ? "red" : f.severity === "warn" ? "amber" : "zinc"}>{f.severity}</Badge>{" "}
                  <span className="font-medium">{f.title}</span>
                  {f.detail && <p className="mt-0.5 whitespace-pre-line text-xs text-zinc-500">{f.detail}</p>}
                  {f.remediation && <p className="mt-0.5 text-xs text-zinc-600">Fix: {f.remediation}</p>}
                </li>
              ))}
            </ul>
          </Card>
        </div>
      )}
      <Card title="Gateway log" description="The most recent lines from your runtime.">
        {logs.data?.lines.length ? (
          <pre
            data-testid="runtime-logs"
            className="max-h-96 overflow-auto bg-zinc-950 px-5 py-4 font-mono text-xs leading-relaxed text-zinc-200"
          >
            {logs.data.lines.join("\n")}
          </pre>
        ) : (
          <p className="px-5 py-6 text-sm text-zinc-500">No log lines yet. Start the runtime or run an agent.</p>
        )}
      </Card>
    </>
  );
}
