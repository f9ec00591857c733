// Compile-time proof (checked by `pnpm typecheck`) that the client package's generated router gives integrators
// exactly the inputs and outputs the Worker's router has. The generator's --check catches a stale file; this
// catches a generator that prints a type wrong.
import type { inferRouterInputs, inferRouterOutputs } from "@trpc/server";
import type { AppRouter as ClientRouter } from "../../shared/client/src/router.generated";
import type { AppRouter } from "../src/trpc/router";

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;

export const sameInputs: Equal<inferRouterInputs<ClientRouter>, inferRouterInputs<AppRouter>> = true;
export const sameOutputs: Equal<inferRouterOutputs<ClientRouter>, inferRouterOutputs<AppRouter>> = true;
