// A run's live event log in its AgentSession's real storage: numbering, the cached meta, an open log read back after an eviction, and pruning
// (a finished run's log goes LOG_KEEP_MS after its end, and a prune before that reads nothing).
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { LOG_KEEP_MS, RunEventLog } from "../src/durable-objects/run-event-log";

const keys = (kv: SyncKvStorage) => [...kv.list()].map(([k]) => k);

describe("run event log", () => {
  it("keeps a finished run's events for LOG_KEEP_MS, then prunes them; a new instance over the same storage agrees", async () => {
    const stub = env.AGENT_SESSION.getByName(`test:event-log:${crypto.randomUUID()}`);
    await runInDurableObject(stub, async (_obj, state) => {
      const kv = state.storage.kv;
      const log = new RunEventLog(state.storage);
      log.append("a", { type: "status", phase: "running", message: null });
      log.append("a", { type: "token", text: "hi" });
      log.append("a", { type: "done", status: "succeeded", output: "hi", error: null });
      log.append("a", { type: "token", text: "after the end" }); // ignored: the log is closed
      expect(log.textOf("a")).toBe("hi");
      const doneAt = (kv.get<{ doneAt: number }>("evm:a") ?? { doneAt: 0 }).doneAt;
      expect(keys(kv).filter((k) => k.startsWith("ev:a:"))).toHaveLength(3);

      // Not due: kept, and the answer is when it will be.
      expect(log.prune(doneAt + 1000)).toBe(doneAt + LOG_KEEP_MS);
      expect(log.has("a")).toBe(true);
      // A second run finishing later is due later; the first goes when due. (workerd's clock moves
      // only across I/O, so wait for it to pass the first run's end.)
      await new Promise((r) => setTimeout(r, 5));
      log.append("b", { type: "done", status: "failed", output: null, error: "x" });
      const bDone = (kv.get<{ doneAt: number }>("evm:b") ?? { doneAt: 0 }).doneAt;
      expect(log.prune(doneAt + LOG_KEEP_MS + 1)).toBe(bDone + LOG_KEEP_MS);
      expect(log.has("a")).toBe(false);
      expect(keys(kv).filter((k) => k.startsWith("ev:a:") || k === "evm:a")).toEqual([]);

      // Another instance (after an eviction) reads the storage: b is kept until due, then goes.
      const fresh = new RunEventLog(state.storage);
      expect(fresh.has("b")).toBe(true);
      expect(fresh.prune(bDone + 1)).toBe(bDone + LOG_KEEP_MS);
      expect(fresh.prune(bDone + LOG_KEEP_MS + 1)).toBeUndefined();
      expect(keys(kv).filter((k) => k.startsWith("ev"))).toEqual([]);
      // Nothing kept: a later prune reads nothing and answers that nothing is due.
      expect(fresh.prune(bDone + 2 * LOG_KEEP_MS)).toBeUndefined();

      // An open log stores no meta (one write per event): an instance after an eviction numbers on from its last event.
      log.append("c", { type: "status", phase: "running", message: null });
      log.append("c", { type: "token", text: "par" });
      expect(kv.get("evm:c")).toBeUndefined();
      const after = new RunEventLog(state.storage);
      expect(after.has("c")).toBe(true);
      after.append("c", { type: "token", text: "tial" });
      expect([...kv.list<{ seq: number }>({ prefix: "ev:c:" })].map(([, e]) => e.seq)).toEqual([1, 2, 3]);
      expect(after.textOf("c")).toBe("partial");
    });
  });
});
