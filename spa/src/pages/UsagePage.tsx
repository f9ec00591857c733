import { lazy, Suspense, useState } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { setBudgetInput, setModelPriceInput, type Budget, type UsageSummary } from "@autoclaw/shared";
import { BudgetBanner } from "../components/budget";
import { Button, Card, EmptyState, ErrorState, Field, Input, Loading, Meter, PageHeader, Select, Table } from "../components/ui";
import { useZodForm } from "../lib/forms";
import { useCan } from "../lib/teams";
import { errorMessage, useTRPC } from "../lib/trpc";
import { formatDate } from "../lib/format";

const UsageChart = lazy(() => import("../components/usage-chart"));

const PERIODS = { "7": "Last 7 days", "30": "Last 30 days", "90": "Last 90 days" } as const;
const usd = (v: number) => `$${v.toLocaleString("en", { minimumFractionDigits: 2, maximumFractionDigits: v < 1 ? 4 : 2 })}`;
const count = (n: number) => n.toLocaleString("en");

/** The period's days as CSV, one row per day (what the chart shows), for a spreadsheet. */
function downloadCsv(summary: UsageSummary) {
  const rows = [
    ["day", "runs", "model_calls", "input_tokens", "output_tokens", "estimated_cost_usd", "unpriced_tokens"],
    ...summary.perDay.map((d) => [
      d.day,
      d.runs,
      d.modelCalls,
      d.inputTokens,
      d.outputTokens,
      d.estimatedCostUsd.toFixed(6),
      d.unpricedTokens,
    ]),
  ];
  const url = URL.createObjectURL(new Blob([`${rows.map((r) => r.join(",")).join("\n")}\n`], { type: "text/csv" }));
  const a = Object.assign(document.createElement("a"), {
    href: url,
    download: `autoclaw-usage-${summary.from.slice(0, 10)}-${summary.to.slice(0, 10)}.csv`,
  });
  a.click();
  URL.revokeObjectURL(url);
}

function BudgetCard({ budget }: { budget: Budget }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const canManage = useCan()("manageTeam");
  const save = useMutation(
    trpc.usage.setBudget.mutationOptions({
      onSuccess: (b) => queryClient.setQueryData(trpc.usage.budget.queryKey(), b),
    }),
  );
  // An empty field clears that budget.
  const { errors, onSubmit } = useZodForm(
    setBudgetInput,
    (value) => save.mutate(value),
    (d) => ({
      monthlyTokens: d.monthlyTokens?.trim() ? Number(d.monthlyTokens.replaceAll(",", "")) : null,
      monthlyCostUsd: d.monthlyCostUsd?.trim() ? Number(d.monthlyCostUsd.replace("$", "")) : null,
    }),
  );
  return (
    <Card title="Monthly budget" description={`Use this month, against the team's budgets. Resets ${formatDate(budget.resetsAt)}.`}>
      <div className="space-y-4 px-5 py-4">
        <Meter label="Tokens" used={budget.usedTokens} limit={budget.monthlyTokens} testId="budget-tokens" />
        <Meter label="Estimated cost" used={budget.usedCostUsd} limit={budget.monthlyCostUsd} format={usd} testId="budget-cost" />
        {canManage && (
          <form
            onSubmit={onSubmit}
            className="grid gap-3 border-t border-zinc-100 pt-4 sm:grid-cols-[1fr_1fr_auto] sm:items-end"
            noValidate
          >
            <Field label="Monthly token budget" error={errors.monthlyTokens} hint="Empty: no token budget">
              <Input name="monthlyTokens" inputMode="numeric" defaultValue={budget.monthlyTokens ?? ""} invalid={!!errors.monthlyTokens} />
            </Field>
            <Field label="Monthly cost budget (USD)" error={errors.monthlyCostUsd} hint="Estimated from list prices">
              <Input
                name="monthlyCostUsd"
                inputMode="decimal"
                defaultValue={budget.monthlyCostUsd ?? ""}
                invalid={!!errors.monthlyCostUsd}
              />
            </Field>
            <Button type="submit" loading={save.isPending}>
              Save budget
            </Button>
          </form>
        )}
        <p className="text-xs text-zinc-500">
          At 80 % the team is warned (here, and once in Telegram); at 100 % new runs are refused until the month resets. A run already under
          way finishes.
        </p>
      </div>
    </Card>
  );
}

