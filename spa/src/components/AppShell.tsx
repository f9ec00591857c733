import { useQueryClient } from "@tanstack/react-query";
import clsx from "clsx";
import { createContext, type ReactNode, Suspense, useContext, useEffect, useRef, useState } from "react";
import { Link, Redirect, useLocation } from "wouter";
import { toast } from "../lib/toast";
import { signOut, useSession, type SessionUser } from "../lib/auth";
import type { Access } from "@autoclaw/shared";
import { useCan, useSwitchTeam, useTeams } from "../lib/teams";
import { setTenantId } from "../lib/tenant";
import { errorMessage } from "../lib/trpc";
import { InvitationsNotice, VerifyEmailBanner } from "./invitations";
import { ErrorState, Loading, Logo, PersonLabel } from "./ui";

const NAV: { to: string; label: string; icon: string }[] = [
  { to: "/dashboard", label: "Dashboard", icon: "◧" },
  { to: "/agents", label: "Agents", icon: "✦" },
  { to: "/runs", label: "Runs", icon: "▶" },
  { to: "/skills", label: "Skills", icon: "✧" },
  { to: "/runtime", label: "Runtime", icon: "⬢" },
  { to: "/telegram", label: "Telegram", icon: "✈" },
  { to: "/usage", label: "Usage", icon: "▤" },
  { to: "/billing", label: "Billing", icon: "◈" },
];
const SETTINGS_NAV: { to: string; label: string; icon: string; access?: Access }[] = [
  { to: "/settings/keys", label: "Model keys", icon: "◆" },
  { to: "/settings/api-keys", label: "API keys", icon: "⌘" },
  { to: "/audit", label: "Audit log", icon: "☰", access: "audit" },
];

const SessionUserContext = createContext<SessionUser | null>(null);

/** The signed-in user, inside RequireSession. */
export function useSessionUser(): SessionUser {
  const user = useContext(SessionUserContext);
  if (!user) throw new Error("useSessionUser outside RequireSession");
  return user;
}

/** Signed-in area: redirects to /login without a session. */
export function RequireSession({ children }: { children: ReactNode }) {
  const session = useSession();
  const [pathname] = useLocation();
  if (session.isPending) return <Loading />;
  if (session.isError) return <ErrorState message={errorMessage(session.error)} onRetry={() => session.refetch()} />;
  if (!session.data) return <Redirect to={`/login?next=${encodeURIComponent(pathname)}`} replace />;
  return <SessionUserContext value={session.data}>{children}</SessionUserContext>;
}

/** The team's pages: navigation beside them; redirects to team creation without a team. */
export function AppShell({ children }: { children: ReactNode }) {
  const session = useSession();
  const teams = useTeams();
  const can = useCan();
  if (teams.isPending) return <Loading label="Loading your teams…" />;
  if (teams.isError) return <ErrorState message={errorMessage(teams.error)} onRetry={() => teams.refetch()} />;
  if (!teams.current) return <Redirect to="/teams/new" replace />;

  return (
    <div className="flex min-h-screen">
      <aside className="sticky top-0 flex h-screen w-60 shrink-0 flex-col border-r border-zinc-200 bg-white">
        <Link to="/dashboard" className="px-5 py-5 text-base">
          <Logo />
        </Link>
        <div className="px-3">
          <TeamSwitcher />
        </div>
        <nav className="mt-4 flex-1 space-y-0.5 px-3" aria-label="Main">
          {NAV.map((n) => (
            <NavItem key={n.to} {...n} />
          ))}
          <p className="px-3 pt-5 pb-1 text-xs font-medium tracking-wide text-zinc-400 uppercase">Settings</p>
          {SETTINGS_NAV.filter((n) => !n.access || can(n.access)).map((n) => (
            <NavItem key={n.to} {...n} />
          ))}
        </nav>
        {session.data && <UserMenu user={session.data} />}
      </aside>
      <main className="min-w-0 flex-1">
        <div className="mx-auto max-w-5xl px-8 py-8">
          {session.data && !session.data.emailVerified && (
            <div className="mb-6">
              <VerifyEmailBanner user={session.data} />
            </div>
          )}
          <div className="mb-6 empty:hidden">
            <InvitationsNotice />
          </div>
          <Suspense key={teams.current.id} fallback={<Loading />}>
            {children}
          </Suspense>
        </div>
      </main>
    </div>
  );
}

