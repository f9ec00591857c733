import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Link, useLocation } from "wouter";
import { toast } from "../lib/toast";
import { createAgentInput, type TemplateSummary } from "@autoclaw/shared";
import { AgentFields } from "../components/agents";
import { Badge, Button, Card, Dialog, DialogActions, EmptyState, ErrorState, Loading, PageHeader } from "../components/ui";
import { useZodForm } from "../lib/forms";
import { useCan } from "../lib/teams";
import { errorMessage, useTRPC } from "../lib/trpc";
import { relativeTime } from "../lib/format";

export function AgentsPage() {
  const trpc = useTRPC();
  const agents = useQuery(trpc.agents.list.queryOptions());
  const templates = useQuery(trpc.templates.list.queryOptions());
  const [template, setTemplate] = useState<TemplateSummary | null>(null);
  const canCreate = useCan()("manageAgents");
  const names = new Map(templates.data?.map((t) => [t.id, t.name]));

  return (
    <>
      <PageHeader
        title="Agents"
        description="Each agent is an OpenClaw agent with its own persona, model and skills, running in your team's runtime."
      />

      <Card title="Your agents" className="mb-8">
        {agents.isPending ? (
          <Loading />
        ) : agents.isError ? (
          <ErrorState message={errorMessage(agents.error)} onRetry={() => agents.refetch()} />
        ) : agents.data.length === 0 ? (
          <EmptyState icon="✦" title="No agents yet">
            Pick a template below to create your first agent.
          </EmptyState>
        ) : (
          <ul className="divide-y divide-zinc-100" data-testid="agents">
            {agents.data.map((a) => (
              <li key={a.id}>
                <Link to={`/agents/${a.id}`} className="flex items-center gap-4 px-5 py-3 hover:bg-zinc-50">
                  <span className="flex h-9 w-9 items-center justify-center rounded-lg bg-brand-50 font-semibold text-brand-700">
                    {a.name.slice(0, 1).toUpperCase()}
                  </span>
                  <span className="min-w-0 flex-1">
                    <span className="block truncate text-sm font-medium">{a.name}</span>
                    <span className="block text-xs text-zinc-500">{names.get(a.templateId) ?? a.templateId}</span>
                  </span>
                  <code className="rounded bg-zinc-100 px-1.5 py-0.5 text-xs text-zinc-600">{a.model}</code>
                  <span className="w-28 text-right text-xs text-zinc-400">{relativeTime(a.createdAt)}</span>
                </Link>
              </li>
            ))}
          </ul>
        )}
      </Card>

      <h2 className="mb-3 text-base font-semibold">Templates</h2>
      {templates.isPending ? (
        <Loading />
      ) : templates.isError ? (
        <ErrorState message={errorMessage(templates.error)} onRetry={() => templates.refetch()} />
      ) : (
        <div className="grid gap-4 sm:grid-cols-2" data-testid="templates">
          {templates.data.map((t) => (
            <div key={t.id} className="flex flex-col rounded-xl border border-zinc-200 bg-white p-5 shadow-sm">
              <h3 className="font-semibold">{t.name}</h3>
              <p className="mt-1 flex-1 text-sm text-zinc-600">{t.description}</p>
              <div className="mt-4 flex flex-wrap items-center gap-1.5">
                <code className="rounded bg-zinc-100 px-1.5 py-0.5 text-xs text-zinc-600">{t.defaultModel}</code>
                {t.packs.map((p) => (
                  <Badge key={p} tone="brand">
                    {p}
                  </Badge>
                ))}
                <span className="text-xs text-zinc-400">· {t.files.join(", ")}</span>
              </div>
              {canCreate && (
                <div className="mt-4">
                  <Button variant="secondary" onClick={() => setTemplate(t)} aria-label={`Use template ${t.name}`}>
                    Use template
                  </Button>
                </div>
              )}
            </div>
          ))}
        </div>
      )}
      <CreateAgentDialog template={template} onClose={() => setTemplate(null)} />
    </>
  );
}

function CreateAgentDialog({ template, onClose }: { template: TemplateSummary | null; onClose: () => void }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const [, navigate] = useLocation();
  const create = useMutation(
    trpc.agents.create.mutationOptions({
      onSuccess: (a) => {
        void qc.invalidateQueries({ queryKey: trpc.agents.list.queryKey() });
        toast.success(`Agent “${a.name}” created`);
        onClose();
        navigate(`/agents/${a.id}`);
      },
    }),
  );

  const { errors, onSubmit } = useZodForm(
    createAgentInput,
    (value) => create.mutate(value),
    (data) => ({ templateId: template?.id, name: data.name, model: data.model || undefined }),
  );

  return (
    <Dialog open={!!template} onClose={onClose} title={template ? `New ${template.name.toLowerCase()}` : ""}>
      {template && (
        <form onSubmit={onSubmit} noValidate className="space-y-4" key={template.id}>
          <AgentFields
            name={template.name}
            model={template.defaultModel}
            errors={errors}
            modelHint="<provider>/<model>. Your team needs a key for that provider."
            autoFocus
          />
          <DialogActions onCancel={onClose} submitLabel="Create agent" busy={create.isPending} />
        </form>
      )}
    </Dialog>
  );
}
