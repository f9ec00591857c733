import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { toast } from "../lib/toast";
import { type CreatedTrigger, DEFAULT_TRIGGER_TEMPLATE, type TriggerSummary } from "@autoclaw/shared";
import { relativeTime } from "../lib/format";
import { useCan } from "../lib/teams";
import { errorMessage, useTRPC } from "../lib/trpc";
import { SecretOnce } from "./secret-once";
import { Button, Card, ConfirmDialog, Dialog, DialogActions, EmptyState, ErrorState, Field, Input, Loading, Table, Textarea } from "./ui";

export function AgentTriggers({ agentId }: { agentId: string }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const canManage = useCan()("manageAgents");
  const list = useQuery(trpc.triggers.list.queryOptions({ agentId }));
  const [creating, setCreating] = useState(false);
  const [created, setCreated] = useState<CreatedTrigger | null>(null);
  const [revoking, setRevoking] = useState<TriggerSummary | null>(null);
  const revoke = useMutation(
    trpc.triggers.revoke.mutationOptions({
      onSuccess: () => {
        void qc.invalidateQueries({ queryKey: trpc.triggers.list.queryKey() });
        setRevoking(null);
        toast.success("Trigger revoked");
      },
    }),
  );
  return (
    <Card
      title="Triggers"
      description="URLs your other systems POST to (a form submitted, a ticket opened): each request starts a run, its body as the input."
      className="mt-6"
      actions={
        canManage && (
          <Button className="whitespace-nowrap" onClick={() => setCreating(true)}>
            New trigger
          </Button>
        )
      }
    >
      {list.isPending ? (
        <Loading />
      ) : list.isError ? (
        <ErrorState message={errorMessage(list.error)} onRetry={() => list.refetch()} />
      ) : list.data.length === 0 ? (
        <EmptyState icon="⇥" title="No triggers">
          Make one and give its URL and secret to the system that should start this agent.
        </EmptyState>
      ) : (
        <Table columns={["Name", "URL", "Last used", ""]} testId="triggers">
          {list.data.map((t) => (
            <tr key={t.id}>
              <td className="px-5 py-3 font-medium">{t.name}</td>
              <td className="px-5 py-3 font-mono text-xs break-all text-zinc-600">{t.url}</td>
              <td className="px-5 py-3 text-zinc-600">{relativeTime(t.lastUsedAt)}</td>
              <td className="px-5 py-3 text-right">
                {canManage && (
                  <Button variant="danger" className="px-2.5 py-1 text-xs" onClick={() => setRevoking(t)}>
                    Revoke
                  </Button>
                )}
              </td>
            </tr>
          ))}
        </Table>
      )}
      <CreateTriggerDialog
        agentId={agentId}
        open={creating}
        onClose={() => setCreating(false)}
        onCreated={(t) => {
          setCreating(false);
          setCreated(t);
        }}
      />
      <Dialog open={!!created} onClose={() => setCreated(null)} title="Copy the trigger's secret">
        {created && (
          <SecretOnce name={`${created.name}'s secret`} secret={created.secret} testId="new-trigger-secret" onDone={() => setCreated(null)}>
            <pre className="overflow-x-auto rounded-lg bg-zinc-900 p-3 text-xs text-zinc-100">
              {`curl -X POST ${created.url} \\\n  -H 'Authorization: Bearer ${created.secret}' \\\n  -H 'Content-Type: application/json' \\\n  -d '{"subject": "Printer on fire"}'`}
            </pre>
          </SecretOnce>
        )}
      </Dialog>
      <ConfirmDialog
        open={!!revoking}
        onClose={() => setRevoking(null)}
        title="Revoke trigger?"
        confirmLabel="Revoke trigger"
        busy={revoke.isPending}
        onConfirm={() => revoking && revoke.mutate({ id: revoking.id })}
      >
        Requests to <span className="font-medium text-zinc-900">{revoking?.name}</span> are refused from now on.
      </ConfirmDialog>
    </Card>
  );
}

function CreateTriggerDialog({
  agentId,
  open,
  onClose,
  onCreated,
}: {
  agentId: string;
  open: boolean;
  onClose: () => void;
  onCreated: (t: CreatedTrigger) => void;
}) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const [name, setName] = useState("");
  const [template, setTemplate] = useState(DEFAULT_TRIGGER_TEMPLATE);
  const create = useMutation(
    trpc.triggers.create.mutationOptions({
      onSuccess: (t) => {
        void qc.invalidateQueries({ queryKey: trpc.triggers.list.queryKey() });
        setName("");
        onCreated(t);
      },
    }),
  );
  return (
    <Dialog open={open} onClose={onClose} title="New trigger">
      <form
        noValidate
        className="space-y-4"
        onSubmit={(e) => {
          e.preventDefault();
          create.mutate({ agentId, name, template });
        }}
      >
        <Field label="Name">
          <Input value={name} onChange={(e) => setName(e.target.value)} placeholder="Support form" />
        </Field>
        <Field label="Template" hint="{{body}} is the request's body; with JSON, {{field}} and {{a.b}} are its fields.">
          <Textarea rows={3} value={template} onChange={(e) => setTemplate(e.target.value)} className="font-mono text-xs" />
        </Field>
        {create.isError && (
          <p className="text-sm text-red-600" role="alert">
            {errorMessage(create.error)}
          </p>
        )}
        <DialogActions onCancel={onClose} submitLabel="Create trigger" busy={create.isPending} />
      </form>
    </Dialog>
  );
}
