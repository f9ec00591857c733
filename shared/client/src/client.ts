// createAutoclawClient: tRPC's own client over the API's procedures, with the links an integrator would otherwise
// write (auth, safe retries, typed errors, live events) and the helpers every integration needs.
import type { inferRouterInputs, inferRouterOutputs } from "@trpc/server";
import { observable } from "@trpc/server/observable";
import {
  createTRPCClient,
  httpBatchLink,
  httpSubscriptionLink,
  retryLink,
  splitLink,
  type Operation,
  type TRPCClient,
  type TRPCLink,
} from "@trpc/client";
import { AutoclawError, RunTimeoutError, retryAfterSeconds, toAutoclawError } from "./errors";
import type { AppRouter } from "./router.generated";

export type RouterInputs = inferRouterInputs<AppRouter>;
export type RouterOutputs = inferRouterOutputs<AppRouter>;
export type Run = RouterOutputs["runs"]["get"];
export type RunSummary = RouterOutputs["runs"]["list"]["items"][number];
export type RunEvent = RouterOutputs["runs"]["events"] extends AsyncIterable<{ data: infer E }> ? E : never;
export type ConversationSummary = RouterOutputs["conversations"]["list"]["items"][number];
export type Artifact = Run["artifacts"][number];

/** A run that has stopped for good. */
export const FINAL_RUN_STATUSES = ["succeeded", "failed", "canceled"] as const satisfies readonly Run["status"][];

/** The EventSource constructors the client accepts: ones that take a `fetch` (the `eventsource` package does). */
export type EventSourceWithFetch = new (
  url: string | URL,
  init?: { fetch?: (url: string | URL, init?: RequestInit) => Promise<Response> },
) => EventSource;

export interface AutoclawClientOptions {
  /** The API's origin, e.g. `https://api.autoclaw.example` (the client adds `/trpc`). */
  url: string;
  /** An API key made in the dashboard (Settings → API keys). Sent as a bearer token; never logged. */
  apiKey: string;
  /** Defaults to the global fetch. */
  fetch?: typeof fetch;
  /**
   * Enables live run events (`runs.events.subscribe`, and `createAndWait` without polling). Pass the
   * `eventsource` package's EventSource: a browser's own cannot send the API key header.
   */
  EventSource?: EventSourceWithFetch;
  /** Retries for calls that are safe to repeat (queries; runs.create and conversations.send with an idempotencyKey). */
  retry?: { attempts?: number; baseDelayMs?: number; maxDelayMs?: number } | false;
  /** Extra headers on every request. */
  headers?: Record<string, string>;
}

export interface WaitOptions {
  /** Give up waiting (the run goes on) after this long. Default 10 minutes. */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Each live event as it happens (only when an EventSource was given). */
  onEvent?: (event: RunEvent) => void;
}

type Base = TRPCClient<AppRouter>;
type ListRunsInput = Omit<NonNullable<RouterInputs["runs"]["list"]>, "cursor">;
type ListConversationsInput = Omit<NonNullable<RouterInputs["conversations"]["list"]>, "cursor">;

export interface RunsHelpers {
  /** Queues a run and resolves with it once it has finished (succeeded, failed or canceled). */
  createAndWait(input: RouterInputs["runs"]["create"], options?: WaitOptions): Promise<Run>;
  /** Waits for a run that is already queued. */
  wait(runId: string, options?: WaitOptions): Promise<Run>;
  /** Every run matching the filter, newest first, fetching pages as the loop goes. */
  iterate(input?: ListRunsInput): AsyncGenerator<RunSummary, void, undefined>;
  /** Downloads an artifact from its signed URL (valid for 15 minutes after the run was read). */
  fetchArtifact(artifact: Artifact, init?: { signal?: AbortSignal }): Promise<Response>;
}

export interface ConversationsHelpers {
  iterate(input?: ListConversationsInput): AsyncGenerator<ConversationSummary, void, undefined>;
}

