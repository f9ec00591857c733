import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { toast } from "../lib/toast";
import {
  createApiKeyInput,
  type ApiKeySummary,
  type CreatedApiKey,
  API_KEY_SCOPES,
  API_KEY_SCOPE_LABELS,
  DEFAULT_API_KEY_SCOPES,
} from "@autoclaw/shared";
import {
  Button,
  Card,
  ConfirmDialog,
  Dialog,
  DialogActions,
  EmptyState,
  ErrorState,
  Field,
  Input,
  Loading,
  PageHeader,
  Table,
} from "../components/ui";
import { SecretOnce } from "../components/secret-once";
import { useCan, useTeams } from "../lib/teams";
import { useZodForm } from "../lib/forms";
import { errorMessage, useTRPC } from "../lib/trpc";
import { formatDate, relativeTime } from "../lib/format";

export function ApiKeysPage() {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const { current } = useTeams();
  const canManage = useCan()("manageTeam");
  const keys = useQuery(trpc.apiKeys.list.queryOptions());
  const [creating, setCreating] = useState(false);
  const [created, setCreated] = useState<CreatedApiKey | null>(null);
  const [revoking, setRevoking] = useState<ApiKeySummary | null>(null);

  const revoke = useMutation(
    trpc.apiKeys.revoke.mutationOptions({
      onSuccess: (remaining) => {
        qc.setQueryData(trpc.apiKeys.list.queryKey(), remaining);
        toast.success("API key revoked");
        setRevoking(null);
      },
    }),
  );

  return (
    <>
      <PageHeader
        title="API keys"
        description={
          <>
            Keys let your own services call the AutoClaw API as <span className="font-medium text-zinc-700">{current?.name}</span>. Send one
            as <code className="rounded bg-zinc-100 px-1 py-0.5 text-xs">Authorization: Bearer ak_…</code>
          </>
        }
        actions={canManage && <Button onClick={() => setCreating(true)}>New API key</Button>}
      />
      <Card>
        {keys.isPending ? (
          <Loading />
        ) : keys.isError ? (
          <ErrorState message={errorMessage(keys.error)} onRetry={() => keys.refetch()} />
        ) : keys.data.length === 0 ? (
          <EmptyState
            icon="⌘"
            title="No API keys yet"
            action={
              canManage && (
                <Button variant="secondary" onClick={() => setCreating(true)}>
                  Create your first key
                </Button>
              )
            }
          >
            Create a key to start runs and read results from your own code. Each key is shown once.
          </EmptyState>
        ) : (
          <Table columns={["Name", "Key", "Scopes", "Created", "Last used", ""]} testId="api-keys">
            {keys.data.map((k) => (
              <tr key={k.id}>
                <td className="px-5 py-3 font-medium">{k.name}</td>
                <td className="px-5 py-3 font-mono text-xs text-zinc-600">{k.prefix}…</td>
                <td className="px-5 py-3 text-xs text-zinc-600">{k.scopes.join(", ")}</td>
                <td className="px-5 py-3 text-zinc-600">{formatDate(k.createdAt)}</td>
                <td className="px-5 py-3 text-zinc-600">{relativeTime(k.lastUsedAt)}</td>
                <td className="px-5 py-3 text-right">
                  {canManage && (
                    <Button variant="danger" className="px-2.5 py-1 text-xs" onClick={() => setRevoking(k)}>
                      Revoke
                    </Button>
                  )}
                </td>
              </tr>
            ))}
          </Table>
        )}
      </Card>

      <CreateKeyDialog
        open={creating}
        onClose={() => setCreating(false)}
        onCreated={(k) => {
          setCreating(false);
          setCreated(k);
        }}
      />

      <Dialog open={!!created} onClose={() => setCreated(null)} title="Copy your new API key">
        {created && <SecretOnce name={created.name} secret={created.key} testId="new-api-key" onDone={() => setCreated(null)} />}
      </Dialog>

      <ConfirmDialog
        open={!!revoking}
        onClose={() => setRevoking(null)}
        title="Revoke API key?"
        confirmLabel="Revoke key"
        busy={revoke.isPending}
        onConfirm={() => revoking && revoke.mutate({ id: revoking.id })}
      >
        Anything using <span className="font-medium text-zinc-900">{revoking?.name}</span> (
        <code className="text-xs">{revoking?.prefix}…</code>) stops working immediately. This cannot be undone.
      </ConfirmDialog>
    </>
  );
}

function CreateKeyDialog({ open, onClose, onCreated }: { open: boolean; onClose: () => void; onCreated: (k: CreatedApiKey) => void }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const create = useMutation(
    trpc.apiKeys.create.mutationOptions({
      onSuccess: (k) => {
        void qc.invalidateQueries({ queryKey: trpc.apiKeys.list.queryKey() });
        toast.success("API key created");
        onCreated(k);
      },
    }),
  );

  const { errors, onSubmit } = useZodForm(
    createApiKeyInput,
    (value, form) => create.mutate(value, { onSuccess: () => form.reset() }),
    (data, all) => ({ name: data.name, scopes: all.getAll("scopes") }),
  );

  return (
    <Dialog open={open} onClose={onClose} title="New API key">
      <form onSubmit={onSubmit} noValidate className="space-y-5">
        <Field label="Name" error={errors.name} hint="What will use it, e.g. “CRM sync” or “staging”.">
          <Input name="name" autoFocus invalid={!!errors.name} />
        </Field>
        <fieldset data-testid="api-key-scopes">
          <legend className="mb-1.5 text-sm font-medium text-zinc-700">What it may do</legend>
          {API_KEY_SCOPES.map((s) => (
            <label key={s} className="flex items-center gap-2 py-1 text-sm text-zinc-700">
              <input type="checkbox" name="scopes" value={s} defaultChecked={DEFAULT_API_KEY_SCOPES.includes(s)} />
              {API_KEY_SCOPE_LABELS[s]}
            </label>
          ))}
          <p className="mt-1 text-xs text-zinc-500">No key can manage API keys, members, model keys or billing.</p>
          {errors.scopes && <p className="mt-1 text-sm text-red-600">{errors.scopes}</p>}
        </fieldset>
        <DialogActions onCancel={onClose} submitLabel="Create key" busy={create.isPending} />
      </form>
    </Dialog>
  );
}
