// "Check runtime": OpenClaw's own read-only diagnostics of a team's running gateway (its security
// audit and doctor's lint), as one list of findings. Never starts a gateway for it.
import type { RuntimeCheck } from "@autoclaw/shared";
import { DomainError } from "./errors";
import { runtimeStatus, type RuntimeDeps } from "./runtime";

type Finding = RuntimeCheck["findings"][number];
const severityOf = (s: string | undefined): Finding["severity"] =>
  s === "critical" || s === "error" ? "critical" : s === "warn" || s === "warning" ? "warn" : "info";
const json = (stdout: string) => JSON.parse(stdout.slice(stdout.indexOf("{"))) as Record<string, unknown>;

export async function checkRuntime(rt: RuntimeDeps, tenantId: string): Promise<RuntimeCheck> {
  if ((await runtimeStatus(rt, tenantId)).state !== "ready")
    throw new DomainError("PRECONDITION_FAILED", "Start the runtime first: the check asks the running OpenClaw");
  const errors: string[] = [];
  const run = async (args: string[], parse: (out: Record<string, unknown>) => Finding[]) => {
    try {
      const r = await rt.driver.cli(tenantId, args);
      // doctor exits 1 when it has findings: its JSON is the answer either way.
      return parse(json(r.stdout));
    } catch (e) {
      errors.push(`openclaw ${args.join(" ")}: ${e instanceof Error ? e.message : String(e)}`.slice(0, 300));
      return [];
    }
  };
  const [audit, doctor] = await Promise.all([
    run(["security", "audit", "--json"], (out) =>
      ((out.findings ?? []) as Record<string, string>[]).map((f) => ({
        source: "security-audit" as const,
        checkId: String(f.checkId ?? ""),
        severity: severityOf(f.severity),
        title: String(f.title ?? f.checkId ?? ""),
        detail: String(f.detail ?? ""),
        remediation: f.remediation ? String(f.remediation) : null,
      })),
    ),
    run(["doctor", "--lint", "--json"], (out) =>
      ((out.findings ?? []) as Record<string, string>[]).map((f) => ({
        source: "doctor" as const,
        checkId: String(f.checkId ?? ""),
        severity: severityOf(f.severity),
        title: String(f.message ?? f.checkId ?? ""),
        detail: [f.path, f.target].filter(Boolean).join(" · "),
        remediation: f.fixHint ? String(f.fixHint) : null,
      })),
    ),
  ]);
  const order = { critical: 0, warn: 1, info: 2 };
  return {
    checkedAt: new Date().toISOString(),
    findings: [...audit, ...doctor].sort((a, b) => order[a.severity] - order[b.severity]),
    errors,
  };
}
