import { z } from "zod";
import {
  applyPackInput,
  configureSkillInput,
  skillDiagnosis,
  skillEntry,
  skillNameInput,
  skillPack,
  skillPolicyChange,
  skillsList,
  updateAgentSkillsInput,
  updateSkillPolicyInput,
} from "@autoclaw/shared";
import {
  applyPack,
  configureSkill,
  diagnoseSkill,
  listPacks,
  listSkills,
  policyChanges,
  updateAgentSkills,
  updateSkillPolicy,
} from "../../domain/skills";
import { accessProcedure, router } from "../init";

export const skillsRouter = router({
  /** What the team's OpenClaw has, with the team's policy for each skill (from the cache while the runtime is stopped). */
  list: accessProcedure("read")
    .output(skillsList)
    .query(({ ctx }) => listSkills(ctx.svc, ctx.tenant.id)),

  /** Re-reads the inventory from the running gateway. */
  refresh: accessProcedure("manageTeam")
    .output(skillsList)
    .mutation(({ ctx }) => listSkills(ctx.svc, ctx.tenant.id, { refresh: "rescan" })),

  /** A batch of switches, applied all or nothing; `allowed` is the platform's and the plan's, never the team's. */
  updatePolicy: accessProcedure("manageTeam")
    .input(updateSkillPolicyInput)
    .output(skillsList)
    .mutation(({ ctx, input }) => updateSkillPolicy(ctx.svc, ctx.tenant.id, ctx.by, input)),

  /** Adds skills to or removes them from one agent (null: as its template has it). */
  updateAgent: accessProcedure("manageTeam")
    .input(updateAgentSkillsInput)
    .output(skillsList)
    .mutation(({ ctx, input }) => updateAgentSkills(ctx.svc, ctx.tenant.id, ctx.by, input)),

  packs: accessProcedure("read")
    .output(z.array(skillPack))
    .query(({ ctx }) => listPacks(ctx.svc, ctx.tenant.id)),

  applyPack: accessProcedure("manageTeam")
    .input(applyPackInput)
    .output(skillsList)
    .mutation(({ ctx, input }) => applyPack(ctx.svc, ctx.tenant.id, ctx.by, input)),

  /** Why a skill is not eligible, and what fixes it. */
  diagnose: accessProcedure("read")
    .input(skillNameInput)
    .output(skillDiagnosis)
    .query(({ ctx, input }) => diagnoseSkill(ctx.svc, ctx.tenant.id, input.name)),

  /** Sets a skill's environment values (an API key); they are never returned. */
  configure: accessProcedure("manageTeam")
    .input(configureSkillInput)
    .output(skillEntry)
    .mutation(({ ctx, input }) => configureSkill(ctx.svc, ctx.tenant.id, ctx.by, input)),

  /** Who changed what, newest first. */
  history: accessProcedure("manageTeam")
    .output(z.array(skillPolicyChange))
    .query(({ ctx }) => policyChanges(ctx.svc.db, ctx.tenant.id)),
});
