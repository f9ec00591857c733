import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { Link, useLocation, useParams } from "wouter";
import { toast } from "../lib/toast";
import { createRunInput, updateAgentInput, type Agent } from "@autoclaw/shared";
import { isActive, RunsTable } from "../components/runs";
import { AgentFields } from "../components/agents";
import { AgentSchedules } from "../components/schedules";
import { AgentTriggers } from "../components/triggers";
import {
  Button,
  Card,
  ConfirmDialog,
  Dialog,
  DialogActions,
  EmptyState,
  ErrorState,
  Field,
  Loading,
  PageHeader,
  Table,
  Textarea,
} from "../components/ui";
import { useZodForm } from "../lib/forms";
import { useCan } from "../lib/teams";
import { useLiveRun } from "../lib/live";
import { errorMessage, useTRPC } from "../lib/trpc";
import { formatBytes, relativeTime } from "../lib/format";

export function AgentPage() {
  const { id = "" } = useParams();
  const trpc = useTRPC();
  const agent = useQuery(trpc.agents.get.queryOptions({ id }));
  const runs = useQuery(trpc.runs.list.queryOptions({ agentId: id, limit: 20 }));
  // The oldest run still working is followed live (the agent runs one turn at a time); each change of its phase reads the list again.
  const working = runs.data?.items.filter((r) => isActive(r.status)).at(-1);
  const live = useLiveRun(working?.id, !!working);
  const qc = useQueryClient();
  useEffect(() => {
    if (live.phase) void qc.invalidateQueries({ queryKey: trpc.runs.list.queryKey({ agentId: id, limit: 20 }) });
  }, [live.phase, qc, trpc, id]);
  const [editing, setEditing] = useState(false);
  const [deleting, setDeleting] = useState(false);
  const canManage = useCan()("manageAgents");

  if (agent.isPending) return <Loading />;
  if (agent.isError) return <ErrorState message={errorMessage(agent.error)} onRetry={() => agent.refetch()} />;
  const a = agent.data;

  return (
    <>
      <Link to="/agents" className="mb-2 inline-block text-sm text-zinc-500 hover:text-zinc-900">
        ← Agents
      </Link>
      <PageHeader
        title={a.name}
        description={
          <>
            Model <code className="rounded bg-zinc-100 px-1.5 py-0.5 text-xs">{a.model}</code> · template {a.templateId}
          </>
        }
        actions={
          <div className="flex gap-2">
            <Link
              to={`/agents/${a.id}/chat`}
              className="inline-flex items-center rounded-lg bg-brand-600 px-3.5 py-2 text-sm font-medium text-white shadow-sm hover:bg-brand-700"
            >
              Chat
            </Link>
            {canManage && (
              <>
                <Button variant="secondary" onClick={() => setEditing(true)}>
                  Edit
                </Button>
                <Button variant="danger" onClick={() => setDeleting(true)}>
                  Delete
                </Button>
              </>
            )}
          </div>
        }
      />
      <RunComposer agent={a} />
      <Card title="Runs" className="mt-6">
        {runs.isPending ? (
          <Loading />
        ) : runs.isError ? (
          <ErrorState message={errorMessage(runs.error)} onRetry={() => runs.refetch()} />
        ) : runs.data.items.length === 0 ? (
          <EmptyState icon="▶" title="No runs yet">
            Ask the agent something above. Runs from the API and Telegram show up here too.
          </EmptyState>
        ) : (
          <RunsTable runs={runs.data.items} />
        )}
      </Card>
      <AgentSchedules agentId={a.id} />
      <AgentTriggers agentId={a.id} />
      <AgentFiles agentId={a.id} />
      <EditAgentDialog agent={a} open={editing} onClose={() => setEditing(false)} />
      <DeleteAgentDialog agent={a} open={deleting} onClose={() => setDeleting(false)} />
    </>
  );
}

