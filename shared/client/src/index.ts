export {
  createAutoclawClient,
  FINAL_RUN_STATUSES,
  idempotencyKey,
  type Artifact,
  type AutoclawClient,
  type AutoclawClientOptions,
  type ConversationSummary,
  type EventSourceWithFetch,
  type RouterInputs,
  type RouterOutputs,
  type Run,
  type RunEvent,
  type RunSummary,
  type RunsHelpers,
  type WaitOptions,
} from "./client";
export {
  AutoclawError,
  BadRequestError,
  ForbiddenError,
  NotFoundError,
  RateLimitedError,
  RunTimeoutError,
  type AutoclawErrorCode,
  type InputIssue,
} from "./errors";
export type { AppRouter, ErrorShape, TrackedData } from "./router.generated";
