import { lazy, Suspense } from "react";
import { type ConversationVisibility, roleAllows } from "@autoclaw/shared";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Link } from "wouter";
import { toast } from "../lib/toast";
import { TeamAvatar } from "../components/AppShell";
import { BudgetBanner } from "../components/budget";
import { pollWhileActive, RunStatusBadge } from "../components/runs";
import { Card, EmptyState, ErrorState, Fact, Loading, Select } from "../components/ui";
import { errorMessage, useTRPC } from "../lib/trpc";
import { formatDate } from "../lib/format";

// The members card (its invite form and the form validation it brings) loads after the dashboard's first paint.
const Members = lazy(() => import("../components/members").then((m) => ({ default: m.Members })));

/** The team's Telegram as it is: off on this AutoClaw, no one paired yet, or who is paired. */
function TelegramCard() {
  const trpc = useTRPC();
  const status = useQuery(trpc.telegram.status.queryOptions());
  const pairings = useQuery({ ...trpc.telegram.pairings.queryOptions(), enabled: !!status.data?.enabled });
  const open = (
    <Link to="/telegram" className="text-sm font-medium text-brand-700 hover:underline">
      Open Telegram →
    </Link>
  );
  let body: React.ReactNode;
  if (status.isPending || (status.data?.enabled && pairings.isPending)) body = <Loading />;
  else if (status.isError) body = <ErrorState message={errorMessage(status.error)} onRetry={() => status.refetch()} />;
  else if (!status.data.enabled)
    body = (
      <EmptyState icon="✈" title="Telegram is off on this AutoClaw">
        An operator turns it on with {status.data.missingSettings.join(", ")}.
      </EmptyState>
    );
  else if (!pairings.data?.length)
    body = (
      <EmptyState icon="✈" title="No one paired yet" action={open}>
        Pair your Telegram account with @{status.data.botUsername} to talk to your agents in chat.
      </EmptyState>
    );
  else
    body = (
      <div className="space-y-2 p-5" data-testid="telegram-paired">
        <p className="text-sm text-zinc-700">
          {pairings.data.length} {pairings.data.length === 1 ? "person talks" : "people talk"} to your agents through @
          {status.data.botUsername}.
        </p>
        {open}
      </div>
    );
  return <Card title="Telegram">{body}</Card>;
}

