// A run's live events, kept by the AgentSession that executes it (runs.events reads them through):
// numbered in order, so every watcher sees the same sequence and one that reconnects resumes after the
// last number it saw. Watchers are fed from memory. A run that ends within one attempt keeps its log
// in memory only (the last MEMORY_LOGS of them, for LOG_KEEP_MS): a watcher that comes after this
// instance has gone gets the run's final state from D1 instead. A longer one is written to the object's
// storage in chunks (every FLUSH_MS while it goes on, at the end of each attempt, and at its end), so
// an instance that goes mid-run (a deploy, a crash) leaves the log for the next to number on from. A
// stored log is kept for LOG_KEEP_MS after its end, then pruned.
import type { LiveRunEvent, LiveRunEventBody } from "@autoclaw/shared";

export const LOG_KEEP_MS = 60 * 60_000;
/** A long turn's events are stored at least this often. */
export const FLUSH_MS = 1_000;
/** Finished runs whose logs only memory holds, at most (the oldest go first). */
export const MEMORY_LOGS = 200;

/** A run's place in its log. Stored only once the log is closed (its `done`): a log still open finds its seq from its last event. */
interface Meta {
  seq: number;
  /** When the run's `done` event was written: the log is closed, and pruned LOG_KEEP_MS after. */
  doneAt?: number;
  /** In memory only: whether storage holds any of the run's events (else memory holds them all). */
  stored?: boolean;
}

/** Events appended since the run's last write to storage. */
interface Unstored {
  events: LiveRunEvent[];
  since: number;
}

const metaKey = (runId: string) => `evm:${runId}`;
/** A chunk of a run's events, keyed by its first event's seq (a log written before chunks holds one event per key). */
const chunkKey = (runId: string, seq: number) => `ev:${runId}:${String(seq).padStart(9, "0")}`;
const eventsOf = (stored: LiveRunEvent | LiveRunEvent[]) => (Array.isArray(stored) ? stored : [stored]);
const encoder = new TextEncoder();
const line = (ev: LiveRunEvent) => encoder.encode(`${JSON.stringify(ev)}\n`);

export class RunEventLog {
  readonly #storage: DurableObjectStorage;
  /** The same storage's synchronous reads (SQLite: a put is read back at once, confirmed or not). */
  readonly #kv: SyncKvStorage;
  readonly #watchers = new Map<string, Set<(ev: LiveRunEvent) => void>>();
  /** Each run's meta as last written (this object is its only writer), so an append reads no storage. */
  readonly #metas = new Map<string, Meta>();
  /** When the oldest kept log is due to go (undefined: not known yet in this instance, so prune looks). */
  #nextPrune?: number;
  /** Each run's events not in storage (for a run never stored: its whole log). */
  readonly #unstored = new Map<string, Unstored>();
  /** Finished runs whose logs are in memory only, oldest first, with when they finished. */
  readonly #memoryOnly = new Map<string, number>();

  constructor(storage: DurableObjectStorage) {
    this.#storage = storage;
    this.#kv = storage.kv;
  }

