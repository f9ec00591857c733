import { getSandbox, type Sandbox } from "@cloudflare/sandbox";
import { IDLE_STOP_MS } from "./driver";
import type { SandboxLike } from "./sandbox-driver";

/**
 * The real Sandbox stubs: one container per tenant (kept apart so the driver itself loads anywhere).
 * A container sleeps (and loses its disk) only well after the platform's own idle stop, which saves
 * the workspace and OpenClaw's conversations first.
 */
export function sandboxStubs(ns: DurableObjectNamespace<Sandbox>): (tenantId: string) => SandboxLike {
  const sleepAfter = `${Math.round((2 * IDLE_STOP_MS) / 60_000)}m`;
  return (tenantId) => getSandbox(ns, `tenant:${tenantId}`, { sleepAfter });
}
