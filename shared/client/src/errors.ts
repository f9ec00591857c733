// Typed errors: every failed call rejects with an AutoclawError (a TRPCClientError, so tRPC's own checks still
// hold), or the subclass for the cases an integrator branches on.
import { TRPCClientError } from "@trpc/client";
import type { AppRouter, ErrorShape } from "./router.generated";

/** The API's error codes, plus NETWORK_ERROR when no answer arrived at all. */
export type AutoclawErrorCode = ErrorShape["data"]["code"] | "NETWORK_ERROR";
/** Where the input was wrong and why, as the server's zod schema reported it. */
export type InputIssue = NonNullable<ErrorShape["data"]["issues"]>[number];

export class AutoclawError extends TRPCClientError<AppRouter> {
  readonly code: AutoclawErrorCode;
  /** The HTTP status the API answered with; undefined when no answer arrived. */
  readonly httpStatus: number | undefined;

  constructor(from: TRPCClientError<AppRouter>, code?: AutoclawErrorCode) {
    super(from.message, { result: from.shape ? { error: from.shape } : undefined, cause: from.cause, meta: from.meta });
    // TRPCClientError pins its own prototype in its constructor; subclasses put theirs back.
    Object.setPrototypeOf(this, new.target.prototype);
    this.name = "AutoclawError";
    this.code = code ?? from.data?.code ?? "NETWORK_ERROR";
    this.httpStatus = from.data?.httpStatus;
  }
}

/** The input did not match the procedure's schema (or broke a rule about it); `issues` says where. */
export class BadRequestError extends AutoclawError {
  readonly issues: InputIssue[];
  constructor(from: TRPCClientError<AppRouter>) {
    super(from);
    this.name = "BadRequestError";
    this.issues = from.data?.issues ?? [];
  }
}

/** Nothing by that id in this team: it does not exist, or it belongs to another team (the API does not say which). */
export class NotFoundError extends AutoclawError {
  constructor(from: TRPCClientError<AppRouter>) {
    super(from);
    this.name = "NotFoundError";
  }
}

/** Signed in, but this key's scopes or this member's role do not allow the call. */
export class ForbiddenError extends AutoclawError {
  constructor(from: TRPCClientError<AppRouter>) {
    super(from);
    this.name = "ForbiddenError";
  }
}

/** Too many requests. `retryAfter` is the server's Retry-After in seconds, when it gave one. */
export class RateLimitedError extends AutoclawError {
  readonly retryAfter: number | undefined;
  constructor(from: TRPCClientError<AppRouter>) {
    super(from);
    this.name = "RateLimitedError";
    this.retryAfter = retryAfterSeconds(from);
  }
}

/** `runs.createAndWait` gave up waiting. The run itself goes on: fetch it later by `runId`. */
export class RunTimeoutError extends AutoclawError {
  readonly runId: string;
  constructor(runId: string, timeoutMs: number) {
    super(
      new TRPCClientError(`Run ${runId} had not finished after ${timeoutMs} ms; it is still running (fetch it with runs.get)`),
      "TIMEOUT",
    );
    this.name = "RunTimeoutError";
    this.runId = runId;
  }
}

/** Seconds from an HTTP Retry-After header (delta-seconds or an HTTP date), if the failed response carried one. */
export function retryAfterSeconds(err: TRPCClientError<AppRouter>): number | undefined {
  // Duck-typed: a custom fetch may hand back another realm's Response.
  const response = err.meta?.response as { headers?: { get?: (name: string) => string | null } } | undefined;
  const header = typeof response?.headers?.get === "function" ? response.headers.get("retry-after") : null;
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds);
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - Date.now()) / 1000));
}

/** The typed error for any failure a link reports. */
export function toAutoclawError(err: unknown): AutoclawError {
  if (err instanceof AutoclawError) return err;
  const from = err instanceof TRPCClientError ? (err as TRPCClientError<AppRouter>) : TRPCClientError.from<AppRouter>(err as Error);
  switch (from.data?.code) {
    case "BAD_REQUEST":
      return new BadRequestError(from);
    case "NOT_FOUND":
      return new NotFoundError(from);
    case "FORBIDDEN":
      return new ForbiddenError(from);
    case "TOO_MANY_REQUESTS":
      return new RateLimitedError(from);
    default:
      return new AutoclawError(from);
  }
}
