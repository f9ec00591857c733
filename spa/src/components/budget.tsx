import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "../lib/trpc";
import { Alert } from "./ui";

/** The dashboard's (and this page's) banner while a budget is nearly or fully used. */
export function BudgetBanner() {
  const trpc = useTRPC();
  const budget = useQuery(trpc.usage.budget.queryOptions());
  const b = budget.data;
  if (!b || (b.state !== "warning" && b.state !== "exhausted")) return null;
  return (
    <div className="mb-6">
      <Alert
        tone={b.state === "exhausted" ? "red" : "amber"}
        title={b.state === "exhausted" ? "Budget used up" : "Budget nearly used"}
        testId="budget-banner"
      >
        {b.message}
      </Alert>
    </div>
  );
}
