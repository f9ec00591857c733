import { useSearchParams } from "wouter";

/** A list's filters kept in the URL (shareable, kept on reload): the params, and a setter that clears a filter set to "". */
export function useSearchFilters() {
  const [params, setParams] = useSearchParams();
  const setFilter = (key: string, value: string) => {
    const next = new URLSearchParams(params);
    if (value) next.set(key, value);
    else next.delete(key);
    setParams(next, { replace: true });
  };
  return [params, setFilter] as const;
}
