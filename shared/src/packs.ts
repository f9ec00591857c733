import { findTemplate } from "./templates";

/**
 * Skill packs: named sets of OpenClaw skills (bundled with openclaw 2026.9.6) that a template turns on
 * together. An agent's runtime allowlist is the union of its template's packs. Some skills need a
 * tool or key the runtime lacks; OpenClaw reports them as not eligible, with what is missing.
 */
export const SKILL_PACKS: Record<string, { name: string; description: string; skills: string[] }> = {
  productivity: {
    name: "Productivity",
    description: "Workflows, task boards and notes.",
    skills: ["taskflow", "taskflow-inbox-triage", "notion", "trello", "weather"],
  },
  research: {
    name: "Research",
    description: "Reading the web, summarising and visual explanations.",
    skills: ["summarize", "blogwatcher", "browser-automation", "visualize", "diagram-maker"],
  },
  support: {
    name: "Support",
    description: "Inbox triage and the tools support teams track work in.",
    skills: ["taskflow-inbox-triage", "notion", "trello"],
  },
  briefing: {
    name: "Briefing",
    description: "Feeds, summaries and visuals for daily digests.",
    skills: ["summarize", "blogwatcher", "weather", "visualize"],
  },
};

export function skillsForTemplate(templateId: string): string[] | undefined {
  const t = findTemplate(templateId);
  if (!t) return undefined;
  return [...new Set(t.packs.flatMap((p) => SKILL_PACKS[p]?.skills ?? []))].sort();
}
