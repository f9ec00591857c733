import type { ConversationSummary, ConversationTurn } from "@autoclaw/shared";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { clsx } from "clsx";
import { useCallback, useEffect, useRef, useState } from "react";
import { Link, useParams, useSearchParams } from "wouter";
import { Markdown } from "../components/markdown";
import { isActive } from "../components/runs";
import { Button, ConfirmDialog, Dialog, DialogActions, EmptyState, ErrorState, Field, Input, Loading, Spinner } from "../components/ui";
import { relativeTime } from "../lib/format";
import { useLiveRun } from "../lib/live";
import { errorMessage, useTRPC } from "../lib/trpc";

/** `/agents/:id/chat`: the agent's conversations, one open (`?c=`), its history, and a composer. */
export function ChatPage() {
  const { id: agentId = "" } = useParams();
  const [params, setParams] = useSearchParams();
  const trpc = useTRPC();
  const qc = useQueryClient();
  const agent = useQuery(trpc.agents.get.queryOptions({ id: agentId }));
  const list = useQuery(trpc.conversations.list.queryOptions({ agentId, limit: 50 }));
  const open = (id: string) => setParams({ c: id }, { replace: true });
  const create = useMutation(
    trpc.conversations.create.mutationOptions({
      onSuccess: (c) => {
        void qc.invalidateQueries({ queryKey: trpc.conversations.list.queryKey() });
        open(c.id);
      },
    }),
  );
  const selected = params.get("c") ?? list.data?.items[0]?.id;

  if (agent.isPending || list.isPending) return <Loading />;
  if (agent.isError) return <ErrorState message={errorMessage(agent.error)} onRetry={() => agent.refetch()} />;
  if (list.isError) return <ErrorState message={errorMessage(list.error)} onRetry={() => list.refetch()} />;

  return (
    <>
      <Link to={`/agents/${agentId}`} className="mb-2 inline-block text-sm text-zinc-500 hover:text-zinc-900">
        ← {agent.data.name}
      </Link>
      <div className="flex h-[calc(100vh-9rem)] min-h-[28rem] overflow-hidden rounded-xl border border-zinc-200 bg-white shadow-sm">
        <aside className="flex w-64 shrink-0 flex-col border-r border-zinc-200 bg-zinc-50">
          <div className="border-b border-zinc-200 p-3">
            <Button className="w-full" loading={create.isPending} onClick={() => create.mutate({ agentId })}>
              New conversation
            </Button>
          </div>
          <ul className="flex-1 overflow-y-auto p-2" data-testid="conversations">
            {list.data.items.map((c) => (
              <ConversationItem key={c.id} c={c} active={c.id === selected} onOpen={() => open(c.id)} />
            ))}
            {list.data.items.length === 0 && <li className="p-3 text-sm text-zinc-500">No conversations yet.</li>}
          </ul>
        </aside>
        <section className="flex min-w-0 flex-1 flex-col">
          {selected ? (
            <Conversation key={selected} id={selected} agentName={agent.data.name} onGone={() => setParams({}, { replace: true })} />
          ) : (
            <div className="flex flex-1 items-center justify-center p-8">
              <EmptyState
                icon="💬"
                title={`Talk to ${agent.data.name}`}
                action={
                  <Button loading={create.isPending} onClick={() => create.mutate({ agentId })}>
                    Start a conversation
                  </Button>
                }
              >
                A conversation remembers what was said in it; a new one starts fresh.
              </EmptyState>
            </div>
          )}
        </section>
      </div>
    </>
  );
}

function ConversationItem({ c, active, onOpen }: { c: ConversationSummary; active: boolean; onOpen: () => void }) {
  return (
    <li>
      <button
        type="button"
        onClick={onOpen}
        aria-current={active}
        className={clsx(
          "w-full rounded-lg px-3 py-2 text-left text-sm",
          active ? "bg-white font-medium shadow-sm ring-1 ring-zinc-200" : "text-zinc-700 hover:bg-white",
        )}
      >
        <span className="block truncate">{c.title}</span>
        <span className="block truncate text-xs font-normal text-zinc-400">
          {c.source === "telegram" ? "Telegram · " : ""}
          {c.mine ? "" : `${c.owner.name} · `}
          {relativeTime(c.updatedAt)}
        </span>
      </button>
    </li>
  );
}

