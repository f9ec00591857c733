// A run's live events, kept by the AgentSession that executes it (runs.events reads them through):
// numbered in order in the object's own storage, so every watcher sees the same sequence and one that
// reconnects resumes after the last number it saw. A finished run's log is kept for LOG_KEEP_MS, long
// enough for a late watcher to replay the whole run; after that the final state comes from D1 and R2.
import type { LiveRunEvent, LiveRunEventBody } from "@autoclaw/shared";

export const LOG_KEEP_MS = 60 * 60_000;

/** A run's place in its log. Stored only once the log is closed (its `done`): a log still open finds its seq from its last event. */
interface Meta {
  seq: number;
  /** When the run's `done` event was written: the log is closed, and pruned LOG_KEEP_MS after. */
  doneAt?: number;
}

const metaKey = (runId: string) => `evm:${runId}`;
const eventKey = (runId: string, seq: number) => `ev:${runId}:${String(seq).padStart(9, "0")}`;
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

  constructor(storage: DurableObjectStorage) {
    this.#storage = storage;
    this.#kv = storage.kv;
  }

  /** Appends an event (ignored once the run's log is closed) and hands it to every watcher. */
  append(runId: string, body: LiveRunEventBody): void {
    const meta = this.#meta(runId) ?? { seq: 0 };
    if (meta.doneAt) return;
    const ev = { ...body, seq: meta.seq + 1, at: new Date().toISOString() } as LiveRunEvent;
    const next: Meta = { seq: ev.seq, ...(ev.type === "done" && { doneAt: Date.now() }) };
    // One write per event (an open log's seq is its last event's, read back after an eviction), and
    // unconfirmed: the run's next D1 call or model read need not wait for it (the output gate). What
    // a watcher sees comes from memory; should the write be lost, so is this instance (its storage reset).
    void this.#storage.put(eventKey(runId, ev.seq), ev, { allowUnconfirmed: true });
    if (next.doneAt) void this.#storage.put(metaKey(runId), next, { allowUnconfirmed: true });
    this.#metas.set(runId, next);
    if (next.doneAt && this.#nextPrune !== undefined) this.#nextPrune = Math.min(this.#nextPrune, next.doneAt + LOG_KEEP_MS);
    for (const w of this.#watchers.get(runId) ?? []) w(ev);
  }

  has(runId: string): boolean {
    return this.#meta(runId) !== undefined;
  }

  #meta(runId: string): Meta | undefined {
    let meta = this.#metas.get(runId);
    if (!meta) {
      meta = this.#kv.get<Meta>(metaKey(runId));
      if (!meta)
        for (const [, last] of this.#kv.list<LiveRunEvent>({ prefix: `ev:${runId}:`, reverse: true, limit: 1 })) meta = { seq: last.seq };
      if (meta) this.#metas.set(runId, meta);
    }
    return meta;
  }

  /** The reply's text so far (a cancelled run keeps what it had written). */
  textOf(runId: string): string {
    let text = "";
    for (const [, ev] of this.#kv.list<LiveRunEvent>({ prefix: `ev:${runId}:` })) if (ev.type === "token") text += ev.text;
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
        for (const [, ev] of this.#kv.list<LiveRunEvent>({ prefix: `ev:${runId}:` })) if (ev.seq > after) controller.enqueue(line(ev));
        if (this.#meta(runId)?.doneAt) return controller.close();
        const watch = (ev: LiveRunEvent) => {
          controller.enqueue(line(ev));
          if (ev.type === "done") {
            stop();
            controller.close();
          }
        };
        const set = this.#watchers.get(runId) ?? new Set();
        set.add(watch);
        this.#watchers.set(runId, set);
        stop = () => {
          set.delete(watch);
          if (!set.size) this.#watchers.delete(runId);
        };
      },
      cancel: () => stop(),
    });
  }

  /** Deletes the logs of runs that finished more than LOG_KEEP_MS ago; answers when the next one is due (undefined: none kept). */
  prune(now = Date.now()): number | undefined {
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
