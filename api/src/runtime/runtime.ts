// TenantRuntime: the only view the rest of the Worker has of a tenant's OpenClaw. Two drivers
// implement it: `host` (the local runtime host, development and tests) and `sandbox` (production,
// one @cloudflare/sandbox container per tenant).
import type { TenantOpenclawConfig } from "./openclaw-config";
import type { WorkspaceListing } from "./workspace";

export type RuntimeState = "stopped" | "starting" | "ready" | "error";

export interface DriverStatus {
  state: RuntimeState;
  lastError: string | null;
  /** The start generation whose secrets the running gateway has (null when none runs). */
  generation: number | null;
  /** SHA-256 of the model token the running gateway presents to the proxy, when the driver knows it. */
  tokenHash?: string | null;
}

export interface StartSpec {
  /** D1's generation for this start: its model token and gateway token belong to it. */
  generation: number;
  config: TenantOpenclawConfig;
  /** Variables the config's `${ENV}` references resolve from inside the runtime (the model token). */
  env: Record<string, string>;
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface TurnRequest {
  agentId: string;
  /** OpenClaw's session (`agent:<agentId>:<scope>`): the conversation the turn continues. */
  sessionKey: string;
  channel: string;
  input: string;
  /** The turn is stopped in the gateway (and fails with RuntimeError `timeout`) after this long. */
  deadlineMs: number;
}

export interface TurnResult {
  /** The gateway's HTTP status and body (OpenAI chat completion, or its error). */
  status: number;
  body: string;
  /** Time inside the gateway (the agent and its model calls). */
  agentMs: number;
  /** The agent's folder as it is after the turn (absent if it could not be listed). */
  listing?: WorkspaceListing;
}

export interface RuntimeDriver {
  readonly kind: "host" | "sandbox";
  /**
   * Resolves when a gateway runs with exactly this spec's secrets: it starts one, joins a start under
   * way, or gives a gateway that is already running the new generation's secrets. A start of an older
   * generation than the running one is refused (RuntimeError `superseded`).
   */
  start(tenantId: string, spec: StartSpec): Promise<DriverStatus>;
  stop(tenantId: string): Promise<void>;
  status(tenantId: string): Promise<DriverStatus>;
  /** Replaces the running gateway's config; resolves once OpenClaw has hot-reloaded it. */
  applyConfig(tenantId: string, config: TenantOpenclawConfig): Promise<void>;
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
   * deadline, or if the caller goes away, the turn is stopped in the gateway, not only here.
   */
  turn(tenantId: string, turn: TurnRequest, signal?: AbortSignal): Promise<TurnResult>;
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

/**
 * A runtime without runs for this long is stopped: by the runtime host itself (RUNTIME_IDLE_MS), or
 * by the Worker's cron for drivers that hand their state over (saveState), before their disk goes.
 */
export const IDLE_STOP_MS = 15 * 60_000;

/** Why a runtime operation failed, as far as the caller's next step depends on it. */
export type RuntimeErrorCode =
  /** No gateway runs for the tenant (stopped while idle, host or container restarted). */
  | "not_running"
  /** A turn of the same session is still running. */
  | "busy"
  /** The turn passed its deadline and was stopped. */
  | "timeout"
  /** The host, container or gateway did not answer. */
  | "unreachable"
  /** The runtime host runs as many gateways as it may, and none is idle. */
  | "capacity"
  /** A newer start has already given the gateway newer secrets. */
  | "superseded"
  | "no_workspace"
  | "refused"
  | "failed";

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
 * In the model proxy's refusal of a runtime's token. OpenClaw passes a provider's refusal on (as a
 * 401 in its error, or as a bare 500): a turn failing with this text comes from a gateway holding
 * other secrets than the platform, never from the team's model provider.
 */
export const RUNTIME_TOKEN_REFUSED = "autoclaw_runtime_token_refused";

/** CLI commands the Worker may run in a tenant's runtime (both drivers); nothing that installs, execs or edits. */
export const ALLOWED_CLI = [
  /^skills list --json( --agent [a-z0-9_-]{1,64})?$/,
  /^skills info [a-z0-9-]{1,64} --json( --agent [a-z0-9_-]{1,64})?$/,
  /^config validate$/,
  /^--version$/,
];

/** The runtime host's answer to `POST /tenants/:id/turn` (errors are `{ error, code }` with their status). */
export type HostTurnAnswer = TurnResult;
export interface HostError {
  error: string;
  code?: RuntimeErrorCode;
}

export const toBase64 = (bytes: Uint8Array) => {
  // In blocks: one String.fromCharCode per byte is slow for a file of megabytes.
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
};
export const fromBase64 = (b64: string) => Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
