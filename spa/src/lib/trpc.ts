import { MutationCache, QueryClient } from "@tanstack/react-query";
import { toast } from "./toast";
import { createTRPCClient, httpBatchLink, httpSubscriptionLink, splitLink, TRPCClientError } from "@trpc/client";
import { createTRPCContext } from "@trpc/tanstack-react-query";
import type { AppRouter } from "@autoclaw/api/router";
import { TENANT_HEADER, TRPC_MAX_BATCH, type InputIssue } from "@autoclaw/shared";
import { getTenantId } from "./tenant";

export const { TRPCProvider, useTRPC } = createTRPCContext<AppRouter>();

export function makeQueryClient() {
  return new QueryClient({
    // One handler for every failed mutation: a toast with the API's message. A mutation that shows its
    // error itself (beside a form's fields) sets `meta: { toast: false }`.
    mutationCache: new MutationCache({
      onError: (err, _vars, _ctx, mutation) => {
        if (mutation.meta?.toast !== false) toast.error(errorMessage(err));
      },
    }),
    defaultOptions: {
      queries: {
        staleTime: 10_000,
        // A 4xx will not get better by asking again.
        retry: (count, err) => !(err instanceof TRPCClientError && (err.data?.httpStatus ?? 500) < 500) && count < 2,
      },
    },
  });
}

export function makeTrpcClient() {
  const team = () => {
    const id = getTenantId();
    return id ? { [TENANT_HEADER]: id } : {};
  };
  return createTRPCClient<AppRouter>({
    links: [
      splitLink({
        condition: (op) => op.type === "subscription",
        // Live events over SSE (the browser's EventSource, with the session cookie); it reconnects from the last event id.
        true: httpSubscriptionLink({ url: "/trpc", connectionParams: team }),
        false: httpBatchLink({ url: "/trpc", maxItems: TRPC_MAX_BATCH, headers: team }),
      }),
    ],
  });
}

/** A sentence a person can act on, from any error the API or network produced. */
export function errorMessage(err: unknown): string {
  if (err instanceof TRPCClientError) {
    const issues = err.data?.issues as InputIssue[] | undefined;
    if (issues?.length) return issues.map((i) => i.message).join(". ");
    return err.message;
  }
  if (err instanceof Error) return err.message;
  return "Something went wrong";
}
