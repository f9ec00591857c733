import { useMutation, useQuery } from "@tanstack/react-query";
import { Link, useLocation, useSearchParams } from "wouter";
import type { PublicPlan } from "@autoclaw/shared";
import { Button, ErrorState, Loading, Logo } from "../components/ui";
import { useSession } from "../lib/auth";
import { errorMessage, useTRPC } from "../lib/trpc";

/** Public: the plans, and "Choose" — Stripe Checkout for a signed-in team, else sign-up first. */
export function PricingPage() {
  const trpc = useTRPC();
  const [, navigate] = useLocation();
  const [params] = useSearchParams();
  const session = useSession();
  const signedIn = !!session.data;
  const plans = useQuery(trpc.billing.plans.queryOptions());
  const status = useQuery({ ...trpc.billing.status.queryOptions(), enabled: signedIn, retry: false });
  const checkout = useMutation(
    trpc.billing.createCheckout.mutationOptions({
      onSuccess: ({ url }) => window.location.assign(url),
    }),
  );
  const billingOff = plans.data?.every((p) => !p.purchasable) ?? false;

  const choose = (p: PublicPlan) => {
    if (!signedIn) return navigate(`/signup?next=${encodeURIComponent("/pricing")}`);
    if (p.id === "trial") return navigate("/dashboard");
    checkout.mutate({ plan: p.id as "pro" | "team" });
  };

  return (
    <div className="min-h-screen bg-zinc-50">
      <header className="flex items-center justify-between px-8 py-5">
        <Link to={signedIn ? "/dashboard" : "/"}>
          <Logo />
        </Link>
        {signedIn ? (
          <Link className="text-sm text-brand-700 hover:underline" to="/billing">
            Your team's billing
          </Link>
        ) : (
          <Link className="text-sm text-brand-700 hover:underline" to="/login">
            Sign in
          </Link>
        )}
      </header>
      <main className="mx-auto max-w-5xl px-6 pt-6 pb-16">
        <h1 className="text-center text-3xl font-semibold tracking-tight text-zinc-900">Plans</h1>
        <p className="mt-2 text-center text-zinc-600">
          Every plan runs your agents in your team's own OpenClaw runtime, with your own model key.
        </p>
        {params.get("checkout") === "canceled" && (
          <p className="mt-4 text-center text-sm text-amber-700">Checkout was cancelled; nothing changed.</p>
        )}
        {billingOff && (
          <p
            className="mx-auto mt-6 max-w-xl rounded-lg border border-zinc-200 bg-white px-4 py-3 text-center text-sm text-zinc-600"
            data-testid="billing-off"
          >
            Billing is off on this AutoClaw: every team is on the <span className="font-medium text-zinc-900">Development</span> plan,
            without limits.
          </p>
        )}
        {plans.isPending ? (
          <Loading />
        ) : plans.isError ? (
          <ErrorState message={errorMessage(plans.error)} onRetry={() => plans.refetch()} />
        ) : (
          <div className="mt-10 grid gap-6 md:grid-cols-3" data-testid="plans">
            {plans.data.map((p) => {
              const current = status.data?.plan === p.id && status.data.status !== "canceled";
              return (
                <section
                  key={p.id}
                  className={`flex flex-col rounded-xl border bg-white p-6 shadow-sm ${p.id === "pro" ? "border-brand-500" : "border-zinc-200"}`}
                  aria-label={p.name}
                >
                  <h2 className="text-lg font-semibold text-zinc-900">{p.name}</h2>
                  <p className="mt-1 text-sm text-zinc-600">{p.blurb}</p>
                  <p className="mt-4 text-3xl font-semibold text-zinc-900">
                    {p.priceUsd === 0 ? "Free" : `$${p.priceUsd}`}
                    {p.priceUsd > 0 && <span className="text-base font-normal text-zinc-500"> / month</span>}
                  </p>
                  <ul className="mt-4 flex-1 space-y-1.5 text-sm text-zinc-700">
                    {p.features.map((f) => (
                      <li key={f}>✓ {f}</li>
                    ))}
                  </ul>
                  <Button
                    className="mt-6 w-full"
                    variant={p.id === "pro" ? "primary" : "secondary"}
                    disabled={current || (p.id !== "trial" && !p.purchasable && signedIn)}
                    loading={checkout.isPending && checkout.variables?.plan === p.id}
                    onClick={() => choose(p)}
                  >
                    {current
                      ? "Your plan"
                      : p.id === "trial"
                        ? signedIn
                          ? "Go to the dashboard"
                          : "Start free trial"
                        : `Choose ${p.name}`}
                  </Button>
                </section>
              );
            })}
          </div>
        )}
      </main>
    </div>
  );
}