export type AutoclawClient = Omit<Base, "runs" | "conversations"> & {
  runs: Base["runs"] & RunsHelpers;
  conversations: Base["conversations"] & ConversationsHelpers;
};

/** A fresh idempotency key: send the same one again and the API answers with the same run. */
export function idempotencyKey(): string {
  return crypto.randomUUID();
}

/** How long `createAndWait`'s create holds its answer for the run (the API allows up to a minute). */
const CREATE_HOLDS_MS = 30_000;

const IDEMPOTENT_WITH_KEY = new Set(["runs.create", "conversations.send"]);

function safeToRepeat(op: Operation): boolean {
  if (op.type === "query") return true;
  const input = op.input as { idempotencyKey?: unknown } | undefined;
  return op.type === "mutation" && IDEMPOTENT_WITH_KEY.has(op.path) && typeof input?.idempotencyKey === "string";
}

/** Every failure leaves the client as a typed AutoclawError. */
function typedErrors(): TRPCLink<AppRouter> {
  return () =>
    ({ next, op }) =>
      observable((observer) =>
        next(op).subscribe({
          next: (value) => observer.next(value),
          error: (err) => observer.error(toAutoclawError(err)),
          complete: () => observer.complete(),
        }),
      );
}

function retries(options: AutoclawClientOptions["retry"]): TRPCLink<AppRouter>[] {
  if (options === false) return [];
  const { attempts = 4, baseDelayMs = 250, maxDelayMs = 8_000 } = options ?? {};
  // retryLink asks for the delay right after deciding to retry, so the decision leaves the server's Retry-After here.
  let serverDelayMs = 0;
  return [
    retryLink<AppRouter>({
      retry: ({ op, error, attempts: made }) => {
        if (made >= attempts || op.type === "subscription" || !safeToRepeat(op)) return false;
        const limited = error.data?.httpStatus === 429;
        const unreachable = !error.data && error.cause != null && error.cause.name !== "AbortError";
        serverDelayMs = limited ? (retryAfterSeconds(error) ?? 0) * 1000 : 0;
        return limited || unreachable;
      },
      retryDelayMs: (made) => {
        const backoff = Math.min(maxDelayMs, baseDelayMs * 2 ** (made - 1));
        // Full jitter keeps many clients that failed together from retrying together.
        return Math.max(serverDelayMs, Math.round(backoff / 2 + (Math.random() * backoff) / 2));
      },
    }),
  ];
}