/** The team's own prices for its custom models (the list prices hosted ones), which the estimates and cost budgets use. */
function CustomPricesCard({ unpriced }: { unpriced: string[] }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const canManage = useCan()("manageTeam");
  const prices = useQuery(trpc.usage.prices.queryOptions());
  const changed = () => Promise.all([queryClient.invalidateQueries(trpc.usage.pathFilter())]);
  const save = useMutation(trpc.usage.setPrice.mutationOptions({ onSuccess: changed }));
  const remove = useMutation(trpc.usage.removePrice.mutationOptions({ onSuccess: changed }));
  const { errors, onSubmit } = useZodForm(
    setModelPriceInput,
    (value, form) => save.mutate(value, { onSuccess: () => form.reset() }),
    (d) => ({ model: d.model, inputPerMTok: Number(d.inputPerMTok), outputPerMTok: Number(d.outputPerMTok) }),
  );
  const team = prices.data?.team ?? [];
  return (
    <Card title="Prices of your custom models" description="USD per million tokens. Hosted models use list prices.">
      {team.length > 0 && (
        <Table columns={["Model", "Input", "Output", ""]} testId="custom-prices">
          {team.map((p) => (
            <tr key={p.model}>
              <td className="px-5 py-3">
                <code className="text-xs">{p.model}</code>
              </td>
              <td className="px-5 py-3">${p.inputPerMTok}</td>
              <td className="px-5 py-3">${p.outputPerMTok}</td>
              <td className="px-5 py-3 text-right">
                {canManage && (
                  <Button variant="secondary" onClick={() => remove.mutate({ model: p.model })} loading={remove.isPending}>
                    Remove
                  </Button>
                )}
              </td>
            </tr>
          ))}
        </Table>
      )}
      {canManage && (
        <form onSubmit={onSubmit} className="grid gap-3 px-5 py-4 sm:grid-cols-[2fr_1fr_1fr_auto] sm:items-end" noValidate>
          <Field label="Model" error={errors.model}>
            <Input name="model" list="unpriced-models" placeholder="custom/llama3.2" invalid={!!errors.model} />
          </Field>
          <datalist id="unpriced-models">
            {unpriced.map((m) => (
              <option key={m} value={m} />
            ))}
          </datalist>
          <Field label="Input $/M" error={errors.inputPerMTok}>
            <Input name="inputPerMTok" inputMode="decimal" invalid={!!errors.inputPerMTok} />
          </Field>
          <Field label="Output $/M" error={errors.outputPerMTok}>
            <Input name="outputPerMTok" inputMode="decimal" invalid={!!errors.outputPerMTok} />
          </Field>
          <Button type="submit" loading={save.isPending}>
            Set price
          </Button>
        </form>
      )}
    </Card>
  );
}

