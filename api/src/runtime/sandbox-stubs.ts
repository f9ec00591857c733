import { getSandbox } from "@cloudflare/sandbox";
import type { SandboxLike } from "./sandbox-driver";

/** The real Sandbox stubs: one container per tenant (kept apart so the driver itself loads anywhere). */
export function sandboxStubs(ns: DurableObjectNamespace): (tenantId: string) => SandboxLike {
  return (tenantId) => getSandbox(ns as never, `tenant:${tenantId}`) as unknown as SandboxLike;
}
