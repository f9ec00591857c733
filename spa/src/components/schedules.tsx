import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Link } from "wouter";
import { toast } from "../lib/toast";
import type { Schedule } from "@autoclaw/shared";
import { useCan } from "../lib/teams";
import { errorMessage, useTRPC } from "../lib/trpc";
import {
  Badge,
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
  Select,
  Textarea,
} from "./ui";

const WEEKDAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
type Frequency = "daily" | "weekdays" | "weekly" | "hourly" | "custom";

/** The friendly picker's choice as a cron expression (minute hour day-of-month month day-of-week). */
function cronFor(f: Frequency, time: string, weekday: number, custom: string): string {
  const [h = "8", m = "0"] = time.split(":").map((x) => String(Number(x)));
  if (f === "daily") return `${m} ${h} * * *`;
  if (f === "weekdays") return `${m} ${h} * * 1-5`;
  if (f === "weekly") return `${m} ${h} * * ${weekday}`;
  if (f === "hourly") return `${m} * * * *`;
  return custom.trim();
}

const browserZone = () => Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
const zones = (): string[] => {
  const all = (Intl as { supportedValuesOf?: (k: string) => string[] }).supportedValuesOf?.("timeZone") ?? [];
  return all.includes("UTC") ? all : ["UTC", ...all];
};
/** A fire time as the team reads it: in the schedule's timezone. */
const local = (iso: string, timeZone: string) =>
  new Date(iso).toLocaleString("en-GB", { timeZone, weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" });

export function AgentSchedules({ agentId }: { agentId: string }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const canManage = useCan()("manageAgents");
  const list = useQuery(trpc.schedules.list.queryOptions({ agentId }));
  const [editing, setEditing] = useState<Schedule | "new" | null>(null);
  const [removing, setRemoving] = useState<Schedule | null>(null);
  const refresh = () => qc.invalidateQueries({ queryKey: trpc.schedules.list.queryKey() });
  const update = useMutation(trpc.schedules.update.mutationOptions({ onSuccess: refresh, onError: (e) => toast.error(errorMessage(e)) }));
  const runNow = useMutation(
    trpc.schedules.runNow.mutationOptions({
      onSuccess: ({ runId }) => {
        void refresh();
        void qc.invalidateQueries({ queryKey: trpc.runs.list.queryKey() });
        toast.success("Run started", { action: { label: "Open", onClick: () => window.location.assign(`/runs/${runId}`) } });
      },
      onError: (e) => toast.error(errorMessage(e)),
    }),
  );
  const subscribe = useMutation(
    trpc.schedules.subscribe.mutationOptions({
      onSuccess: (s) => {
        void refresh();
        toast.success(s.telegram.mine ? "You get this schedule's replies in Telegram" : "No more Telegram messages from this schedule");
      },
      onError: (e) => toast.error(errorMessage(e)),
    }),
  );
  const remove = useMutation(
    trpc.schedules.remove.mutationOptions({
      onSuccess: () => {
        void refresh();
        setRemoving(null);
        toast.success("Schedule deleted");
      },
    }),
  );

  return (
    <Card
      title="Schedules"
      description="Runs this agent on its own, at the times you choose, in your timezone. Each firing is a run like any other."
      className="mt-6"
      actions={canManage && <Button onClick={() => setEditing("new")}>New schedule</Button>}
    >
      {list.isPending ? (
        <Loading />
      ) : list.isError ? (
        <ErrorState message={errorMessage(list.error)} onRetry={() => list.refetch()} />
      ) : list.data.length === 0 ? (
        <EmptyState icon="⏰" title="No schedules">
          A morning briefing every weekday, a weekly report on Mondays: add a schedule and the agent runs by itself.
        </EmptyState>
      ) : (
        <ul className="divide-y divide-zinc-100" data-testid="schedules">
          {list.data.map((s) => (
            <li key={s.id} className="px-5 py-4" data-testid="schedule">
              <div className="flex flex-wrap items-start justify-between gap-3">
                <div className="min-w-0">
                  <p className="font-medium text-zinc-900">
                    {s.description} <span className="text-sm font-normal text-zinc-500">({s.timezone})</span>{" "}
                    {s.paused && <Badge tone="amber">Paused</Badge>}
                    {s.conversationId && <Badge tone="brand">Into one conversation</Badge>}
                  </p>
                  <p className="mt-1 truncate text-sm text-zinc-600">“{s.input}”</p>
                  <code className="text-xs text-zinc-400">{s.cron}</code>
                </div>
                {canManage && (
                  <div className="flex gap-2">
                    <Button
                      variant="secondary"
                      className="px-2.5 py-1 text-xs"
                      loading={runNow.isPending}
                      onClick={() => runNow.mutate({ id: s.id })}
                    >
                      Run now
                    </Button>
                    <Button
                      variant="secondary"
                      className="px-2.5 py-1 text-xs"
                      onClick={() => update.mutate({ id: s.id, paused: !s.paused })}
                    >
                      {s.paused ? "Resume" : "Pause"}
                    </Button>
                    <Button variant="ghost" className="px-2.5 py-1 text-xs" onClick={() => setEditing(s)}>
                      Edit
                    </Button>
                    <Button variant="danger" className="px-2.5 py-1 text-xs" onClick={() => setRemoving(s)}>
                      Delete
                    </Button>
                  </div>
                )}
              </div>
              <div className="mt-2 flex flex-wrap items-center gap-3 text-xs text-zinc-500">
                {s.telegram.mine !== null && (
                  <label className="flex items-center gap-1.5 text-zinc-700">
                    <input
                      type="checkbox"
                      checked={s.telegram.mine}
                      disabled={subscribe.isPending}
                      onChange={(e) => subscribe.mutate({ id: s.id, subscribed: e.target.checked })}
                    />
                    Send me this on Telegram
                  </label>
                )}
                {s.telegram.subscribers > 0 && (
                  <span>
                    {s.telegram.subscribers} {s.telegram.subscribers === 1 ? "person gets" : "people get"} it in Telegram
                  </span>
                )}
              </div>
              {s.nextRuns.length > 0 && (
                <div className="mt-3">
                  <p className="text-xs font-medium text-zinc-500">Next runs</p>
                  <ol className="mt-1 flex flex-wrap gap-2 text-xs text-zinc-700" data-testid="next-runs">
                    {s.nextRuns.map((at) => (
                      <li key={at} className="rounded bg-zinc-100 px-2 py-0.5">
                        {local(at, s.timezone)}
                      </li>
                    ))}
                  </ol>
                </div>
              )}
              {s.firings.length > 0 && (
                <div className="mt-3">
                  <p className="text-xs font-medium text-zinc-500">Recent firings</p>
                  <ul className="mt-1 space-y-0.5 text-xs text-zinc-600" data-testid="firings">
                    {s.firings.slice(0, 5).map((f) => (
                      <li key={f.fireAt}>
                        {local(f.fireAt, s.timezone)} ·{" "}
                        <Badge tone={f.status === "ran" ? "green" : f.status === "skipped" ? "zinc" : "red"}>{f.status}</Badge>{" "}
                        {f.runId && (
                          <Link to={`/runs/${f.runId}`} className="text-brand-700 hover:underline">
                            the run
                          </Link>
                        )}{" "}
                        {f.reason && f.reason !== "run now" && <span className="text-zinc-500">{f.reason}</span>}
                        {f.reason === "run now" && <span className="text-zinc-500">(run now)</span>}
                      </li>
                    ))}
                  </ul>
                </div>
              )}
            </li>
          ))}
        </ul>
      )}
      {editing && <ScheduleDialog agentId={agentId} schedule={editing === "new" ? null : editing} onClose={() => setEditing(null)} />}
      <ConfirmDialog
        open={!!removing}
        onClose={() => setRemoving(null)}
        title="Delete schedule?"
        confirmLabel="Delete schedule"
        busy={remove.isPending}
        onConfirm={() => removing && remove.mutate({ id: removing.id })}
      >
        It stops firing. Its past runs stay in the history.
      </ConfirmDialog>
    </Card>
  );
}

function ScheduleDialog({ agentId, schedule, onClose }: { agentId: string; schedule: Schedule | null; onClose: () => void }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const [frequency, setFrequency] = useState<Frequency>(schedule ? "custom" : "weekdays");
  const [time, setTime] = useState("08:00");
  const [weekday, setWeekday] = useState(1);
  const [custom, setCustom] = useState(schedule?.cron ?? "0 8 * * 1-5");
  const [timezone, setTimezone] = useState(schedule?.timezone ?? browserZone());
  const [input, setInput] = useState(schedule?.input ?? "");
  const [conversation, setConversation] = useState(schedule ? !!schedule.conversationId : false);
  const [error, setError] = useState<string | null>(null);
  const done = {
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: trpc.schedules.list.queryKey() });
      toast.success(schedule ? "Schedule saved" : "Schedule created");
      onClose();
    },
    onError: (e: unknown) => setError(errorMessage(e)),
  };
  const create = useMutation(trpc.schedules.create.mutationOptions(done));
  const update = useMutation(trpc.schedules.update.mutationOptions(done));
  const cron = cronFor(frequency, time, weekday, custom);

  return (
    <Dialog open onClose={onClose} title={schedule ? "Edit schedule" : "New schedule"}>
      <form
        noValidate
        className="space-y-4"
        onSubmit={(e) => {
          e.preventDefault();
          setError(null);
          const value = { cron, timezone, input, deliver: { conversation } };
          if (schedule) update.mutate({ id: schedule.id, ...value });
          else create.mutate({ agentId, ...value });
        }}
      >
        <div className="grid grid-cols-2 gap-3">
          <Field label="Runs">
            <Select value={frequency} onChange={(e) => setFrequency(e.target.value as Frequency)}>
              <option value="daily">Every day</option>
              <option value="weekdays">Weekdays (Monday to Friday)</option>
              <option value="weekly">Once a week</option>
              <option value="hourly">Every hour</option>
              <option value="custom">Custom (cron expression)</option>
            </Select>
          </Field>
          {frequency === "custom" ? (
            <Field label="Cron expression" hint="minute hour day-of-month month day-of-week">
              <Input value={custom} onChange={(e) => setCustom(e.target.value)} className="font-mono" />
            </Field>
          ) : frequency === "hourly" ? (
            <Field label="At minute">
              <Input type="number" min={0} max={59} value={Number(time.split(":")[1])} onChange={(e) => setTime(`00:${e.target.value}`)} />
            </Field>
          ) : (
            <Field label="At">
              <Input type="time" value={time} onChange={(e) => setTime(e.target.value)} />
            </Field>
          )}
        </div>
        {frequency === "weekly" && (
          <Field label="On">
            <Select value={weekday} onChange={(e) => setWeekday(Number(e.target.value))}>
              {WEEKDAYS.map((d, i) => (
                <option key={d} value={i}>
                  {d}
                </option>
              ))}
            </Select>
          </Field>
        )}
        <Field label="Timezone">
          <Select value={timezone} onChange={(e) => setTimezone(e.target.value)}>
            {zones().map((z) => (
              <option key={z} value={z}>
                {z}
              </option>
            ))}
          </Select>
        </Field>
        <Field label="What the agent should do">
          <Textarea rows={3} value={input} onChange={(e) => setInput(e.target.value)} placeholder="Write this morning's briefing" />
        </Field>
        <label className="flex items-center gap-2 text-sm text-zinc-700">
          <input type="checkbox" checked={conversation} onChange={(e) => setConversation(e.target.checked)} />
          Run each time in the same conversation, so the agent remembers earlier runs
        </label>
        {error && (
          <p className="text-sm text-red-600" role="alert">
            {error}
          </p>
        )}
        <DialogActions onCancel={onClose} submitLabel={schedule ? "Save" : "Create schedule"} busy={create.isPending || update.isPending} />
      </form>
    </Dialog>
  );
}
