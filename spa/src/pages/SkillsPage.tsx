import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useMemo, useState } from "react";
import { toast } from "../lib/toast";
import { SKILL_SOURCES, type SkillEntry, type SkillsList } from "@autoclaw/shared";
import {
  Alert,
  Badge,
  Button,
  Card,
  Dialog,
  EmptyState,
  ErrorState,
  Field,
  Input,
  Loading,
  PageHeader,
  Select,
  Switch,
  Table,
} from "../components/ui";
import { relativeTime } from "../lib/format";
import { useCan } from "../lib/teams";
import { errorMessage, useTRPC } from "../lib/trpc";

const FILTERS = { all: "All skills", eligible: "Eligible", "not-eligible": "Not eligible", enabled: "Enabled", hidden: "Hidden" } as const;
type Filter = keyof typeof FILTERS;

const matches = (s: SkillEntry, f: Filter) =>
  f === "all" ||
  (f === "eligible" && s.eligible) ||
  (f === "not-eligible" && !s.eligible) ||
  (f === "enabled" && s.effective) ||
  (f === "hidden" && s.hidden);

/** What the missing requirements come to, in a few words. */
function missingSummary(s: SkillEntry): string {
  const m = s.missing;
  const parts = [
    m.env.length && `needs ${m.env.join(", ")}`,
    m.bins.length && `needs ${m.bins.join(", ")}`,
    m.anyBins.length && `needs one of ${m.anyBins.join(", ")}`,
    m.os.length && `${m.os.join("/")} only`,
    m.config.length && "needs config",
  ].filter(Boolean);
  return parts.join(" · ") || "not eligible";
}

