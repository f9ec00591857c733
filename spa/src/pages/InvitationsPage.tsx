import { Link } from "wouter";
import { useSessionUser } from "../components/AppShell";
import { MyInvitations, VerifyEmailBanner } from "../components/invitations";
import { Logo } from "../components/ui";
import { useTeams } from "../lib/teams";

/** Where an invitation's mail lands: the person's open invitations, once their email is verified. */
export function InvitationsPage() {
  const user = useSessionUser();
  const { teams } = useTeams();
  return (
    <div className="flex min-h-screen items-start justify-center px-6 py-16">
      <div className="w-full max-w-2xl space-y-5">
        <Logo className="text-lg" />
        <div>
          <h1 className="text-xl font-semibold tracking-tight">Your invitations</h1>
          <p className="mt-1 text-sm text-zinc-500">
            Teams invite an email address. Signed in as <strong>{user.email}</strong>.
          </p>
        </div>
        <VerifyEmailBanner user={user} callbackURL="/invitations" />
        <MyInvitations emptyText={`No open invitations for ${user.email}. An invitation stays open for 7 days.`} />
        <p className="flex gap-4 text-sm">
          {teams.length > 0 && (
            <Link to="/dashboard" className="text-brand-700 hover:underline">
              Back to the dashboard
            </Link>
          )}
          <Link to="/teams/new" className="text-zinc-500 hover:text-zinc-900">
            Create a team of your own
          </Link>
        </p>
      </div>
    </div>
  );
}
