// The team's people: who is in it and in what role, open invitations, inviting, and leaving.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useLocation } from "wouter";
import { toast } from "../lib/toast";
import { inviteInput, roleAllows, type TenantOverview, type TenantRole } from "@autoclaw/shared";
import { useSession } from "../lib/auth";
import { formatDate } from "../lib/format";
import { useZodForm } from "../lib/forms";
import { setTenantId } from "../lib/tenant";
import { useTRPC } from "../lib/trpc";
import { Badge, Button, Card, ConfirmDialog, Field, Input, PersonLabel, Select } from "./ui";

export function Members({ team }: { team: TenantOverview }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const session = useSession();
  const canManage = roleAllows(team.role, "manageTeam");
  const setOverview = (data: TenantOverview) => qc.setQueryData(trpc.tenants.current.queryKey(), data);
  const remove = useMutation(
    trpc.tenants.removeMember.mutationOptions({
      onSuccess: (data) => {
        setOverview(data);
        toast.success("Member removed");
      },
    }),
  );
  const setRole = useMutation(
    trpc.tenants.setRole.mutationOptions({
      onSuccess: (data) => {
        setOverview(data);
        void qc.invalidateQueries({ queryKey: trpc.tenants.list.queryKey() });
        toast.success("Role changed");
      },
    }),
  );
  // Owners are made by owners; admins move people between member and admin.
  const rolesFor = (current: TenantRole): TenantRole[] =>
    team.role === "owner" ? ["owner", "admin", "member"] : current === "owner" ? [] : ["admin", "member"];

  return (
    <Card className="self-start" title="Members" description={`${team.members.length} ${team.members.length === 1 ? "person" : "people"}`}>
      <ul className="divide-y divide-zinc-100" data-testid="members">
        {team.members.map((m) => {
          const roles = canManage ? rolesFor(m.role) : [];
          return (
            <li key={m.userId} className="flex items-center gap-3 px-5 py-3">
              <PersonLabel name={m.name} email={m.email} />
              {roles.length > 0 ? (
                <Select
                  aria-label={`Role of ${m.name}`}
                  value={m.role}
                  className="w-24! shrink-0"
                  disabled={setRole.isPending}
                  onChange={(e) => setRole.mutate({ userId: m.userId, role: e.target.value as TenantRole })}
                >
                  {roles.map((r) => (
                    <option key={r} value={r}>
                      {r}
                    </option>
                  ))}
                </Select>
              ) : (
                <Badge tone={m.role === "owner" ? "brand" : "zinc"}>{m.role}</Badge>
              )}
              {canManage && m.role !== "owner" && m.userId !== session.data?.id && (
                <button
                  type="button"
                  aria-label={`Remove ${m.name}`}
                  onClick={() => remove.mutate({ userId: m.userId })}
                  className="text-xs text-zinc-400 hover:text-red-600"
                >
                  ✕
                </button>
              )}
            </li>
          );
        })}
      </ul>
      {canManage ? (
        <>
          <PendingInvitations />
          <InviteForm />
        </>
      ) : (
        <p className="border-t border-zinc-100 px-5 py-3 text-xs text-zinc-500">Ask an owner or admin to invite people.</p>
      )}
      <LeaveTeam team={team} />
    </Card>
  );
}

function InviteForm() {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const invite = useMutation(
    trpc.tenants.invite.mutationOptions({
      onSuccess: (inv) => {
        void qc.invalidateQueries({ queryKey: trpc.tenants.invitations.queryKey() });
        if (inv.emailSent) toast.success(`Invitation sent to ${inv.email}`);
        else
          toast.warning(
            `Invitation saved, but the email to ${inv.email} could not be sent: they will find it under Invitations when signed in`,
          );
      },
    }),
  );
  const { errors, onSubmit } = useZodForm(inviteInput, (value, form) => invite.mutate(value, { onSuccess: () => form.reset() }));
  return (
    <form onSubmit={onSubmit} noValidate className="space-y-2 border-t border-zinc-100 px-5 py-4">
      <Field
        label="Invite a teammate"
        error={errors.email ?? errors.role}
        hint="They get an email; they join once they accept with that address, verified."
      >
        <div className="flex gap-2">
          <Input name="email" type="email" placeholder="name@company.com" invalid={!!errors.email} />
          <Select name="role" aria-label="Role" defaultValue="member" className="w-24! shrink-0">
            <option value="member">member</option>
            <option value="admin">admin</option>
          </Select>
          <Button type="submit" variant="secondary" loading={invite.isPending}>
            Invite
          </Button>
        </div>
      </Field>
    </form>
  );
}

function PendingInvitations() {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const pending = useQuery(trpc.tenants.invitations.queryOptions());
  const revoke = useMutation(
    trpc.tenants.revokeInvitation.mutationOptions({
      onSuccess: () => {
        void qc.invalidateQueries({ queryKey: trpc.tenants.invitations.queryKey() });
        toast.success("Invitation revoked");
      },
    }),
  );
  if (!pending.data?.length) return null;
  return (
    <div className="border-t border-zinc-100 px-5 py-3">
      <p className="text-xs font-medium tracking-wide text-zinc-400 uppercase">Invited</p>
      <ul className="mt-1 divide-y divide-zinc-50" data-testid="pending-invitations">
        {pending.data.map((inv) => (
          <li key={inv.id} className="flex items-center gap-3 py-2 text-sm">
            <span className="min-w-0 flex-1">
              <span className="block truncate">{inv.email}</span>
              <span className="block text-xs text-zinc-500">open until {formatDate(inv.expiresAt)}</span>
            </span>
            <Badge>{inv.role}</Badge>
            <button
              type="button"
              aria-label={`Revoke the invitation to ${inv.email}`}
              onClick={() => revoke.mutate({ id: inv.id })}
              className="text-xs text-zinc-400 hover:text-red-600"
            >
              Revoke
            </button>
          </li>
        ))}
      </ul>
    </div>
  );
}

function LeaveTeam({ team }: { team: TenantOverview }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const [, navigate] = useLocation();
  const [open, setOpen] = useState(false);
  const leave = useMutation(
    trpc.tenants.leave.mutationOptions({
      onSuccess: () => {
        setTenantId(null);
        qc.clear();
        toast.success(`You left ${team.name}`);
        navigate("/dashboard");
      },
      onSettled: () => setOpen(false),
    }),
  );
  return (
    <div className="border-t border-zinc-100 px-5 py-3 text-right">
      <button type="button" onClick={() => setOpen(true)} className="text-xs text-zinc-500 hover:text-red-600">
        Leave this team
      </button>
      <ConfirmDialog
        open={open}
        onClose={() => setOpen(false)}
        title={`Leave ${team.name}?`}
        confirmLabel="Leave team"
        busy={leave.isPending}
        onConfirm={() => leave.mutate()}
      >
        You lose access to its agents, runs and keys, and the Telegram accounts you paired with it are unpaired. An admin can invite you
        again. A team's only owner cannot leave: make someone else an owner first.
      </ConfirmDialog>
    </div>
  );
}
