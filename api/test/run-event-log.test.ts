// A run's live event log in its AgentSession's real storage: numbering, a short run's log in memory only, a longer one's
// chunks, an open log read back after an eviction, and pruning (a stored log goes LOG_KEEP_MS after its end, and a
// prune before that reads nothing).
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { FLUSH_MS, LOG_KEEP_MS, MEMORY_LOGS, RunEventLog } from "../src/durable-objects/run-event-log";

const keys = (kv: SyncKvStorage) => [...kv.list()].map(([k]) => k);

describe("run event log", () => {
  it("a run that ends in one attempt is kept in memory only, writing nothing; the last MEMORY_LOGS of them", async () => {
    const stub = env.AGENT_SESSION.getByName(`test:event-log:${crypto.randomUUID()}`);
    await runInDurableObject(stub, async (_obj, state) => {
      const kv = state.storage.kv;
      const log = new RunEventLog(state.storage);
      log.open("a", { type: "status", phase: "queued", message: null });
      log.append("a", { type: "token", text: "hi" });
      log.append("a", { type: "done", status: "succeeded", output: "hi", error: null });
      log.append("a", { type: "token", text: "after the end" }); // ignored: the log is closed
      log.settle("a", false);
      expect(keys(kv)).toEqual([]);
      expect(log.textOf("a")).toBe("hi");
      expect(await log.ended("a", 1000)).toBe(true);
      // A new instance (after an eviction) has no log of it: a watcher gets the final state from D1.
      expect(new RunEventLog(state.storage).has("a")).toBe(false);
      // Only the newest MEMORY_LOGS finished runs are kept.
      for (let i = 0; i < MEMORY_LOGS; i++) log.append(`n${i}`, { type: "done", status: "succeeded", output: "x", error: null });
      expect(log.has("a")).toBe(false);
      expect(log.has("n0")).toBe(true);
      // A hand-over of a run that had nothing left to do leaves nothing behind.
      log.open("z", { type: "status", phase: "queued", message: null });
      log.settle("z", true);
      expect(log.has("z")).toBe(false);
      expect(keys(kv)).toEqual([]);
    });
  });

  it("a longer run is stored in chunks, kept LOG_KEEP_MS after its end, then pruned; a new instance over the same storage agrees", async () => {
    const stub = env.AGENT_SESSION.getByName(`test:event-log:${crypto.randomUUID()}`);
    await runInDurableObject(stub, async (_obj, state) => {
      const kv = state.storage.kv;
      const log = new RunEventLog(state.storage);
      // As an attempt that did not finish the run leaves it (the AgentSession settles each attempt).
      log.append("a", { type: "status", phase: "running", message: null });
      log.settle("a", false);
      log.append("a", { type: "token", text: "hi" });
      // Events are written at least every FLUSH_MS while a run goes on.
      await new Promise((r) => setTimeout(r, FLUSH_MS + 10));
      log.append("a", { type: "token", text: "!" });
      log.append("a", { type: "done", status: "succeeded", output: "hi!", error: null });
      expect(log.textOf("a")).toBe("hi!");
      const doneAt = (kv.get<{ doneAt: number }>("evm:a") ?? { doneAt: 0 }).doneAt;
      expect(doneAt).toBeGreaterThan(0);
      const chunks = [...kv.list<{ seq: number }[]>({ prefix: "ev:a:" })].map(([, c]) => c.map((e) => e.seq));
      expect(chunks).toEqual([[1], [2, 3], [4]]);

      // Not due: kept, and the answer is when it will be.
      expect(log.prune(doneAt + 1000)).toBe(doneAt + LOG_KEEP_MS);
      expect(log.has("a")).toBe(true);
      // A second run finishing later is due later; the first goes when due. (workerd's clock moves
      // only across I/O, so wait for it to pass the first run's end.)
      await new Promise((r) => setTimeout(r, 5));
      log.append("b", { type: "status", phase: "running", message: null });
      log.settle("b", false);
      log.append("b", { type: "done", status: "failed", output: null, error: "x" });
      const bDone = (kv.get<{ doneAt: number }>("evm:b") ?? { doneAt: 0 }).doneAt;
      expect(log.prune(doneAt + LOG_KEEP_MS + 1)).toBe(bDone + LOG_KEEP_MS);
      expect(log.has("a")).toBe(false);
      expect(keys(kv).filter((k) => k.startsWith("ev:a:") || k === "evm:a")).toEqual([]);

      // Another instance (after an eviction) reads the storage: b is kept until due, then goes.
      const fresh = new RunEventLog(state.storage);
      expect(fresh.has("b")).toBe(true);
      expect(fresh.textOf("b")).toBe("");
      expect(fresh.prune(bDone + 1)).toBe(bDone + LOG_KEEP_MS);
      expect(fresh.prune(bDone + LOG_KEEP_MS + 1)).toBeUndefined();
      expect(keys(kv).filter((k) => k.startsWith("ev"))).toEqual([]);
      // Nothing kept: a later prune reads nothing and answers that nothing is due.
      expect(fresh.prune(bDone + 2 * LOG_KEEP_MS)).toBeUndefined();

      // An open log written at the end of an attempt has no meta: an instance after an eviction numbers
      // on from its last event, and reads it all back.
      log.append("c", { type: "status", phase: "running", message: null });
      log.append("c", { type: "token", text: "par" });
      expect(keys(kv).filter((k) => k.startsWith("ev:c:"))).toEqual([]);
      log.settle("c", false);
      expect(kv.get("evm:c")).toBeUndefined();
      const after = new RunEventLog(state.storage);
      expect(after.has("c")).toBe(true);
      after.append("c", { type: "token", text: "tial" });
      expect(after.textOf("c")).toBe("partial");
      // A log opened again (the run handed over again) keeps its events: no second first event.
      after.open("c", { type: "status", phase: "queued", message: null });
      after.settle("c", false);
      expect([...kv.list<{ seq: number }[]>({ prefix: "ev:c:" })].flatMap(([, e]) => e.map((x) => x.seq))).toEqual([1, 2, 3]);
      // A log stored one event per key (before chunks) reads back the same.
      kv.put("ev:d:000000001", { seq: 1, at: new Date().toISOString(), type: "token", text: "old" });
      kv.put("ev:d:000000002", { seq: 2, at: new Date().toISOString(), type: "token", text: " format" });
      const older = new RunEventLog(state.storage);
      expect(older.textOf("d")).toBe("old format");
      older.append("d", { type: "token", text: "!" });
      expect(older.textOf("d")).toBe("old format!");
    });
  });

  it("ended: resolves when the run's done is appended, at once for a closed log, and false when the wait runs out", async () => {
    const stub = env.AGENT_SESSION.getByName(`test:event-log:${crypto.randomUUID()}`);
    await runInDurableObject(stub, async (_obj, state) => {
      const log = new RunEventLog(state.storage);
      log.open("r", { type: "status", phase: "queued", message: null });
      const waiting = log.ended("r", 5_000);
      const outOfTime = log.ended("r", 20);
      log.append("r", { type: "token", text: "x" });
      expect(await outOfTime).toBe(false);
      log.append("r", { type: "done", status: "succeeded", output: "x", error: null });
      expect(await waiting).toBe(true);
      expect(await log.ended("r", 5_000)).toBe(true);
      // Kept in memory only: another instance knows nothing of it, and its wait runs out.
      expect(await new RunEventLog(state.storage).ended("r", 20)).toBe(false);
    });
  });
});
