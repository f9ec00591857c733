// TenantRuntime: the only view the rest of the Worker has of a tenant's OpenClaw. Two drivers
// implement it: `host` (the local runtime host, development and tests) and `sandbox` (production,
// one @cloudflare/sandbox container per tenant).
import type { TenantOpenclawConfig } from "./openclaw-config";

export type RuntimeState = "stopped" | "starting" | "ready" | "error";

export interface DriverStatus {
  state: RuntimeState;
  lastError: string | null;
}

export interface StartSpec {
  config: TenantOpenclawConfig;
  /** Variables the config's `${ENV}` references resolve from inside the runtime (the model token). */
  env: Record<string, string>;
}

export interface WorkspaceFile {
  /** Relative to the tenant's workspace root: `<agentId>/<file>`. */
  path: string;
  size: number;
  sha256: string;
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Sent with a turn to the gateway: "list this agent's workspace folder once the answer is complete
 * and return it with the answer" — one round trip instead of two after every turn. A driver that
 * can (host) answers with LISTING_HEADER (base64 JSON of WorkspaceFile[]); without it the caller
 * lists the files itself.
 */
export const LIST_AFTER_HEADER = "x-autoclaw-list-after";
export const LISTING_HEADER = "x-autoclaw-workspace-listing";
/** How long the listing took, so the caller can keep it out of the time it books to the agent. */
export const LISTING_MS_HEADER = "x-autoclaw-listing-ms";

export interface RuntimeDriver {
  readonly kind: "host" | "sandbox";
  /** Starts the gateway (joining a start already under way) and resolves when it is ready. */
  start(tenantId: string, spec: StartSpec): Promise<DriverStatus>;
  stop(tenantId: string): Promise<void>;
  status(tenantId: string): Promise<DriverStatus>;
  /** Replaces the running gateway's config; resolves once OpenClaw has hot-reloaded it. */
  applyConfig(tenantId: string, config: TenantOpenclawConfig): Promise<void>;
  writeFiles(tenantId: string, files: { path: string; content: Uint8Array }[]): Promise<void>;
  /** Every file of the workspace, or of one agent's folder in it (`under` = the agent id). */
  listFiles(tenantId: string, under?: string): Promise<WorkspaceFile[]>;
  readFile(tenantId: string, path: string): Promise<Uint8Array>;
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

export class RuntimeError extends Error {
  readonly status: number;
  constructor(message: string, status = 502) {
    super(message);
    this.name = "RuntimeError";
    this.status = status;
  }
}

export const toBase64 = (bytes: Uint8Array) => {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
};
export const fromBase64 = (b64: string) => Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