export function SkillsPage() {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const canManage = useCan()("manageTeam");
  const list = useQuery(trpc.skills.list.queryOptions());
  const packs = useQuery(trpc.skills.packs.queryOptions());
  const [search, setSearch] = useState("");
  const [filter, setFilter] = useState<Filter>("all");
  const [source, setSource] = useState("");
  const [pack, setPack] = useState("");
  const [diagnosing, setDiagnosing] = useState<string | null>(null);
  const [lastApplied, setLastApplied] = useState<SkillsList["applied"] | null>(null);

  const settle = (data: SkillsList) => {
    qc.setQueryData(trpc.skills.list.queryKey(), data);
    void qc.invalidateQueries({ queryKey: trpc.skills.packs.queryKey() });
    void qc.invalidateQueries({ queryKey: trpc.skills.history.queryKey() });
    setLastApplied(data.applied);
  };
  const update = useMutation(trpc.skills.updatePolicy.mutationOptions({ onSuccess: settle }));
  const refresh = useMutation(
    trpc.skills.refresh.mutationOptions({
      onSuccess: (data) => {
        qc.setQueryData(trpc.skills.list.queryKey(), data);
        void qc.invalidateQueries({ queryKey: trpc.skills.packs.queryKey() });
        toast.success(data.note ? "Showing the last list" : "Read from the runtime");
      },
    }),
  );
  const apply = useMutation(
    trpc.skills.applyPack.mutationOptions({
      onSuccess: (data, v) => {
        settle(data);
        toast.success(`${packs.data?.find((p) => p.id === v.pack)?.name ?? v.pack} pack applied`);
      },
    }),
  );

  const shown = useMemo(() => {
    const q = search.trim().toLowerCase();
    // What the team may use first; the platform's denied skills last, each part by name.
    const ordered = [...(list.data?.skills ?? [])].sort((a, b) => Number(b.allowed) - Number(a.allowed) || a.name.localeCompare(b.name));
    return ordered.filter(
      (s) =>
        matches(s, filter) &&
        (!source || s.source === source) &&
        (!pack || s.packs.includes(pack)) &&
        (!q || s.name.includes(q) || s.description.toLowerCase().includes(q)),
    );
  }, [list.data, search, filter, source, pack]);

  if (list.isPending) return <Loading label="Asking your runtime for its skills…" />;
  if (list.isError) return <ErrorState message={errorMessage(list.error)} onRetry={() => list.refetch()} />;
  const data = list.data;
  const set = (name: string, patch: { enabled?: boolean; hidden?: boolean }) => update.mutate({ policies: [{ name, ...patch }] });

  return (
    <>
      <PageHeader
        title="Skills"
        description="What your team's OpenClaw really has, and which skills your agents may use. Hidden skills are not listed to chat users."
        actions={
          canManage && (
            <Button variant="secondary" loading={refresh.isPending} onClick={() => refresh.mutate()}>
              Refresh
            </Button>
          )
        }
      />
      <div className="mb-4 flex flex-wrap items-center gap-3 text-sm text-zinc-600">
        <span data-testid="inventory-at">
          {data.inventoryAt ? `Read from the runtime: ${relativeTime(data.inventoryAt).toLowerCase()}` : "Not read from the runtime yet"}
        </span>
        {lastApplied && (
          <span data-testid="applied">
            {lastApplied === "live" ? (
              <Badge tone="green">Live on the gateway</Badge>
            ) : (
              <Badge tone="amber">Applies when the runtime next starts</Badge>
            )}
          </span>
        )}
      </div>
      {data.note && (
        <div className="mb-4">
          <Alert tone="amber" title="Not fresh from the runtime" testId="skills-note">
            <p>{data.note}</p>
          </Alert>
        </div>
      )}

      <Card title="Skills" description={`${shown.length} of ${data.skills.length} shown`}>
        <div className="grid gap-2 border-b border-zinc-100 px-5 py-3 sm:grid-cols-4">
          <Input placeholder="Search skills" aria-label="Search skills" value={search} onChange={(e) => setSearch(e.target.value)} />
          <Select aria-label="Filter" value={filter} onChange={(e) => setFilter(e.target.value as Filter)}>
            {Object.entries(FILTERS).map(([k, v]) => (
              <option key={k} value={k}>
                {v}
              </option>
            ))}
          </Select>
          <Select aria-label="Source" value={source} onChange={(e) => setSource(e.target.value)}>
            <option value="">Any source</option>
            {SKILL_SOURCES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </Select>
          <Select aria-label="Pack" value={pack} onChange={(e) => setPack(e.target.value)}>
            <option value="">Any pack</option>
            {(packs.data ?? []).map((p) => (
              <option key={p.id} value={p.id}>
                {p.name}
              </option>
            ))}
          </Select>
        </div>
        {data.skills.length === 0 ? (
          <EmptyState icon="✧" title="No skills read yet">
            Run an agent (or start the runtime), then refresh: the list comes from your OpenClaw itself.
          </EmptyState>
        ) : (
          <Table columns={["Skill", "Source", "Eligible", "Enabled", "Hidden"]} testId="skills">
            {shown.map((s) => (
              <tr key={s.name} data-skill={s.name}>
                <td className="px-5 py-3">
                  <div className="font-medium text-zinc-900">
                    {s.emoji && <span className="mr-1.5">{s.emoji}</span>}
                    {s.name}
                    {s.packs.map((p) => (
                      <span key={p} className="ml-2">
                        <Badge>{packs.data?.find((x) => x.id === p)?.name ?? p}</Badge>
                      </span>
                    ))}
                  </div>
                  <p className="mt-0.5 max-w-xl text-xs text-zinc-500">{s.description}</p>
                  {!s.allowed && <p className="mt-0.5 text-xs text-red-700">{s.deniedBecause}</p>}
                </td>
                <td className="px-5 py-3">
                  <Badge tone={s.source === "workspace" ? "brand" : "zinc"}>{s.source}</Badge>
                </td>
                <td className="px-5 py-3">
                  {s.eligible ? (
                    <Badge tone="green">eligible</Badge>
                  ) : (
                    <button type="button" className="text-left text-xs text-amber-700 underline" onClick={() => setDiagnosing(s.name)}>
                      {missingSummary(s)} — why?
                    </button>
                  )}
                </td>
                <td className="px-5 py-3">
                  <Switch
                    label={`Enable ${s.name}`}
                    checked={s.effective}
                    disabled={!canManage || !s.allowed || update.isPending}
                    onChange={(enabled) => set(s.name, { enabled })}
                  />
                </td>
                <td className="px-5 py-3">
                  <Switch
                    label={`Hide ${s.name}`}
                    checked={s.hidden}
                    disabled={!canManage || update.isPending}
                    onChange={(hidden) => set(s.name, { hidden })}
                  />
                </td>
              </tr>
            ))}
          </Table>
        )}
      </Card>

      <div className="mt-6 grid gap-6 lg:grid-cols-2">
        <Card title="Packs" description="Named sets of skills your templates and plan turn on together.">
          <ul className="divide-y divide-zinc-100" data-testid="packs">
            {(packs.data ?? []).map((p) => (
              <li key={p.id} className="flex items-start justify-between gap-4 px-5 py-3" data-pack={p.id}>
                <div>
                  <p className="font-medium text-zinc-900">{p.name}</p>
                  <p className="text-xs text-zinc-500">{p.description}</p>
                  <p className="mt-1 flex flex-wrap gap-1">
                    {p.skills.map((s) => (
                      <Badge key={s.name} tone={s.effective && s.eligible ? "green" : s.allowed ? "zinc" : "red"}>
                        {s.name}
                        {s.known && !s.eligible ? " (not eligible)" : ""}
                      </Badge>
                    ))}
                  </p>
                </div>
                {canManage && (
                  <Button
                    variant="secondary"
                    disabled={!p.allowedByPlan}
                    loading={apply.isPending && apply.variables?.pack === p.id}
                    onClick={() => apply.mutate({ pack: p.id })}
                  >
                    {p.allowedByPlan ? "Apply" : "Not in your plan"}
                  </Button>
                )}
              </li>
            ))}
          </ul>
        </Card>
        <AgentSkills list={data} canManage={canManage} onChanged={settle} />
      </div>
      {canManage && <History />}
      {diagnosing && <DiagnoseDialog name={diagnosing} canManage={canManage} onClose={() => setDiagnosing(null)} />}
    </>
  );
}

/** One agent's skills: its template's, an admin's additions and removals, and what it is offered. */
function AgentSkills({ list, canManage, onChanged }: { list: SkillsList; canManage: boolean; onChanged: (d: SkillsList) => void }) {
  const trpc = useTRPC();
  const [agentId, setAgentId] = useState(list.agents[0]?.agentId ?? "");
  const [adding, setAdding] = useState("");
  const change = useMutation(trpc.skills.updateAgent.mutationOptions({ onSuccess: onChanged }));
  const agent = list.agents.find((a) => a.agentId === agentId) ?? list.agents[0];
  if (!agent)
    return (
      <Card title="Per agent">
        <EmptyState icon="✦" title="No agents yet">
          Create an agent: it gets its template's skills, narrowed by your team's switches.
        </EmptyState>
      </Card>
    );
  // A workspace skill is in one agent's folder: only that agent can be given it.
  const addable = list.skills.filter(
    (s) => s.effective && !agent.effective.includes(s.name) && (s.source !== "workspace" || s.agents.includes(agent.agentId)),
  );
  const set = (name: string, include: boolean | null) => change.mutate({ agentId: agent.agentId, skills: [{ name, include }] });
  return (
    <Card
      title="Per agent"
      description="An agent is offered its template's skills, with your additions and removals, that the team has enabled."
    >
      <div className="space-y-3 px-5 py-4" data-testid="agent-skills">
        <Select aria-label="Agent" value={agent.agentId} onChange={(e) => setAgentId(e.target.value)}>
          {list.agents.map((a) => (
            <option key={a.agentId} value={a.agentId}>
              {a.name}
            </option>
          ))}
        </Select>
        <div className="flex flex-wrap gap-1.5" data-testid="agent-effective">
          {agent.effective.length === 0 && <p className="text-sm text-zinc-500">No skills are offered to this agent.</p>}
          {agent.effective.map((n) => (
            <span key={n} className="inline-flex items-center gap-1 rounded-full bg-brand-50 px-2.5 py-0.5 text-xs text-brand-800">
              {n}
              {agent.added.includes(n) && <span className="text-brand-500">(added)</span>}
              {canManage && (
                <button
                  type="button"
                  aria-label={`Remove ${n} from ${agent.name}`}
                  className="text-brand-500"
                  onClick={() => set(n, false)}
                >
                  ×
                </button>
              )}
            </span>
          ))}
        </div>
        {agent.removed.length > 0 && (
          <p className="text-xs text-zinc-500">
            Removed:{" "}
            {agent.removed.map((n) => (
              <button key={n} type="button" className="mr-2 underline" disabled={!canManage} onClick={() => set(n, null)}>
                {n} (restore)
              </button>
            ))}
          </p>
        )}
        {canManage && addable.length > 0 && (
          <div className="flex gap-2">
            <Select aria-label="Skill to add" value={adding} onChange={(e) => setAdding(e.target.value)}>
              <option value="">Add a skill…</option>
              {addable.map((s) => (
                <option key={s.name} value={s.name}>
                  {s.name}
                </option>
              ))}
            </Select>
            <Button
              variant="secondary"
              disabled={!adding}
              loading={change.isPending}
              onClick={() => {
                set(adding, true);
                setAdding("");
              }}
            >
              Add
            </Button>
          </div>
        )}
      </div>
    </Card>
  );
}

/** Why a skill is not eligible, with the fix inline when the team can make it (a key to set). */
function DiagnoseDialog({ name, canManage, onClose }: { name: string; canManage: boolean; onClose: () => void }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const d = useQuery(trpc.skills.diagnose.queryOptions({ name }));
  const [values, setValues] = useState<Record<string, string>>({});
  const configure = useMutation(
    trpc.skills.configure.mutationOptions({
      onSuccess: (skill) => {
        toast.success(skill.eligible ? `${skill.name} is eligible now` : `Saved ${skill.name}'s values`);
        void qc.invalidateQueries({ queryKey: trpc.skills.list.queryKey() });
        void qc.invalidateQueries({ queryKey: trpc.skills.diagnose.queryKey({ name }) });
        void qc.invalidateQueries({ queryKey: trpc.skills.packs.queryKey() });
        void qc.invalidateQueries({ queryKey: trpc.skills.history.queryKey() });
        setValues({});
      },
    }),
  );
  const envFixes = d.data?.fixes.filter((f) => f.kind === "env" && f.fixable && f.env) ?? [];
  return (
    <Dialog open onClose={onClose} title={`Why ${name} is not available`}>
      {d.isPending ? (
        <Loading />
      ) : d.isError ? (
        <ErrorState message={errorMessage(d.error)} />
      ) : (
        <div className="space-y-4" data-testid="diagnosis">
          <ul className="space-y-2 text-sm">
            {d.data.fixes.length === 0 && <li>Nothing is missing: it is eligible.</li>}
            {d.data.fixes.map((f) => (
              <li key={`${f.kind}-${f.env ?? f.description}`} className="flex items-start gap-2">
                <span className="shrink-0 whitespace-nowrap">
                  <Badge tone={f.fixable ? "amber" : "red"}>{f.fixable ? "you can fix" : "not fixable here"}</Badge>
                </span>
                <span>{f.description}</span>
              </li>
            ))}
          </ul>
          {canManage && envFixes.length > 0 && (
            <form
              className="space-y-2"
              onSubmit={(e) => {
                e.preventDefault();
                configure.mutate({ name, env: Object.fromEntries(Object.entries(values).filter(([, v]) => v)) });
              }}
            >
              {envFixes.map((f) => (
                <Field key={f.env} label={f.env!}>
                  <Input
                    type="password"
                    autoComplete="off"
                    value={values[f.env!] ?? ""}
                    onChange={(e) => setValues((v) => ({ ...v, [f.env!]: e.target.value }))}
                  />
                </Field>
              ))}
              <p className="text-xs text-zinc-500">Stored encrypted and handed only to your runtime; never shown again.</p>
              <Button type="submit" loading={configure.isPending} disabled={!Object.values(values).some(Boolean)}>
                Save
              </Button>
            </form>
          )}
          <div className="flex justify-end">
            <Button variant="ghost" onClick={onClose}>
              Close
            </Button>
          </div>
        </div>
      )}
    </Dialog>
  );
}

/** Who changed what, newest first. */
function History() {
  const trpc = useTRPC();
  const h = useQuery(trpc.skills.history.queryOptions());
  if (!h.data?.length) return null;
  const describe = (c: Record<string, unknown>) => {
    if (c.kind === "policy")
      return `${c.name}: ${[c.enabled !== undefined && (c.enabled ? "enabled" : "disabled"), c.hidden !== undefined && (c.hidden ? "hidden" : "shown")].filter(Boolean).join(", ")}`;
    if (c.kind === "agent")
      return `${c.name} ${c.include === null ? "back to the template" : c.include ? "added to" : "removed from"} an agent`;
    if (c.kind === "pack") return `${c.pack} pack applied`;
    if (c.kind === "env") return `${c.name}: values set (${(c.set as string[]).join(", ") || "none"})`;
    return String(c.kind);
  };
  return (
    <div className="mt-6">
      <Card title="Changes" description="Every change to your team's skills, with who made it.">
        <ul className="divide-y divide-zinc-100 text-sm" data-testid="skill-history">
          {h.data.map((c) => (
            <li key={`${c.at}-${c.actor}-${JSON.stringify(c.change)}`} className="flex justify-between gap-4 px-5 py-2">
              <span>{describe(c.change)}</span>
              <span className="text-zinc-500">
                {c.actorName ?? "a former member"} · {relativeTime(c.at)}
              </span>
            </li>
          ))}
        </ul>
      </Card>
    </div>
  );
}
