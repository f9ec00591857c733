import { z } from "zod";

/** Plans a team can choose on /pricing. `development` is what every team is on when billing is off. */
export const PLAN_IDS = ["trial", "pro", "team"] as const;
export const planId = z.enum(PLAN_IDS);
export type PlanId = z.infer<typeof planId>;

/** What a plan allows; null is "no limit" (the development plan, when billing is off). */
export const planLimits = z.object({
  agents: z.number().int().nullable(),
  runsPerMonth: z.number().int().nullable(),
  telegramSeats: z.number().int().nullable(),
  /** Schedules the team may have, and the shortest gap between two fire times they may ask for. */
  schedules: z.number().int().nullable(),
  scheduleMinIntervalMinutes: z.number().int().nullable(),
});
export type PlanLimits = z.infer<typeof planLimits>;

export interface Plan {
  id: PlanId | "development";
  name: string;
  /** USD per month; 0 for the trial. */
  priceUsd: number;
  blurb: string;
  limits: PlanLimits;
  /** The skill packs the plan includes (null: every pack). A skill only in packs the plan lacks is not allowed. */
  skillPacks: string[] | null;
  features: string[];
}

export const TRIAL_DAYS = 14;

export const PLANS: Record<PlanId, Plan> = {
  trial: {
    id: "trial",
    name: "Free trial",
    priceUsd: 0,
    blurb: `${TRIAL_DAYS} days to try everything with your own model key.`,
    limits: { agents: 2, runsPerMonth: 200, telegramSeats: 2, schedules: 3, scheduleMinIntervalMinutes: 60 },
    skillPacks: null,
    features: ["2 agents", "200 runs a month", "All templates and skill packs", "2 Telegram seats", "3 schedules, hourly at most"],
  },
  pro: {
    id: "pro",
    name: "Pro",
    priceUsd: 49,
    blurb: "For a team that works with its agents every day.",
    limits: { agents: 10, runsPerMonth: 5_000, telegramSeats: 10, schedules: 50, scheduleMinIntervalMinutes: 15 },
    skillPacks: null,
    features: [
      "10 agents",
      "5,000 runs a month",
      "All templates and skill packs",
      "10 Telegram seats",
      "50 schedules, every 15 minutes at most",
      "API access",
    ],
  },
  team: {
    id: "team",
    name: "Team",
    priceUsd: 199,
    blurb: "For larger teams running agents across the company.",
    limits: { agents: 50, runsPerMonth: 25_000, telegramSeats: 50, schedules: 500, scheduleMinIntervalMinutes: 5 },
    skillPacks: null,
    features: [
      "50 agents",
      "25,000 runs a month",
      "All templates and skill packs",
      "50 Telegram seats",
      "500 schedules, every 5 minutes at most",
      "API access",
      "Priority support",
    ],
  },
};

export const DEVELOPMENT_PLAN: Plan = {
  id: "development",
  name: "Development",
  priceUsd: 0,
  blurb: "Billing is off on this AutoClaw: no limits, nothing to pay.",
  limits: { agents: null, runsPerMonth: null, telegramSeats: null, schedules: null, scheduleMinIntervalMinutes: null },
  skillPacks: null,
  features: ["Everything, without limits"],
};

/** Stripe's subscription statuses, as AutoClaw keeps them. */
export const SUBSCRIPTION_STATUSES = [
  "trialing",
  "active",
  "past_due",
  "canceled",
  "unpaid",
  "incomplete",
  "incomplete_expired",
  "paused",
] as const;
export const subscriptionStatus = z.enum(SUBSCRIPTION_STATUSES);
export type SubscriptionStatus = z.infer<typeof subscriptionStatus>;

export const billingStatus = z.object({
  billingEnabled: z.boolean(),
  plan: z.enum(["development", ...PLAN_IDS]),
  planName: z.string(),
  status: subscriptionStatus,
  /** Renewal (or, trialing, the trial's end). */
  currentPeriodEnd: z.iso.datetime().nullable(),
  /** May this team run agents now (with the reason when not). */
  canRun: z.boolean(),
  reason: z.string().nullable(),
  hasCustomer: z.boolean(),
  usage: z.object({ agents: z.number().int(), runsThisMonth: z.number().int(), telegramSeats: z.number().int() }),
  limits: planLimits,
});
export type BillingStatus = z.infer<typeof billingStatus>;

export const publicPlan = z.object({
  id: planId,
  name: z.string(),
  priceUsd: z.number(),
  blurb: z.string(),
  features: z.array(z.string()),
  purchasable: z.boolean(),
});
export type PublicPlan = z.infer<typeof publicPlan>;

export const checkoutInput = z.object({ plan: planId.exclude(["trial"]) });
export const redirectUrl = z.object({ url: z.url() });
