import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect } from "react";
import { type Access, roleAllows } from "@autoclaw/shared";
import { useTRPC } from "./trpc";
import { setTenantId, useTenantId } from "./tenant";

/** The caller's teams and the one the dashboard acts in (kept valid as teams come and go). */
export function useTeams() {
  const trpc = useTRPC();
  const teams = useQuery(trpc.tenants.list.queryOptions());
  const storedId = useTenantId();
  const list = teams.data ?? [];
  const current = list.find((t) => t.id === storedId) ?? list[0] ?? null;

  useEffect(() => {
    if (teams.isSuccess && current?.id !== storedId) setTenantId(current?.id ?? null);
  }, [teams.isSuccess, current?.id, storedId]);

  return { ...teams, teams: list, current };
}

/** Switch teams: every cached answer belonged to the old team, so reset all but the session and team list. */
export function useSwitchTeam() {
  const qc = useQueryClient();
  const trpc = useTRPC();
  return (id: string) => {
    setTenantId(id);
    void qc.resetQueries({
      predicate: (q) => q.queryKey[0] !== "session" && JSON.stringify(q.queryKey) !== JSON.stringify(trpc.tenants.list.queryKey()),
    });
  };
}

/** What the signed-in person may do in the current team (the access matrix in shared/access.ts). */
export function useCan(): (access: Access) => boolean {
  const { current } = useTeams();
  return (access) => !!current && roleAllows(current.role, access);
}