  /** Appends an event (ignored once the run's log is closed) and hands it to every watcher. */
  append(runId: string, body: LiveRunEventBody): void {
    const meta = this.#meta(runId) ?? { seq: 0 };
    if (meta.doneAt) return;
    const now = Date.now();
    const ev = { ...body, seq: meta.seq + 1, at: new Date(now).toISOString() } as LiveRunEvent;
    const next: Meta = { seq: ev.seq, ...(ev.type === "done" && { doneAt: now }), stored: meta.stored };
    this.#metas.set(runId, next);
    let unstored = this.#unstored.get(runId);
    if (!unstored) {
      unstored = { events: [], since: now };
      this.#unstored.set(runId, unstored);
    }
    unstored.events.push(ev);
    if (next.doneAt) {
      // A log partly in storage is finished there (and pruned in time); one that never was stays in memory.
      if (next.stored) this.flush(runId);
      else this.#keepInMemory(runId, now);
    } else if (now - unstored.since >= FLUSH_MS) this.flush(runId);
    if (next.doneAt && next.stored && this.#nextPrune !== undefined) this.#nextPrune = Math.min(this.#nextPrune, next.doneAt + LOG_KEEP_MS);
    for (const w of this.#watchers.get(runId) ?? []) w(ev);
  }

  #keepInMemory(runId: string, doneAt: number) {
    this.#memoryOnly.set(runId, doneAt);
    for (const [oldest] of this.#memoryOnly) {
      if (this.#memoryOnly.size <= MEMORY_LOGS) break;
      this.#forget(oldest);
    }
  }

  #forget(runId: string) {
    this.#memoryOnly.delete(runId);
    this.#unstored.delete(runId);
    this.#metas.delete(runId);
  }

  /**
   * After an attempt: an open log is written (the next instance numbers on from it), and one that holds
   * only this hand-over's `queued` (the run had nothing left to do) is dropped.
   */
  settle(runId: string, nothingDone: boolean): void {
    const meta = this.#metas.get(runId);
    if (!meta || meta.doneAt) return;
    if (nothingDone && !meta.stored) this.#forget(runId);
    else this.flush(runId);
  }

  /**
   * Writes a log's events not yet stored, as one chunk (with the meta once the log is closed):
   * unconfirmed, so the run's next D1 call or model read need not wait for it at the output gate.
   * Should the write be lost, so is this instance (its storage reset).
   */
  flush(runId: string): void {
    const unstored = this.#unstored.get(runId);
    const meta = this.#metas.get(runId);
    if (!unstored || !meta) return;
    this.#unstored.delete(runId);
    this.#memoryOnly.delete(runId);
    meta.stored = true;
    const entries: Record<string, unknown> = { [chunkKey(runId, unstored.events[0]!.seq)]: unstored.events };
    if (meta.doneAt) entries[metaKey(runId)] = { seq: meta.seq, doneAt: meta.doneAt } satisfies Meta;
    void this.#storage.put(entries, { allowUnconfirmed: true });
  }

  /** The run's events in order: those stored, then those not yet written. */
  #events(runId: string): LiveRunEvent[] {
    const events: LiveRunEvent[] = [];
    if (this.#meta(runId)?.stored)
      for (const [, stored] of this.#kv.list<LiveRunEvent | LiveRunEvent[]>({ prefix: `ev:${runId}:` })) events.push(...eventsOf(stored));
    events.push(...(this.#unstored.get(runId)?.events ?? []));
    return events;
  }

  /** Resolves true once the run's log is closed (its `done` appended), or false after `timeoutMs`. */
  ended(runId: string, timeoutMs: number): Promise<boolean> {
    if (this.#meta(runId)?.doneAt) return Promise.resolve(true);
    return new Promise((resolve) => {
      const stop = this.#watch(runId, (ev) => {
        if (ev.type !== "done") return;
        clearTimeout(timer);
        stop();
        resolve(true);
      });
      const timer = setTimeout(() => {
        stop();
        resolve(false);
      }, timeoutMs);
    });
  }

  /** Calls `w` with each event appended to the run's log from now on, until the answer is called. */
  #watch(runId: string, w: (ev: LiveRunEvent) => void): () => void {
    const set = this.#watchers.get(runId) ?? new Set();
    set.add(w);
    this.#watchers.set(runId, set);
    return () => {
      set.delete(w);
      if (!set.size) this.#watchers.delete(runId);
    };
  }

  /** Starts the run's log with `body`, unless it has one already (a run handed over again): one storage look. */
  open(runId: string, body: LiveRunEventBody): void {
    if (this.#meta(runId)) return;
    this.#metas.set(runId, { seq: 0 });
    this.append(runId, body);
  }

  has(runId: string): boolean {
    return this.#meta(runId) !== undefined;
  }

  #meta(runId: string): Meta | undefined {
    let meta = this.#metas.get(runId);
    if (!meta) {
      meta = this.#kv.get<Meta>(metaKey(runId));
      if (!meta)
        for (const [, last] of this.#kv.list<LiveRunEvent | LiveRunEvent[]>({ prefix: `ev:${runId}:`, reverse: true, limit: 1 }))
          meta = { seq: eventsOf(last).at(-1)!.seq };
      if (meta) {
        meta = { ...meta, stored: true };
        this.#metas.set(runId, meta);
      }
    }
    return meta;
  }

  /** The reply's text so far (a cancelled run keeps what it had written). */
  textOf(runId: string): string {
    let text = "";
    for (const ev of this.#events(runId)) if (ev.type === "token") text += ev.text;
    return text;
  }

  /**
   * The events after `after`, as NDJSON: those kept, then each new one as it is appended, ending
   * with `done`. A run this log never saw is answered with `fallback` (its final state from D1)
   * when there is one, else watched until its events start.
   */
  read(runId: string, after: number, fallback?: LiveRunEventBody[]): ReadableStream<Uint8Array> {
    let stop = () => {};
    return new ReadableStream<Uint8Array>({
      start: (controller) => {
        if (!this.has(runId) && fallback) {
          fallback.forEach((body, i) => {
            const seq = i + 1;
            if (seq > after) controller.enqueue(line({ ...body, seq, at: new Date().toISOString() } as LiveRunEvent));
          });
          return controller.close();
        }
        for (const ev of this.#events(runId)) if (ev.seq > after) controller.enqueue(line(ev));
        if (this.#meta(runId)?.doneAt) return controller.close();
        stop = this.#watch(runId, (ev) => {
          controller.enqueue(line(ev));
          if (ev.type === "done") {
            stop();
            controller.close();
          }
        });
      },
      cancel: () => stop(),
    });
  }

  /** Deletes the logs of runs that finished more than LOG_KEEP_MS ago; answers when the next one is due (undefined: none kept). */
  prune(now = Date.now()): number | undefined {
    for (const [runId, doneAt] of this.#memoryOnly) {
      if (now - doneAt < LOG_KEEP_MS) break;
      this.#forget(runId);
    }
    // Nothing is due yet: no need to read every kept log's meta (an agent keeps an hour of runs).
    if (this.#nextPrune !== undefined && now < this.#nextPrune) return Number.isFinite(this.#nextPrune) ? this.#nextPrune : undefined;
    let next: number | undefined;
    // Materialized: workerd allows one live kv.list iterator at a time, and the loop deletes.
    for (const [key, meta] of [...this.#kv.list<Meta>({ prefix: "evm:" })]) {
      if (!meta.doneAt) continue;
      if (now - meta.doneAt < LOG_KEEP_MS) {
        next = Math.min(next ?? Infinity, meta.doneAt + LOG_KEEP_MS);
        continue;
      }
      const runId = key.slice(4);
      for (const [k] of [...this.#kv.list({ prefix: `ev:${runId}:` })]) this.#kv.delete(k);
      this.#kv.delete(key);
      this.#metas.delete(runId);
    }
    // With no log kept, the next `done` sets when to look again.
    this.#nextPrune = next ?? Infinity;
    return next;
  }
}
