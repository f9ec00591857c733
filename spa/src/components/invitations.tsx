import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Link, useLocation } from "wouter";
import { toast } from "../lib/toast";
import { resendVerification, type SessionUser } from "../lib/auth";
import { formatDate } from "../lib/format";
import { useSwitchTeam } from "../lib/teams";
import { errorMessage, useTRPC } from "../lib/trpc";
import { Alert, Badge, Button, Card } from "./ui";

/** Until the address is verified: what for, and a way to get the link again. */
export function VerifyEmailBanner({ user, callbackURL }: { user: SessionUser; callbackURL?: string }) {
  const [busy, setBusy] = useState(false);
  if (user.emailVerified) return null;
  return (
    <Alert tone="amber" title="Verify your email" testId="verify-banner">
      <p>
        We sent a link to <strong>{user.email}</strong>. Follow it to confirm the address is yours: you need that to accept invitations to
        teams.{" "}
        <button
          type="button"
          disabled={busy}
          className="font-medium underline hover:no-underline disabled:opacity-50"
          onClick={async () => {
            setBusy(true);
            try {
              await resendVerification(user.email, callbackURL ?? window.location.pathname);
              toast.success(`Sent a new link to ${user.email}`);
            } catch (e) {
              toast.error(errorMessage(e));
            } finally {
              setBusy(false);
            }
          }}
        >
          Resend the link
        </button>
      </p>
    </Alert>
  );
}

/** The open invitations addressed to the signed-in person, to accept or decline. */
export function MyInvitations({ emptyText }: { emptyText?: string }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const [, navigate] = useLocation();
  const switchTeam = useSwitchTeam();
  const mine = useQuery(trpc.invitations.mine.queryOptions());
  const refresh = () => qc.invalidateQueries({ queryKey: trpc.invitations.mine.queryKey() });
  const accept = useMutation(
    trpc.invitations.accept.mutationOptions({
      onSuccess: async (team) => {
        await qc.invalidateQueries({ queryKey: trpc.tenants.list.queryKey() });
        switchTeam(team.id);
        void refresh();
        toast.success(`You joined ${team.name}`);
        navigate("/dashboard");
      },
    }),
  );
  const decline = useMutation(
    trpc.invitations.decline.mutationOptions({
      onSuccess: () => {
        void refresh();
        toast.success("Invitation declined");
      },
    }),
  );
  const list = mine.data?.invitations ?? [];
  if (!list.length)
    return emptyText && mine.isSuccess && mine.data.emailVerified ? <p className="text-sm text-zinc-500">{emptyText}</p> : null;
  return (
    <Card title="Invitations" description="Teams that invited you">
      <ul className="divide-y divide-zinc-100" data-testid="my-invitations">
        {list.map((inv) => (
          <li key={inv.id} className="flex items-center gap-3 px-5 py-3">
            <span className="min-w-0 flex-1">
              <span className="block truncate text-sm font-medium">{inv.teamName}</span>
              <span className="block text-xs text-zinc-500">
                {inv.invitedBy ? `From ${inv.invitedBy} · ` : ""}open until {formatDate(inv.expiresAt)}
              </span>
            </span>
            <Badge>{inv.role}</Badge>
            <Button variant="secondary" loading={decline.isPending} onClick={() => decline.mutate({ id: inv.id })}>
              Decline
            </Button>
            <Button loading={accept.isPending} onClick={() => accept.mutate({ id: inv.id })}>
              Join {inv.teamName}
            </Button>
          </li>
        ))}
      </ul>
    </Card>
  );
}

/** On every page of the dashboard while someone has open invitations: a pointer to them. */
export function InvitationsNotice() {
  const trpc = useTRPC();
  const mine = useQuery(trpc.invitations.mine.queryOptions());
  const n = mine.data?.invitations.length ?? 0;
  if (!n) return null;
  return (
    <Alert tone="amber" title={n === 1 ? `${mine.data!.invitations[0]!.teamName} invited you to join` : `${n} teams invited you to join`}>
      <Link to="/invitations" className="font-medium underline hover:no-underline">
        See your invitations
      </Link>
    </Alert>
  );
}
