// RuntimeDriver: the only view the rest of the Worker has of a tenant's OpenClaw. Two drivers
// implement it: `host` (the local runtime host, development and tests) and `sandbox` (production,
// one @cloudflare/sandbox container per tenant).
import type {
  CliResult,
  DriverStatus,
  RuntimeErrorCode,
  StartSpec,
  TenantOpenclawConfig,
  TurnRequest,
  TurnResult,
  WorkspaceListing,
} from "@autoclaw/runtime-protocol";

export interface RuntimeDriver {
  readonly kind: "host" | "sandbox";
  /**
   * Whether a tenant's gateway runs inside a container boundary of its own. Without one (the local
   * host) the generated config denies the agents shell and process tools.
   */
  readonly isolated: boolean;
  /**
   * Resolves when a gateway runs with exactly this spec's secrets: it starts one, joins a start under
   * way, or gives a gateway that is already running the new generation's secrets. A start of an older
   * generation than the running one is refused (RuntimeError `superseded`).
   */
  start(tenantId: string, spec: StartSpec): Promise<DriverStatus>;
  stop(tenantId: string): Promise<void>;
  status(tenantId: string): Promise<DriverStatus>;
  /**
   * Replaces the running gateway's config; resolves once OpenClaw has hot-reloaded it. `skillEnv`
   * holds the values of the skill variables the config references (all of them: the set replaces the last).
   */
  applyConfig(tenantId: string, config: TenantOpenclawConfig, skillEnv?: Record<string, string>): Promise<void>;
  /**
   * Moves these workspace folders out of the workspace, to where the agent cannot reach them (a
   * skill the team may not use has no files there); nothing is deleted.
   */
  setAside(tenantId: string, paths: string[]): Promise<void>;
  writeFiles(tenantId: string, files: { path: string; content: Uint8Array }[]): Promise<void>;
  /**
   * Every file of the workspace, or of one agent's folder (`under` = the agent id), with the
   * workspace's marker id. A folder that does not exist is RuntimeError `no_workspace`, never an empty list.
   */
  listFiles(tenantId: string, under?: string): Promise<WorkspaceListing>;
  readFile(tenantId: string, path: string): Promise<Uint8Array>;
  /** Moves the runtime's workspace aside (it is not the live one) and leaves an empty one; nothing is deleted. */
  supersedeWorkspace(tenantId: string): Promise<void>;
  /**
   * One agent turn. Only one turn per session runs at a time (another is RuntimeError `busy`); at the
   * deadline, or if the caller goes away, the turn is stopped in the gateway, not only here. With
   * `onDelta` the gateway streams, and each piece of the reply's text is handed over as it is written.
   */
  turn(tenantId: string, turn: TurnRequest, signal?: AbortSignal, onDelta?: (text: string) => void): Promise<TurnResult>;
  /** An allow-listed openclaw CLI command (skills list, config validate, …). */
  cli(tenantId: string, args: string[]): Promise<CliResult>;
  /** A request to the tenant's gateway HTTP API; the driver attaches the gateway token. */
  gatewayFetch(tenantId: string, path: string, init: RequestInit): Promise<Response>;
  logs(tenantId: string, lines: number): Promise<string[]>;
  /**
   * For drivers whose disk does not outlive a stop (sandbox: a container's disk goes when it sleeps):
   * OpenClaw's conversation state (its per-agent session databases) as one archive, taken with the
   * gateway stopped (null: none yet), and put back before the next start. The caller keeps it in R2.
   * The host driver has neither: its gateways' state stays on the host's disk across stops.
   */
  saveState?(tenantId: string): Promise<Uint8Array | null>;
  restoreState?(tenantId: string, archive: Uint8Array): Promise<void>;
}

export class RuntimeError extends Error {
  readonly status: number;
  readonly code: RuntimeErrorCode;
  constructor(message: string, status = 502, code: RuntimeErrorCode = "failed") {
    super(message);
    this.name = "RuntimeError";
    this.status = status;
    this.code = code;
  }
}

/**
 * A runtime without runs for this long is stopped: by the runtime host itself (RUNTIME_IDLE_MS), or
 * by the Worker's cron for drivers that hand their state over (saveState), before their disk goes.
 */
export const IDLE_STOP_MS = 15 * 60_000;
