import { useSyncExternalStore } from "react";

// The team the dashboard acts in: remembered per browser, sent as x-tenant-id on every call.
const KEY = "autoclaw.tenantId";
const listeners = new Set<() => void>();

export function getTenantId(): string | null {
  return localStorage.getItem(KEY);
}

export function setTenantId(id: string | null) {
  if (id) localStorage.setItem(KEY, id);
  else localStorage.removeItem(KEY);
  for (const l of listeners) l();
}

export function useTenantId(): string | null {
  return useSyncExternalStore((l) => {
    listeners.add(l);
    return () => listeners.delete(l);
  }, getTenantId);
}