function NavItem({ to, label, icon }: { to: string; label: string; icon: string }) {
  const [pathname] = useLocation();
  // Active on the section's own pages too (an agent's page under Agents).
  const active = pathname === to || pathname.startsWith(`${to}/`);
  return (
    <Link
      to={to}
      aria-current={active ? "page" : undefined}
      className={clsx(
        "flex items-center gap-3 rounded-lg px-3 py-2 text-sm font-medium",
        active ? "bg-brand-50 text-brand-700" : "text-zinc-600 hover:bg-zinc-100 hover:text-zinc-900",
      )}
    >
      <span className="w-4 text-center" aria-hidden>
        {icon}
      </span>
      {label}
    </Link>
  );
}

function useClickOutside(open: boolean, close: () => void) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!open) return;
    const onDown = (e: MouseEvent) => ref.current && !ref.current.contains(e.target as Node) && close();
    const onKey = (e: KeyboardEvent) => e.key === "Escape" && close();
    document.addEventListener("mousedown", onDown);
    document.addEventListener("keydown", onKey);
    return () => {
      document.removeEventListener("mousedown", onDown);
      document.removeEventListener("keydown", onKey);
    };
  }, [open, close]);
  return ref;
}

function TeamSwitcher() {
  const { teams, current } = useTeams();
  const switchTeam = useSwitchTeam();
  const [, navigate] = useLocation();
  const [open, setOpen] = useState(false);
  const ref = useClickOutside(open, () => setOpen(false));
  if (!current) return null;
  return (
    <div ref={ref} className="relative">
      <button
        type="button"
        onClick={() => setOpen((o) => !o)}
        aria-haspopup="menu"
        aria-expanded={open}
        aria-label="Switch team"
        className="flex w-full items-center gap-2.5 rounded-lg border border-zinc-200 px-2.5 py-2 text-left hover:bg-zinc-50"
      >
        <TeamAvatar name={current.name} />
        <span className="min-w-0 flex-1">
          <span className="block truncate text-sm font-medium" data-testid="current-team">
            {current.name}
          </span>
          <span className="block text-xs text-zinc-500 capitalize">{current.role}</span>
        </span>
        <span className="text-xs text-zinc-400">⇅</span>
      </button>
      {open && (
        <div role="menu" className="absolute inset-x-0 top-full z-20 mt-1 rounded-lg border border-zinc-200 bg-white p-1 shadow-lg">
          {teams.map((t) => (
            <button
              type="button"
              key={t.id}
              role="menuitem"
              onClick={() => {
                setOpen(false);
                if (t.id !== current.id) {
                  switchTeam(t.id);
                  toast.success(`Switched to ${t.name}`);
                }
              }}
              className={clsx(
                "flex w-full items-center gap-2 rounded-md px-2 py-1.5 text-left text-sm hover:bg-zinc-100",
                t.id === current.id && "font-medium",
              )}
            >
              <TeamAvatar name={t.name} small />
              <span className="flex-1 truncate">{t.name}</span>
              {t.id === current.id && <span className="text-brand-600">✓</span>}
            </button>
          ))}
          <div className="my-1 border-t border-zinc-100" />
          <button
            type="button"
            role="menuitem"
            onClick={() => {
              setOpen(false);
              navigate("/teams/new");
            }}
            className="w-full rounded-md px-2 py-1.5 text-left text-sm text-zinc-600 hover:bg-zinc-100"
          >
            + Create a team
          </button>
        </div>
      )}
    </div>
  );
}

export function TeamAvatar({ name, small }: { name: string; small?: boolean }) {
  return (
    <span
      className={clsx(
        "flex shrink-0 items-center justify-center rounded-md bg-zinc-900 font-semibold text-white",
        small ? "h-5 w-5 text-[10px]" : "h-8 w-8 text-xs",
      )}
    >
      {name.trim().slice(0, 2).toUpperCase()}
    </span>
  );
}

function UserMenu({ user }: { user: SessionUser }) {
  const qc = useQueryClient();
  const [, navigate] = useLocation();
  const [busy, setBusy] = useState(false);
  return (
    <div className="flex items-center gap-3 border-t border-zinc-200 px-4 py-3">
      <PersonLabel name={user.name} email={user.email} tone="brand" />
      <button
        type="button"
        disabled={busy}
        onClick={async () => {
          setBusy(true);
          try {
            await signOut();
            setTenantId(null);
            qc.clear();
            toast.success("Signed out");
            navigate("/login");
          } catch (e) {
            toast.error(errorMessage(e));
            setBusy(false);
          }
        }}
        className="rounded-md px-2 py-1 text-xs font-medium text-zinc-500 hover:bg-zinc-100 hover:text-zinc-900"
      >
        Sign out
      </button>
    </div>
  );
}
