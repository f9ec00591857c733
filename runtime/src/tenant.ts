// One tenant as the runtime host tracks it, and the host's refusals (an HTTP status and, where the
// Worker's next step depends on it, a RuntimeErrorCode).
import type { ChildProcess } from "node:child_process";
import type { RuntimeErrorCode, StartSpec } from "@autoclaw/runtime-protocol";
import type { RuntimeState } from "@autoclaw/shared";

export const TENANT_ID = /^[A-Za-z0-9_-]{1,64}$/;
export const AGENT_ID = /^[a-z0-9_-]{1,64}$/;

export interface Tenant {
  id: string;
  /** The tenant's own directory on this host (kept across starts). */
  home: string;
  /** Where its gateway lives: `home`, or a claimed pool slot's directory. */
  dir: string;
  pooled: boolean;
  state: RuntimeState;
  child?: ChildProcess;
  port?: number;
  token?: string;
  startedAt?: number;
  lastActivityAt?: number;
  lastError?: string;
  restarts: number;
  stopping: boolean;
  starting?: Promise<void>;
  /** What the gateway runs with (the newest start's spec), to restart a crashed gateway the same way. */
  spec?: StartSpec;
  cleanupTimer?: NodeJS.Timeout;
  /** Turns under way, by OpenClaw session key. */
  turns: Map<string, AbortController>;
  /** SHA-256 of the model token in the config the gateway was last given (what it presents to the proxy). */
  tokenHash?: string;
  /** Workspace hashes, reused while a file is unchanged. */
  hashes: Map<string, { key: string; sha256: string }>;
}

export class HostHttpError extends Error {
  readonly status: number;
  readonly code?: RuntimeErrorCode;
  constructor(status: number, message: string, code?: RuntimeErrorCode) {
    super(message);
    this.status = status;
    this.code = code;
  }
}
