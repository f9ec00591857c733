import { DurableObject } from "cloudflare:workers";
import type { AppEnv } from "../env";

/**
 * One per agent (`tenant:<tenantId>:agent:<agentId>`): serialises that agent's turns and keeps its
 * session state. Declared with the backbone; the runs pipeline gives it its work.
 */
export class AgentSession extends DurableObject<AppEnv> {}
