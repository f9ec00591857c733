import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { toast } from "../lib/toast";
import { PROVIDER_LABELS, PROVIDERS, setProviderKeyInput, type Provider } from "@autoclaw/shared";
import { Button, Card, Dialog, DialogActions, ErrorState, Field, Input, Loading, PageHeader } from "../components/ui";
import { useCan } from "../lib/teams";
import { useZodForm } from "../lib/forms";
import { errorMessage, useTRPC } from "../lib/trpc";
import { relativeTime } from "../lib/format";

const HINTS: Record<Provider, string> = {
  openai: "Models like openai/gpt-4.1-mini, through Cloudflare AI Gateway.",
  anthropic: "Models like anthropic/claude-sonnet-4-5, through Cloudflare AI Gateway.",
  google: "Models like google/gemini-2.5-flash, through Cloudflare AI Gateway.",
  custom: "Any OpenAI-compatible server (Ollama, vLLM, llama.cpp). Agents use it as custom/<model>.",
};

export function ModelKeysPage() {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const canManage = useCan()("manageTeam");
  const keys = useQuery(trpc.providerKeys.list.queryOptions());
  const [editing, setEditing] = useState<Provider | null>(null);
  const remove = useMutation(
    trpc.providerKeys.remove.mutationOptions({
      onSuccess: (list) => {
        qc.setQueryData(trpc.providerKeys.list.queryKey(), list);
        toast.success("Key removed");
      },
    }),
  );

  return (
    <>
      <PageHeader
        title="Model keys"
        description="Bring your own keys: agents call models with them. Keys are encrypted at rest and never shown again — only their last 4 characters."
      />
      <Card>
        {keys.isPending ? (
          <Loading />
        ) : keys.isError ? (
          <ErrorState message={errorMessage(keys.error)} onRetry={() => keys.refetch()} />
        ) : (
          <ul className="divide-y divide-zinc-100" data-testid="provider-keys">
            {PROVIDERS.map((p) => {
              const key = keys.data.find((k) => k.provider === p);
              return (
                <li key={p} className="flex items-center gap-4 px-5 py-4" data-provider={p}>
                  <div className="min-w-0 flex-1">
                    <p className="text-sm font-semibold">{PROVIDER_LABELS[p]}</p>
                    <p className="text-xs text-zinc-500">{HINTS[p]}</p>
                    {key && (
                      <p className="mt-1 font-mono text-xs text-zinc-600">
                        ••••{key.last4}
                        {key.baseUrl && <span className="ml-2 text-zinc-400">{key.baseUrl}</span>}
                        <span className="ml-2 font-sans text-zinc-400">updated {relativeTime(key.updatedAt)}</span>
                      </p>
                    )}
                  </div>
                  {canManage && (
                    <div className="flex gap-2">
                      <Button variant="secondary" className="px-2.5 py-1 text-xs" onClick={() => setEditing(p)}>
                        {key ? "Replace" : "Add key"}
                      </Button>
                      {key && (
                        <Button
                          variant="danger"
                          className="px-2.5 py-1 text-xs"
                          loading={remove.isPending && remove.variables?.provider === p}
                          onClick={() => remove.mutate({ provider: p })}
                        >
                          Remove
                        </Button>
                      )}
                    </div>
                  )}
                </li>
              );
            })}
          </ul>
        )}
      </Card>
      <KeyDialog provider={editing} onClose={() => setEditing(null)} />
    </>
  );
}

function KeyDialog({ provider, onClose }: { provider: Provider | null; onClose: () => void }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const set = useMutation(
    trpc.providerKeys.set.mutationOptions({
      onSuccess: (k) => {
        void qc.invalidateQueries({ queryKey: trpc.providerKeys.list.queryKey() });
        toast.success(`${PROVIDER_LABELS[k.provider]} key saved (••••${k.last4})`);
        onClose();
      },
    }),
  );

  const { errors, onSubmit } = useZodForm(
    setProviderKeyInput,
    (value, form) => set.mutate(value, { onSuccess: () => form.reset() }),
    (data) => ({ provider, apiKey: data.apiKey, ...(data.baseUrl && { baseUrl: data.baseUrl }) }),
  );

  return (
    <Dialog open={!!provider} onClose={onClose} title={provider ? `${PROVIDER_LABELS[provider]} key` : ""}>
      <form onSubmit={onSubmit} noValidate className="space-y-4">
        {provider === "custom" && (
          <Field label="Base URL" error={errors.baseUrl} hint="The OpenAI-compatible API root, ending in /v1">
            <Input name="baseUrl" placeholder="http://127.0.0.1:11434/v1" invalid={!!errors.baseUrl} />
          </Field>
        )}
        <Field label="API key" error={errors.apiKey} hint="Stored encrypted. You will not see it again.">
          <Input name="apiKey" type="password" autoComplete="off" invalid={!!errors.apiKey} />
        </Field>
        <DialogActions onCancel={onClose} submitLabel="Save key" busy={set.isPending} />
      </form>
    </Dialog>
  );
}