export function DashboardPage() {
  const trpc = useTRPC();
  const team = useQuery(trpc.tenants.current.queryOptions());
  const keys = useQuery(trpc.apiKeys.list.queryOptions());
  const agents = useQuery(trpc.agents.list.queryOptions());
  const usage = useQuery(trpc.usage.summary.queryOptions({}));
  const recent = useQuery({
    ...trpc.runs.list.queryOptions({ limit: 5 }),
    refetchInterval: (q) => pollWhileActive(q.state.data?.items.map((r) => r.status)),
  });

  if (team.isPending) return <Loading />;
  if (team.isError) return <ErrorState message={errorMessage(team.error)} onRetry={() => team.refetch()} />;
  const t = team.data;

  return (
    <>
      <BudgetBanner />
      <div className="mb-8 flex items-center gap-4">
        <TeamAvatar name={t.name} />
        <div>
          <h1 className="text-2xl font-semibold tracking-tight" data-testid="team-name">
            {t.name}
          </h1>
          <p className="text-sm text-zinc-500">
            Created {formatDate(t.createdAt)} · You are <span className="font-medium text-zinc-700">{t.role}</span>
          </p>
        </div>
      </div>

      <div className="mb-8 grid gap-4 sm:grid-cols-2 lg:grid-cols-4">
        <Stat label="Members" value={t.members.length} />
        <Stat label="API keys" value={keys.data?.length ?? "…"} />
        <Stat label="Agents" value={agents.data?.length ?? "…"} />
        <Stat
          label="Runs (30 days)"
          value={usage.data?.total.runs ?? "…"}
          hint={usage.data && `${(usage.data.total.inputTokens + usage.data.total.outputTokens).toLocaleString()} tokens`}
        />
      </div>

      <div className="grid gap-6 lg:grid-cols-3">
        <div className="space-y-6 lg:col-span-2">
          <Card
            title="Agents"
            description="OpenClaw agents created from templates, running on your own model keys."
            actions={
              <Link to="/agents" className="text-sm font-medium text-brand-700 hover:underline">
                All agents
              </Link>
            }
          >
            {agents.data?.length ? (
              <ul className="divide-y divide-zinc-100">
                {agents.data.slice(0, 5).map((a) => (
                  <li key={a.id}>
                    <Link to={`/agents/${a.id}`} className="flex items-center justify-between px-5 py-3 text-sm hover:bg-zinc-50">
                      <span className="font-medium">{a.name}</span>
                      <code className="text-xs text-zinc-500">{a.model}</code>
                    </Link>
                  </li>
                ))}
              </ul>
            ) : (
              <EmptyState
                icon="✦"
                title="No agents yet"
                action={
                  <Link to="/agents" className="text-sm font-medium text-brand-700 hover:underline">
                    Browse templates →
                  </Link>
                }
              >
                Create an agent from a template. Add a model key first in Settings → Model keys.
              </EmptyState>
            )}
          </Card>
          <div className="grid gap-6 sm:grid-cols-2">
            <TelegramCard />
            <Card
              title="Recent runs"
              actions={
                <Link to="/runs" className="text-sm font-medium text-brand-700 hover:underline">
                  All
                </Link>
              }
            >
              {recent.data?.items.length ? (
                <ul className="divide-y divide-zinc-100">
                  {recent.data.items.map((r) => (
                    <li key={r.id}>
                      <Link to={`/runs/${r.id}`} className="flex items-center gap-3 px-5 py-2.5 text-sm hover:bg-zinc-50">
                        <RunStatusBadge status={r.status} retrying={!!r.error} />
                        <span className="truncate">{r.input}</span>
                      </Link>
                    </li>
                  ))}
                </ul>
              ) : (
                <EmptyState icon="▶" title="No runs yet">
                  Every agent turn — dashboard, API or Telegram — will be listed here.
                </EmptyState>
              )}
            </Card>
          </div>
        </div>
        <Suspense fallback={<Loading />}>
          <Members team={t} />
        </Suspense>
        <ConversationPrivacy canManage={roleAllows(t.role, "manageTeam")} />
      </div>
    </>
  );
}

/** Who besides its owner sees a conversation with an agent (and the runs that are its turns). */
function ConversationPrivacy({ canManage }: { canManage: boolean }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const settings = useQuery(trpc.conversations.settings.queryOptions());
  const set = useMutation(
    trpc.conversations.setVisibility.mutationOptions({
      onSuccess: (data) => {
        qc.setQueryData(trpc.conversations.settings.queryKey(), data);
        toast.success("Saved");
      },
    }),
  );
  if (!settings.data) return null;
  return (
    <Card title="Conversations">
      <div className="flex flex-wrap items-center gap-3 px-5 py-4 text-sm text-zinc-600">
        <label htmlFor="conversation-visibility">A person's chats with agents are visible to</label>
        <Select
          id="conversation-visibility"
          value={settings.data.visibility}
          disabled={!canManage || set.isPending}
          onChange={(e) => set.mutate({ visibility: e.target.value as ConversationVisibility })}
        >
          <option value="private">them and the team's admins</option>
          <option value="team">every member of the team</option>
        </Select>
      </div>
    </Card>
  );
}

function Stat({ label, value, hint }: { label: string; value: number | string; hint?: string | false }) {
  return (
    <Fact label={label} hint={hint || undefined}>
      <span className="text-2xl font-semibold text-zinc-900">{value}</span>
    </Fact>
  );
}