export function createAutoclawClient(options: AutoclawClientOptions): AutoclawClient {
  const origin = options.url.replace(/\/+$/, "");
  const doFetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  const headers = { ...options.headers, authorization: `Bearer ${options.apiKey}` };
  const http = httpBatchLink<AppRouter>({ url: `${origin}/trpc`, fetch: doFetch, headers: () => headers });
  const EventSourceImpl = options.EventSource;
  const terminal = EventSourceImpl
    ? splitLink<AppRouter>({
        condition: (op) => op.type === "subscription",
        true: httpSubscriptionLink<AppRouter, EventSourceWithFetch>({
          url: `${origin}/trpc`,
          EventSource: EventSourceImpl,
          eventSourceOptions: () => ({
            fetch: (url: string | URL, init?: RequestInit) => {
              const sent = new Headers(init?.headers);
              for (const [name, value] of Object.entries(headers)) sent.set(name, value);
              return doFetch(url, { ...init, headers: sent });
            },
          }),
        }),
        false: http,
      })
    : http;
  const base = createTRPCClient<AppRouter>({ links: [typedErrors(), ...retries(options.retry), terminal] });

  const poll = async (runId: string, signal: AbortSignal): Promise<Run> => {
    for (let delay = 250; ; delay = Math.min(2_000, Math.round(delay * 1.5))) {
      const run = await base.runs.get.query({ id: runId }, { signal });
      if (isFinal(run)) return run;
      await sleep(delay, signal);
    }
  };

  const live = (runId: string, signal: AbortSignal, onEvent: WaitOptions["onEvent"]) =>
    new Promise<void>((resolve, reject) => {
      const sub = base.runs.events.subscribe(
        { runId },
        {
          signal,
          onData: ({ data }) => {
            onEvent?.(data);
            if (data.type === "done") {
              sub.unsubscribe();
              resolve();
            }
          },
          onError: (err) => {
            sub.unsubscribe();
            reject(err);
          },
        },
      );
      signal.addEventListener("abort", () => reject(signal.reason), { once: true });
    });

  const wait = async (runId: string, { timeoutMs = 600_000, signal, onEvent }: WaitOptions = {}): Promise<Run> => {
    const timeout = AbortSignal.timeout(timeoutMs);
    const both = signal ? AbortSignal.any([signal, timeout]) : timeout;
    try {
      if (EventSourceImpl) {
        try {
          await live(runId, both, onEvent);
        } catch (err) {
          // A stream that could not be opened or broke is no reason to fail the wait: the run's record still answers.
          if (both.aborted || (err instanceof AutoclawError && err.code === "NOT_FOUND")) throw err;
        }
      }
      return await poll(runId, both);
    } catch (err) {
      if (timeout.aborted && !signal?.aborted) throw new RunTimeoutError(runId, timeoutMs);
      throw err;
    }
  };

  async function* pages<I extends object, T>(
    list: (input: I & { cursor?: string }) => Promise<{ items: T[]; nextCursor: string | null }>,
    input: I,
  ): AsyncGenerator<T, void, undefined> {
    let cursor: string | undefined;
    do {
      const page = await list({ ...input, ...(cursor ? { cursor } : {}) });
      yield* page.items;
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
  }

  const runs: RunsHelpers = {
    createAndWait: async (input, waitOptions = {}) => {
      const { timeoutMs = 600_000, signal, onEvent } = waitOptions;
      const started = Date.now();
      // Without an onEvent to feed, the create itself holds its answer until the run ends: a short turn
      // is one request. A longer one is followed live or polled from there.
      const waitMs = input.waitMs ?? (onEvent ? undefined : Math.min(timeoutMs, CREATE_HOLDS_MS));
      // Always keyed, so a retried create can never queue the run twice.
      const created = await base.runs.create.mutate(
        { ...input, idempotencyKey: input.idempotencyKey ?? idempotencyKey(), ...(waitMs !== undefined && { waitMs }) },
        { signal },
      );
      if (created.run && isFinal(created.run)) return created.run;
      return wait(created.id, { ...waitOptions, timeoutMs: Math.max(0, timeoutMs - (Date.now() - started)) });
    },
    wait,
    iterate: (input = {}) => pages((i) => base.runs.list.query(i), input),
    fetchArtifact: async (artifact, init) => {
      const response = await doFetch(new URL(artifact.url, `${origin}/`), { signal: init?.signal });
      if (!response.ok) throw new Error(`Artifact ${artifact.name} could not be read: HTTP ${response.status}`);
      return response;
    },
  };
  const conversations: ConversationsHelpers = {
    iterate: (input = {}) => pages((i) => base.conversations.list.query(i), input),
  };

  const withHelpers = (target: object, helpers: object) =>
    new Proxy(target, { get: (t, key, receiver) => (Object.hasOwn(helpers, key) ? helpers[key as never] : Reflect.get(t, key, receiver)) });
  return new Proxy(base, {
    get: (t, key, receiver) => {
      if (key === "runs") return withHelpers(base.runs, runs);
      if (key === "conversations") return withHelpers(base.conversations, conversations);
      return Reflect.get(t, key, receiver);
    },
  }) as unknown as AutoclawClient;
}

function isFinal(run: Run): boolean {
  return (FINAL_RUN_STATUSES as readonly string[]).includes(run.status);
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      "abort",
      () => {
        clearTimeout(timer);
        reject(signal.reason);
      },
      { once: true },
    );
  });
}
