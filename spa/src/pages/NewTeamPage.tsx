import { useMutation, useQueryClient } from "@tanstack/react-query";
import { Link, useLocation } from "wouter";
import { useSessionUser } from "../components/AppShell";
import { toast } from "../lib/toast";
import { createTenantInput } from "@autoclaw/shared";
import { MyInvitations, VerifyEmailBanner } from "../components/invitations";
import { Button, Card, Field, Input, Logo } from "../components/ui";
import { useZodForm } from "../lib/forms";
import { useTeams } from "../lib/teams";
import { setTenantId } from "../lib/tenant";
import { useTRPC } from "../lib/trpc";

export function NewTeamPage() {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const [, navigate] = useLocation();
  const { teams } = useTeams();
  const user = useSessionUser();
  const create = useMutation(
    trpc.tenants.create.mutationOptions({
      onSuccess: async (team) => {
        setTenantId(team.id);
        qc.clear();
        toast.success(`Team “${team.name}” created`);
        navigate("/dashboard");
      },
    }),
  );

  const { firstError: error, onSubmit } = useZodForm(createTenantInput, (value) => create.mutate(value));

  return (
    <div className="flex min-h-screen items-center justify-center px-6">
      <div className="w-full max-w-xl space-y-5">
        <Logo className="text-lg" />
        <VerifyEmailBanner user={user} callbackURL="/invitations" />
        {/* Invited to a team? Join it instead of (or as well as) making one. */}
        <MyInvitations />
        <Card>
          <form onSubmit={onSubmit} noValidate className="space-y-5 p-6">
            <div>
              <h1 className="text-xl font-semibold tracking-tight">{teams.length ? "Create another team" : "Create your team"}</h1>
              <p className="mt-1 text-sm text-zinc-500">
                A team has its own agents, keys, Telegram pairings, billing and its own OpenClaw runtime. You will be its owner.
              </p>
            </div>
            <Field label="Team name" error={error}>
              <Input name="name" placeholder="e.g. Acme Support" autoFocus invalid={!!error} />
            </Field>
            <div className="flex items-center justify-between">
              {teams.length > 0 ? (
                <Link to="/dashboard" className="text-sm text-zinc-500 hover:text-zinc-900">
                  Cancel
                </Link>
              ) : (
                <span />
              )}
              <Button type="submit" loading={create.isPending}>
                Create team
              </Button>
            </div>
          </form>
        </Card>
      </div>
    </div>
  );
}
