import { useInfiniteQuery, useMutation, useQuery } from "@tanstack/react-query";
import { toast } from "../lib/toast";
import { AUDIT_ACTION_LABELS, AUDIT_ACTIONS, auditAction, type AuditEntry } from "@autoclaw/shared";
import { Badge, Button, Card, EmptyState, ErrorState, Loading, PageHeader, Select, Table } from "../components/ui";
import { formatDate } from "../lib/format";
import { useCan } from "../lib/teams";
import { useSearchFilters } from "../lib/filters";
import { errorMessage, useTRPC } from "../lib/trpc";

const KIND_LABEL: Record<AuditEntry["actor"]["kind"], string> = {
  user: "Person",
  apiKey: "API key",
  telegram: "Telegram",
  platform: "Platform",
};

/** The metadata as a short line ("from: member · to: admin"). */
const details = (m: AuditEntry["metadata"]) =>
  Object.entries(m)
    .filter(([, v]) => v !== null && v !== "")
    .map(([k, v]) => `${k}: ${v}`)
    .join(" · ");

export function AuditPage() {
  const can = useCan();
  if (!can("audit"))
    return (
      <>
        <PageHeader title="Audit log" />
        <Card>
          <EmptyState icon="☰" title="Only owners and admins can read the audit log">
            Ask an owner or admin of this team if you need to know who changed something.
          </EmptyState>
        </Card>
      </>
    );
  return <AuditLog />;
}

function AuditLog() {
  const trpc = useTRPC();
  const [params, setFilter] = useSearchFilters();
  const action = auditAction.safeParse(params.get("action")).data;
  const actorId = params.get("actor") || undefined;
  const team = useQuery(trpc.tenants.current.queryOptions());
  const keys = useQuery(trpc.apiKeys.list.queryOptions());
  const log = useInfiniteQuery(
    trpc.audit.list.infiniteQueryOptions({ action, actorId, limit: 50 }, { getNextPageParam: (p) => p.nextCursor ?? undefined }),
  );
  const entries = log.data?.pages.flatMap((p) => p.items) ?? [];
  const exportLog = useMutation(
    trpc.audit.export.mutationOptions({
      onSuccess: ({ url }) => {
        window.location.assign(url);
      },
      onError: (e) => toast.error(errorMessage(e)),
    }),
  );

  // Who can be picked: members, the team's keys, the platform, and anyone already seen in the log.
  const actors = new Map<string, string>();
  for (const m of team.data?.members ?? []) actors.set(m.userId, m.email);
  for (const k of keys.data ?? []) actors.set(k.id, `API key ${k.prefix}…`);
  actors.set("platform", "AutoClaw (platform)");
  for (const e of entries) if (!actors.has(e.actor.id)) actors.set(e.actor.id, e.actor.label);

  return (
    <>
      <PageHeader
        title="Audit log"
        description="Who changed what in this team, and from where. Entries cannot be edited or deleted; they are kept for 365 days."
        actions={
          <div className="flex gap-2">
            <Button variant="secondary" loading={exportLog.isPending} onClick={() => exportLog.mutate({ format: "csv" })}>
              Export CSV
            </Button>
            <Button variant="secondary" loading={exportLog.isPending} onClick={() => exportLog.mutate({ format: "jsonl" })}>
              Export JSONL
            </Button>
          </div>
        }
      />
      <div className="mb-4 flex gap-3">
        <Select aria-label="Filter by action" value={action ?? ""} onChange={(e) => setFilter("action", e.target.value)} className="w-64">
          <option value="">Every action</option>
          {AUDIT_ACTIONS.map((a) => (
            <option key={a} value={a}>
              {AUDIT_ACTION_LABELS[a]}
            </option>
          ))}
        </Select>
        <Select aria-label="Filter by actor" value={actorId ?? ""} onChange={(e) => setFilter("actor", e.target.value)} className="w-64">
          <option value="">Anyone</option>
          {[...actors].map(([id, label]) => (
            <option key={id} value={id}>
              {label}
            </option>
          ))}
        </Select>
      </div>
      <Card>
        {log.isPending ? (
          <Loading />
        ) : log.isError ? (
          <ErrorState message={errorMessage(log.error)} onRetry={() => log.refetch()} />
        ) : entries.length === 0 ? (
          <EmptyState icon="☰" title="Nothing recorded">
            {action || actorId ? "No entry matches these filters." : "Changes to keys, members, skills and the runtime appear here."}
          </EmptyState>
        ) : (
          <Table columns={["When", "Who", "Action", "Target", "Details", "From"]} testId="audit-entries">
            {entries.map((e) => (
              <tr key={e.id} data-action={e.action}>
                <td className="px-5 py-3 whitespace-nowrap text-zinc-600">{formatDate(e.at)}</td>
                <td className="px-5 py-3">
                  <div className="font-medium text-zinc-900">{e.actor.label}</div>
                  <Badge tone={e.actor.kind === "platform" ? "brand" : "zinc"}>{KIND_LABEL[e.actor.kind]}</Badge>
                </td>
                <td className="px-5 py-3">{AUDIT_ACTION_LABELS[e.action]}</td>
                <td className="px-5 py-3 text-zinc-700">{e.target ? (e.target.label ?? e.target.id) : "—"}</td>
                <td className="max-w-56 px-5 py-3 text-xs break-words text-zinc-500">{details(e.metadata) || "—"}</td>
                <td className="px-5 py-3 text-xs text-zinc-500" title={e.userAgent ?? undefined}>
                  {e.ip ?? "—"}
                </td>
              </tr>
            ))}
          </Table>
        )}
      </Card>
      {log.hasNextPage && (
        <div className="mt-4 flex justify-center">
          <Button variant="secondary" loading={log.isFetchingNextPage} onClick={() => log.fetchNextPage()}>
            Load older entries
          </Button>
        </div>
      )}
    </>
  );
}
