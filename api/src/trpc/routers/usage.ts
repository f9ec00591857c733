import {
  budget,
  modelPrices,
  removeModelPriceInput,
  setBudgetInput,
  setModelPriceInput,
  usageSummary,
  usageSummaryInput,
} from "@autoclaw/shared";
import { budgetOf, setBudget } from "../../domain/budgets";
import { listModelPrices, removeModelPrice, setModelPrice } from "../../domain/model-prices";
import { usageSummary as summarise } from "../../domain/usage";
import { accessProcedure, router } from "../init";

export const usageRouter = router({
  summary: accessProcedure("read")
    .input(usageSummaryInput)
    .output(usageSummary)
    .query(({ ctx, input }) => summarise(ctx.svc.db, ctx.tenant.id, input)),
  budget: accessProcedure("read")
    .output(budget)
    .query(({ ctx }) => budgetOf(ctx.svc.db, ctx.tenant.id)),
  setBudget: accessProcedure("manageTeam")
    .input(setBudgetInput)
    .output(budget)
    .mutation(({ ctx, input }) => setBudget(ctx.svc.db, ctx.tenant.id, input, ctx.by)),
  prices: accessProcedure("read")
    .output(modelPrices)
    .query(({ ctx }) => listModelPrices(ctx.svc.db, ctx.tenant.id)),
  setPrice: accessProcedure("manageTeam")
    .input(setModelPriceInput)
    .output(modelPrices)
    .mutation(({ ctx, input }) => setModelPrice(ctx.svc.db, ctx.tenant.id, input, ctx.by)),
  removePrice: accessProcedure("manageTeam")
    .input(removeModelPriceInput)
    .output(modelPrices)
    .mutation(({ ctx, input }) => removeModelPrice(ctx.svc.db, ctx.tenant.id, input.model, ctx.by)),
});