/** What the agent keeps in its workspace (its persona, notes, memory), as saved after its turns. */
function AgentFiles({ agentId }: { agentId: string }) {
  const trpc = useTRPC();
  const files = useQuery(trpc.agents.files.queryOptions({ id: agentId }));
  return (
    <Card
      title="Files"
      description="The agent's workspace, saved after every turn. Previous versions of changed or deleted files are kept for 30 days."
      className="mt-6"
    >
      {files.isPending ? (
        <Loading />
      ) : files.isError ? (
        <ErrorState message={errorMessage(files.error)} onRetry={() => files.refetch()} />
      ) : (
        <Table columns={["File", "Size", "Saved", "Versions"]} testId="agent-files">
          {files.data.map((f) => (
            <tr key={f.path}>
              <td className="px-5 py-3 font-mono text-xs">{f.path}</td>
              <td className="px-5 py-3 text-zinc-500">{formatBytes(f.size)}</td>
              <td className="px-5 py-3 text-zinc-500">{relativeTime(f.updatedAt)}</td>
              <td className="px-5 py-3 text-zinc-500">{f.versions || "—"}</td>
            </tr>
          ))}
        </Table>
      )}
    </Card>
  );
}

function RunComposer({ agent }: { agent: Agent }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const [, navigate] = useLocation();
  const start = useMutation(
    trpc.runs.create.mutationOptions({
      onSuccess: (r) => {
        void qc.invalidateQueries({ queryKey: trpc.runs.list.queryKey() });
        toast.success("Run queued");
        navigate(`/runs/${r.id}`);
      },
    }),
  );

  const { firstError: error, onSubmit } = useZodForm(
    createRunInput,
    (value) => start.mutate(value),
    (data) => ({ agentId: agent.id, input: data.input }),
  );

  return (
    <Card>
      <form onSubmit={onSubmit} noValidate className="space-y-3 p-5">
        <Field label={`Ask ${agent.name}`} error={error}>
          <Textarea name="input" rows={4} placeholder="What should the agent do?" invalid={!!error} />
        </Field>
        <div className="flex justify-end">
          <Button type="submit" loading={start.isPending}>
            Start run
          </Button>
        </div>
      </form>
    </Card>
  );
}

function EditAgentDialog({ agent, open, onClose }: { agent: Agent; open: boolean; onClose: () => void }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const update = useMutation(
    trpc.agents.update.mutationOptions({
      onSuccess: (a) => {
        qc.setQueryData(trpc.agents.get.queryKey({ id: a.id }), a);
        void qc.invalidateQueries({ queryKey: trpc.agents.list.queryKey() });
        toast.success("Agent updated");
        onClose();
      },
    }),
  );
  const { errors, onSubmit } = useZodForm(
    updateAgentInput,
    (value) => update.mutate(value),
    (data) => ({ id: agent.id, name: data.name, model: data.model }),
  );
  return (
    <Dialog open={open} onClose={onClose} title="Edit agent">
      <form onSubmit={onSubmit} noValidate className="space-y-4" key={agent.updatedAt}>
        <AgentFields
          name={agent.name}
          model={agent.model}
          errors={errors}
          modelHint="<provider>/<model>, e.g. openai/gpt-4.1-mini or custom/llama3.2"
        />
        <DialogActions onCancel={onClose} submitLabel="Save" busy={update.isPending} />
      </form>
    </Dialog>
  );
}

function DeleteAgentDialog({ agent, open, onClose }: { agent: Agent; open: boolean; onClose: () => void }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const [, navigate] = useLocation();
  const remove = useMutation(
    trpc.agents.remove.mutationOptions({
      onSuccess: () => {
        void qc.invalidateQueries({ queryKey: trpc.agents.list.queryKey() });
        toast.success(`Agent “${agent.name}” deleted`);
        navigate("/agents");
      },
    }),
  );
  return (
    <ConfirmDialog
      open={open}
      onClose={onClose}
      title="Delete agent?"
      confirmLabel="Delete agent"
      busy={remove.isPending}
      onConfirm={() => remove.mutate({ id: agent.id })}
    >
      <span className="font-medium text-zinc-900">{agent.name}</span> stops answering and its workspace files are removed. Its past runs
      stay in the run history.
    </ConfirmDialog>
  );
}
