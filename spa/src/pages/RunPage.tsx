import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect } from "react";
import { Link, useParams } from "wouter";
import { toast } from "../lib/toast";
import { isActive, RunStatusBadge } from "../components/runs";
import { Alert, Button, Card, ErrorState, Fact, Loading } from "../components/ui";
import { useLiveRun } from "../lib/live";
import { errorMessage, useTRPC } from "../lib/trpc";
import { duration, formatDate } from "../lib/format";

export function RunPage() {
  const { id = "" } = useParams();
  const trpc = useTRPC();
  const qc = useQueryClient();
  const run = useQuery(trpc.runs.get.queryOptions({ id }));
  // While it works, the page follows the run's live events (no polling); at its end it reads the run again.
  const active = !!run.data && isActive(run.data.status);
  const live = useLiveRun(id, active);
  const phase = live.phase;
  useEffect(() => {
    if (live.done || (phase && phase !== "queued")) void qc.invalidateQueries({ queryKey: trpc.runs.get.queryKey({ id }) });
  }, [live.done, phase, qc, trpc, id]);
  const agents = useQuery(trpc.agents.list.queryOptions());
  const cancel = useMutation(
    trpc.runs.cancel.mutationOptions({
      onSuccess: () => {
        void qc.invalidateQueries({ queryKey: trpc.runs.get.queryKey({ id }) });
        toast.success("Run cancelled");
      },
    }),
  );

  if (run.isPending) return <Loading />;
  if (run.isError) return <ErrorState message={errorMessage(run.error)} onRetry={() => run.refetch()} />;
  const r = run.data;
  const agent = agents.data?.find((a) => a.id === r.agentId);
  // Files the platform did not keep, and the like: the run succeeded, but the reader should know.
  const warnings = r.events.filter((e) => e.kind === "warning");

  return (
    <>
      <Link to="/runs" className="mb-2 inline-block text-sm text-zinc-500 hover:text-zinc-900">
        ← Runs
      </Link>
      <div className="mb-6 flex flex-wrap items-center gap-3">
        <h1 className="text-2xl font-semibold tracking-tight">Run</h1>
        <span data-testid="run-status">
          <RunStatusBadge status={r.status} retrying={!!r.error} />
        </span>
        <code className="text-xs text-zinc-400">{r.id}</code>
        <div className="ml-auto">
          {isActive(r.status) && !live.done && (
            <Button variant="danger" loading={cancel.isPending} onClick={() => cancel.mutate({ id: r.id })}>
              {r.status === "queued" ? "Cancel run" : "Stop run"}
            </Button>
          )}
        </div>
      </div>

      <div className="mb-6 grid gap-4 sm:grid-cols-4">
        <Fact label="Agent">
          {agent ? (
            <Link className="text-brand-700 hover:underline" to={`/agents/${agent.id}`}>
              {agent.name}
            </Link>
          ) : (
            "Deleted agent"
          )}
        </Fact>
        <Fact label="Model">{<code className="text-xs">{r.model}</code>}</Fact>
        <Fact label="Tokens (in / out)">{`${r.usage.inputTokens.toLocaleString()} / ${r.usage.outputTokens.toLocaleString()}`}</Fact>
        <Fact label="Duration">{duration(r, true)}</Fact>
      </div>

      <div className="grid gap-6 lg:grid-cols-3">
        <div className="space-y-6 lg:col-span-2">
          <Card title="Input">
            <pre className="px-5 py-4 font-sans text-sm whitespace-pre-wrap text-zinc-800">{r.input}</pre>
          </Card>
          {r.status === "failed" && r.error && (
            <Alert tone="red" title="The run failed">
              <p data-testid="run-error">{r.error}</p>
            </Alert>
          )}
          {warnings.length > 0 && (
            <Alert
              tone="amber"
              title={warnings.length === 1 ? "One thing to know about this run" : `${warnings.length} things to know about this run`}
              testId="run-warnings"
            >
              <ul className="list-disc space-y-1 pl-5">
                {warnings.map((w) => (
                  <li key={`${w.at}:${w.message}`} className="break-words">
                    {w.message}
                  </li>
                ))}
              </ul>
            </Alert>
          )}
          <Card title="Output">
            {r.output !== null ? (
              <pre data-testid="run-output" className="px-5 py-4 font-sans text-sm whitespace-pre-wrap text-zinc-800">
                {r.output}
              </pre>
            ) : active && live.text ? (
              <pre data-testid="run-output-live" className="px-5 py-4 font-sans text-sm whitespace-pre-wrap text-zinc-800">
                {live.text}
                <span className="ml-0.5 inline-block h-4 w-1.5 animate-pulse bg-brand-500 align-middle" />
              </pre>
            ) : (
              <p className="px-5 py-6 text-sm text-zinc-500">
                {isActive(r.status)
                  ? r.error
                    ? `Retrying after: ${r.error}`
                    : phase === "starting runtime"
                      ? "Starting the team's runtime…"
                      : "Working on it…"
                  : "No output."}
              </p>
            )}
          </Card>
        </div>
        <div className="space-y-6">
          {live.tools.length > 0 && (
            <Card title="Tools used">
              <ul className="divide-y divide-zinc-100" data-testid="run-tools">
                {live.tools.map((t) => (
                  <li key={t.seq} className="px-5 py-2 text-sm">
                    <code className="font-medium">{t.name}</code>
                    {t.summary && <span className="block truncate text-xs text-zinc-500">{t.summary}</span>}
                  </li>
                ))}
              </ul>
            </Card>
          )}
          <Card title="Timeline">
            <ol className="space-y-3 px-5 py-4" data-testid="run-timeline">
              {r.events.map((e) => (
                <li key={`${e.at}:${e.kind}:${e.message ?? ""}`} className="flex gap-3 text-sm">
                  <span className="mt-1.5 h-2 w-2 shrink-0 rounded-full bg-zinc-300" />
                  <span className="min-w-0">
                    <span className="font-medium capitalize">{e.kind}</span>{" "}
                    <span className="text-xs text-zinc-400">{formatDate(e.at)}</span>
                    {e.message && <span className="block text-xs break-words text-zinc-500">{e.message}</span>}
                  </span>
                </li>
              ))}
            </ol>
          </Card>
          <Card title="Artifacts">
            {r.artifacts.length === 0 ? (
              <p className="px-5 py-4 text-sm text-zinc-500">None yet.</p>
            ) : (
              <ul className="divide-y divide-zinc-100">
                {r.artifacts.map((a) => (
                  <li key={a.name} className="flex items-center justify-between px-5 py-3 text-sm">
                    <span>
                      <span className="font-medium">{a.name}</span>{" "}
                      <span className="text-xs text-zinc-400">{a.size.toLocaleString()} bytes</span>
                    </span>
                    <a href={a.url} download={a.name} className="font-medium text-brand-700 hover:underline">
                      Download
                    </a>
                  </li>
                ))}
              </ul>
            )}
          </Card>
          <p className="text-xs text-zinc-400">
            Source {r.source} · created {formatDate(r.createdAt)} · attempts {r.attempts}
          </p>
        </div>
      </div>
    </>
  );
}
