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

export const notFound = (what: string) => new DomainError("NOT_FOUND", `${what} not found`);