function Conversation({ id, agentName, onGone }: { id: string; agentName: string; onGone: () => void }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const conv = useQuery(trpc.conversations.get.queryOptions({ id }));
  const refresh = useCallback(() => {
    void qc.invalidateQueries({ queryKey: trpc.conversations.get.queryKey({ id }) });
    void qc.invalidateQueries({ queryKey: trpc.conversations.list.queryKey() });
  }, [qc, trpc, id]);
  const [draft, setDraft] = useState("");
  const [renaming, setRenaming] = useState(false);
  const [removing, setRemoving] = useState(false);
  const send = useMutation(trpc.conversations.send.mutationOptions({ onSuccess: refresh }));
  const stop = useMutation(trpc.runs.cancel.mutationOptions());
  const remove = useMutation(
    trpc.conversations.remove.mutationOptions({
      onSuccess: () => {
        void qc.invalidateQueries({ queryKey: trpc.conversations.list.queryKey() });
        onGone();
      },
    }),
  );
  const history = conv.data?.history ?? [];
  const last = history.at(-1);
  const streaming = last && isActive(last.status) ? last : undefined;
  const live = useLiveRun(streaming?.runId, !!streaming);
  useEffect(() => {
    if (live.done) refresh();
  }, [live.done, refresh]);
  const bottom = useRef<HTMLDivElement>(null);
  // Follows the newest text: each new turn, and each piece of a streaming reply.
  const follow = `${history.length}:${live.text.length}`;
  useEffect(() => {
    // Chromium's scrollIntoView returns a promise now: never let it be the effect's clean-up.
    if (follow) void bottom.current?.scrollIntoView({ block: "end" });
  }, [follow]);

  if (conv.isPending) return <Loading />;
  if (conv.isError) return <ErrorState message={errorMessage(conv.error)} onRetry={() => conv.refetch()} />;
  const c = conv.data;
  const submit = () => {
    const input = draft.trim();
    if (!input || streaming || send.isPending) return;
    send.mutate({ conversationId: id, input, idempotencyKey: crypto.randomUUID() }, { onSuccess: () => setDraft("") });
  };

  return (
    <>
      <header className="flex items-center gap-3 border-b border-zinc-200 px-5 py-3">
        <h1 className="min-w-0 flex-1 truncate font-semibold" data-testid="conversation-title">
          {c.title}
        </h1>
        {!c.mine && <span className="text-xs text-zinc-500">{c.owner.name}'s conversation</span>}
        <Button variant="secondary" onClick={() => setRenaming(true)}>
          Rename
        </Button>
        <Button variant="secondary" onClick={() => setRemoving(true)}>
          Delete
        </Button>
      </header>
      <div className="flex-1 overflow-y-auto px-5 py-4" data-testid="chat-history">
        {history.length === 0 && <p className="py-10 text-center text-sm text-zinc-500">Say something to {agentName}.</p>}
        <ol className="space-y-4">
          {history.map((t) => (
            <Turn
              key={t.runId}
              t={t}
              agentName={agentName}
              liveText={t === streaming ? live.text : undefined}
              phase={t === streaming ? live.phase : null}
            />
          ))}
        </ol>
        <div ref={bottom} />
      </div>
      <footer className="border-t border-zinc-200 p-3">
        {c.writable ? (
          <form
            className="flex items-end gap-2"
            onSubmit={(e) => {
              e.preventDefault();
              submit();
            }}
          >
            <textarea
              aria-label="Message"
              rows={2}
              value={draft}
              onChange={(e) => setDraft(e.target.value)}
              onKeyDown={(e) => {
                // Enter sends; Shift+Enter breaks the line.
                if (e.key === "Enter" && !e.shiftKey && !e.nativeEvent.isComposing) {
                  e.preventDefault();
                  submit();
                }
              }}
              placeholder={`Message ${agentName}…  (Enter sends, Shift+Enter for a new line)`}
              className="min-h-[2.75rem] flex-1 resize-none rounded-lg border border-zinc-300 px-3 py-2 text-sm focus:border-brand-500 focus:ring-2 focus:ring-brand-500/20 focus:outline-none"
            />
            {streaming ? (
              <Button type="button" variant="danger" loading={stop.isPending} onClick={() => stop.mutate({ id: streaming.runId })}>
                Stop
              </Button>
            ) : (
              <Button type="submit" loading={send.isPending} disabled={!draft.trim()}>
                Send
              </Button>
            )}
          </form>
        ) : (
          <p className="text-center text-sm text-zinc-500">
            {c.source === "telegram" ? "This conversation is written from Telegram." : `Only ${c.owner.name} writes in this conversation.`}
          </p>
        )}
      </footer>
      <RenameDialog open={renaming} onClose={() => setRenaming(false)} id={id} title={c.title} onDone={refresh} />
      <ConfirmDialog
        open={removing}
        onClose={() => setRemoving(false)}
        title="Delete this conversation?"
        confirmLabel="Delete"
        busy={remove.isPending}
        onConfirm={() => remove.mutate({ id })}
      >
        It leaves the list. Its runs stay in the team's history.
      </ConfirmDialog>
    </>
  );
}

function Turn({ t, agentName, liveText, phase }: { t: ConversationTurn; agentName: string; liveText?: string; phase: string | null }) {
  const text = t.output ?? liveText ?? "";
  return (
    <li className="space-y-2" data-testid="turn">
      <div className="ml-auto max-w-[80%] rounded-2xl rounded-br-sm bg-brand-600 px-4 py-2 text-sm whitespace-pre-wrap text-white">
        {t.input}
      </div>
      <div className="max-w-[85%] rounded-2xl rounded-bl-sm bg-zinc-100 px-4 py-2" data-testid="reply">
        <span className="mb-1 block text-xs font-medium text-zinc-500">{agentName}</span>
        {text ? <Markdown>{text}</Markdown> : null}
        {isActive(t.status) && (
          <span className="flex items-center gap-2 text-xs text-zinc-500">
            <Spinner className="h-3 w-3" />
            {phase === "starting runtime" ? "Starting the runtime…" : text ? "Writing…" : "Thinking…"}
          </span>
        )}
        {t.status === "failed" && <p className="text-sm text-red-700">{t.error}</p>}
        {t.status === "canceled" && <p className="text-xs text-zinc-500">Stopped.</p>}
        <Link to={`/runs/${t.runId}`} className="mt-1 block text-xs text-zinc-400 hover:underline">
          Run
        </Link>
      </div>
    </li>
  );
}

function RenameDialog({
  open,
  onClose,
  id,
  title,
  onDone,
}: {
  open: boolean;
  onClose: () => void;
  id: string;
  title: string;
  onDone: () => void;
}) {
  const trpc = useTRPC();
  const [value, setValue] = useState(title);
  useEffect(() => {
    setValue(title);
  }, [title]);
  const rename = useMutation(
    trpc.conversations.rename.mutationOptions({
      onSuccess: () => {
        onDone();
        onClose();
      },
    }),
  );
  return (
    <Dialog open={open} onClose={onClose} title="Rename conversation">
      <form
        onSubmit={(e) => {
          e.preventDefault();
          rename.mutate({ id, title: value });
        }}
      >
        <Field label="Title">
          <Input value={value} onChange={(e) => setValue(e.target.value)} autoFocus />
        </Field>
        <DialogActions onCancel={onClose} submitLabel="Rename" busy={rename.isPending} />
      </form>
    </Dialog>
  );
}
