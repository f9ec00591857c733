import type { LiveRunEvent } from "@autoclaw/shared";
import { useSubscription } from "@trpc/tanstack-react-query";
import { useMemo, useState } from "react";
import { useTRPC } from "./trpc";

/** What a watcher of a run knows so far, from its live events. */
export interface LiveRun {
  events: LiveRunEvent[];
  /** The reply as written so far. */
  text: string;
  phase: string | null;
  tools: Extract<LiveRunEvent, { type: "tool" }>[];
  done: Extract<LiveRunEvent, { type: "done" }> | null;
}

const NONE: LiveRunEvent[] = [];

/**
 * Follows a run's live events (runs.events over SSE) while `enabled`. A reconnect resumes after the
 * last event seen, and events are kept by sequence number, so none is shown twice.
 */
export function useLiveRun(runId: string | undefined, enabled = true): LiveRun {
  const trpc = useTRPC();
  // Kept with the run they belong to, so another run's events are never shown for this one.
  const [log, setLog] = useState<{ runId?: string; events: LiveRunEvent[] }>({ events: [] });
  const events = log.runId === runId ? log.events : NONE;
  useSubscription(
    trpc.runs.events.subscriptionOptions(
      { runId: runId ?? "" },
      {
        enabled: enabled && !!runId,
        onData: ({ data }) =>
          setLog((prev) => {
            const kept = prev.runId === runId ? prev.events : [];
            return kept.some((e) => e.seq === data.seq) ? prev : { runId, events: [...kept, data].sort((a, b) => a.seq - b.seq) };
          }),
      },
    ),
  );
  return useMemo(() => {
    let text = "";
    let phase: string | null = null;
    const tools: LiveRun["tools"] = [];
    let done: LiveRun["done"] = null;
    for (const e of events) {
      if (e.type === "token") text += e.text;
      else if (e.type === "status") phase = e.phase;
      else if (e.type === "tool") tools.push(e);
      else if (e.type === "done") done = e;
    }
    return { events, text, phase: done ? done.status : phase, tools, done };
  }, [events]);
}
