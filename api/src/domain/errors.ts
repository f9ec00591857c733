/**
 * A rule said no. Domain code throws this (never a tRPC or HTTP error) so the routers, webhooks and
 * queue consumer can each turn it into their own kind of answer. The message is shown to users.
 */
export type DomainErrorCode = "NOT_FOUND" | "FORBIDDEN" | "BAD_REQUEST" | "CONFLICT" | "PRECONDITION_FAILED" | "TOO_MANY_REQUESTS";

export class DomainError extends Error {
  readonly code: DomainErrorCode;
  constructor(code: DomainErrorCode, message: string) {
    super(message);
    this.name = "DomainError";
    this.code = code;
  }
}

/** The HTTP status of each refusal, for raw routes (tRPC maps the codes itself). */
export const HTTP_STATUS: Record<DomainErrorCode, number> = {
  BAD_REQUEST: 400,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  PRECONDITION_FAILED: 412,
  TOO_MANY_REQUESTS: 429,
};

export const notFound = (what: string) => new DomainError("NOT_FOUND", `${what} not found`);
