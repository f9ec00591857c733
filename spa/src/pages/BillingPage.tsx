import { useMutation, useQuery } from "@tanstack/react-query";
import { useLocation, useSearchParams } from "wouter";
import type { SubscriptionStatus } from "@autoclaw/shared";
import { Alert, Badge, Button, Card, ErrorState, Fact, Loading, Meter, PageHeader } from "../components/ui";
import { useCan } from "../lib/teams";
import { errorMessage, useTRPC } from "../lib/trpc";
import { formatDate } from "../lib/format";

const TONE: Record<SubscriptionStatus, "green" | "brand" | "amber" | "red" | "zinc"> = {
  active: "green",
  trialing: "brand",
  past_due: "amber",
  canceled: "red",
  unpaid: "red",
  incomplete: "amber",
  incomplete_expired: "red",
  paused: "zinc",
};

export function BillingPage() {
  const trpc = useTRPC();
  const canManage = useCan()("own");
  const [params] = useSearchParams();
  const [, navigate] = useLocation();
  // Right after Checkout the webhook may still be on its way: look again shortly.
  const status = useQuery({ ...trpc.billing.status.queryOptions(), refetchInterval: params.get("checkout") === "success" ? 2000 : false });
  const portal = useMutation(
    trpc.billing.portal.mutationOptions({
      onSuccess: ({ url }) => window.location.assign(url),
    }),
  );

  if (status.isPending) return <Loading />;
  if (status.isError) return <ErrorState message={errorMessage(status.error)} onRetry={() => status.refetch()} />;
  const s = status.data;

  return (
    <>
      <PageHeader
        title="Billing"
        description={
          s.billingEnabled
            ? "Your team's plan, subscription and usage this month."
            : "Billing is off on this AutoClaw: every team is on the Development plan, without limits."
        }
        actions={
          s.billingEnabled &&
          canManage && (
            <div className="flex gap-2">
              <Button variant="secondary" onClick={() => navigate("/pricing")}>
                Change plan
              </Button>
              {s.hasCustomer && (
                <Button loading={portal.isPending} onClick={() => portal.mutate()}>
                  Manage billing
                </Button>
              )}
            </div>
          )
        }
      />
      {params.get("checkout") === "success" && s.plan === "trial" && (
        <p className="mb-4 text-sm text-zinc-600">Payment received; waiting for Stripe to confirm the subscription…</p>
      )}
      {!s.canRun && s.reason && (
        <div className="mb-6">
          <Alert tone="red" title="Agents cannot run">
            {s.reason}
          </Alert>
        </div>
      )}
      <div className="mb-6 grid gap-4 sm:grid-cols-3">
        <Fact label="Plan">
          <span data-testid="billing-plan">{s.planName}</span>
        </Fact>
        <Fact label="Status">
          <span data-testid="billing-status">
            <Badge tone={TONE[s.status]}>{s.status.replace("_", " ")}</Badge>
          </span>
        </Fact>
        <Fact label={s.status === "trialing" ? "Trial ends" : "Renews"}>{s.currentPeriodEnd ? formatDate(s.currentPeriodEnd) : "—"}</Fact>
      </div>
      <Card title="Usage this month">
        <div className="space-y-4 px-5 py-4">
          <Meter label="Agents" used={s.usage.agents} limit={s.limits.agents} />
          <Meter label="Runs" used={s.usage.runsThisMonth} limit={s.limits.runsPerMonth} />
          <Meter label="Telegram seats" used={s.usage.telegramSeats} limit={s.limits.telegramSeats} />
        </div>
      </Card>
    </>
  );
}