export function UsagePage() {
  const trpc = useTRPC();
  const [period, setPeriod] = useState<keyof typeof PERIODS>("30");
  // Whole days: the range starts at the first day's midnight (UTC), as the daily sums do.
  const [range] = useState(() => ({ to: new Date().toISOString() }));
  const from = new Date(Date.parse(range.to) - (Number(period) - 1) * 86_400_000).toISOString().slice(0, 10);
  const summary = useQuery(trpc.usage.summary.queryOptions({ from: `${from}T00:00:00.000Z`, to: range.to }));
  const budget = useQuery(trpc.usage.budget.queryOptions());
  const agents = useQuery(trpc.agents.list.queryOptions());
  const agentName = (id: string) => agents.data?.find((a) => a.id === id)?.name ?? id;

  if (summary.isPending || budget.isPending) return <Loading />;
  if (summary.isError) return <ErrorState message={errorMessage(summary.error)} onRetry={() => summary.refetch()} />;
  if (budget.isError) return <ErrorState message={errorMessage(budget.error)} onRetry={() => budget.refetch()} />;
  const s = summary.data;

  return (
    <>
      <PageHeader
        title="Usage"
        description="Every model call your agents make, metered by AutoClaw. Costs are estimated from list prices; your provider's invoice is the truth."
        actions={
          <div className="flex shrink-0 gap-2">
            <Select aria-label="Period" value={period} onChange={(e) => setPeriod(e.target.value as keyof typeof PERIODS)}>
              {Object.entries(PERIODS).map(([v, label]) => (
                <option key={v} value={v}>
                  {label}
                </option>
              ))}
            </Select>
            <Button variant="secondary" className="whitespace-nowrap" onClick={() => downloadCsv(s)}>
              Export CSV
            </Button>
          </div>
        }
      />
      <BudgetBanner />
      <div className="mb-6 grid gap-4 sm:grid-cols-4" data-testid="usage-totals">
        <Card title="Runs">
          <p className="px-5 py-4 text-2xl font-semibold">{count(s.total.runs)}</p>
        </Card>
        <Card title="Model calls">
          <p className="px-5 py-4 text-2xl font-semibold">{count(s.total.modelCalls)}</p>
        </Card>
        <Card title="Tokens">
          <p className="px-5 py-4 text-2xl font-semibold">{count(s.total.inputTokens + s.total.outputTokens)}</p>
        </Card>
        <Card title="Estimated cost">
          <p className="px-5 py-4 text-2xl font-semibold" data-testid="usage-cost">
            {usd(s.total.estimatedCostUsd)}
          </p>
          {s.total.unpricedTokens > 0 && (
            <p className="-mt-3 px-5 pb-3 text-xs text-zinc-500">plus {count(s.total.unpricedTokens)} tokens on unpriced models</p>
          )}
        </Card>
      </div>
      <div className="mb-6">
        <Card title="Per day">
          <div className="px-3 py-4" data-testid="usage-chart">
            {s.perDay.length ? (
              <Suspense fallback={<Loading label="Drawing the chart…" />}>
                <UsageChart days={s.perDay} />
              </Suspense>
            ) : (
              <EmptyState icon="▤" title="No model calls in this period">
                Runs, chats and Telegram messages show here as your agents call their models.
              </EmptyState>
            )}
          </div>
        </Card>
      </div>
      <div className="mb-6 grid gap-6 lg:grid-cols-2">
        <Card title="Per agent">
          <Table columns={["Agent", "Runs", "Calls", "Tokens", "Est. cost"]} testId="usage-agents">
            {s.perAgent.map((a) => (
              <tr key={a.agentId}>
                <td className="px-5 py-3 font-medium">{agentName(a.agentId)}</td>
                <td className="px-5 py-3">{count(a.runs)}</td>
                <td className="px-5 py-3">{count(a.modelCalls)}</td>
                <td className="px-5 py-3">{count(a.inputTokens + a.outputTokens)}</td>
                <td className="px-5 py-3">{usd(a.estimatedCostUsd)}</td>
              </tr>
            ))}
          </Table>
        </Card>
        <Card title="Per model">
          <Table columns={["Model", "Calls", "Input", "Output", "Est. cost"]} testId="usage-models">
            {s.perModel.map((m) => (
              <tr key={m.model}>
                <td className="px-5 py-3">
                  <code className="text-xs">{m.model}</code>
                  {m.estimatedCalls > 0 && (
                    <span className="ml-2 text-xs text-amber-700">{count(m.estimatedCalls)} counted from text (estimated)</span>
                  )}
                </td>
                <td className="px-5 py-3">{count(m.modelCalls)}</td>
                <td className="px-5 py-3">{count(m.inputTokens)}</td>
                <td className="px-5 py-3">{count(m.outputTokens)}</td>
                <td className="px-5 py-3">{m.priced ? usd(m.estimatedCostUsd) : <span className="text-zinc-500">no price</span>}</td>
              </tr>
            ))}
          </Table>
        </Card>
      </div>
      <div className="grid gap-6 lg:grid-cols-2">
        <BudgetCard budget={budget.data} />
        <CustomPricesCard unpriced={s.perModel.filter((m) => !m.priced && m.model.startsWith("custom/")).map((m) => m.model)} />
      </div>
    </>
  );
}
