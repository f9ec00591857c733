// The warm pool. An OpenClaw gateway needs ~10–20 s to be ready and its first turn pays several more
// seconds of lazy set-up, so the host keeps a few gateways running that have already answered one
// warm-up turn (against the host's own tiny completion endpoint, never a real model). A tenant's
// start claims one (host.ts) and its config is hot-reloaded over the pool's.
import type { ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { rm, writeFile } from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import path from "node:path";
import { MODEL_TOKEN_ENV, tenantOpenclawConfig } from "@autoclaw/runtime-protocol";
import { renderConfig, WARMUP_AGENT } from "./config-reload.ts";
import { freePort, gatewayPaths, makeDirs, signalGroup, spawnGateway, type StartGate, waitReady } from "./gateway.ts";

/** A pre-started gateway nobody has claimed yet. */
export interface PoolSlot {
  dir: string;
  child: ChildProcess;
  port: number;
  token: string;
}

export interface PoolOptions {
  dataDir: string;
  compileCache: string;
  size: number;
  /** Wait this long after a claim before starting its replacement (a spawn would slow the claimer's first turns). */
  refillDelayMs: number;
  readyTimeoutMs: number;
  starts: StartGate;
  /** Whether the host may run one more gateway (its cap). */
  hasRoom: () => boolean;
  /** The host's own port, where the warm-up endpoint answers. */
  hostPort: () => number;
  log: (line: string) => void;
}

export class WarmPool {
  readonly slots: PoolSlot[] = [];
  /** Slots being started. */
  filling = 0;
  #closed = false;
  /** Keys the pool gateways' warm-up provider presents to the host's warm-up endpoint. */
  readonly #warmupKeys = new Set<string>();
  readonly #opts: PoolOptions;

  constructor(opts: PoolOptions) {
    this.#opts = opts;
  }

  /** Gateways of the pool, running or starting. */
  get live() {
    return this.slots.length + this.filling;
  }

  /** A warm gateway for a tenant (its replacement starts a little later), or none. */
  take(): PoolSlot | undefined {
    const slot = this.slots.shift();
    if (slot) setTimeout(() => this.fill(), this.#opts.refillDelayMs).unref();
    return slot;
  }

  /** Starts gateways until the pool is full (never past the host's cap). */
  fill() {
    while (!this.#closed && this.live < this.#opts.size && this.#opts.hasRoom()) {
      this.filling++;
      this.#opts.starts
        .run(1, () => this.#spawnSlot())
        .then((slot) => (this.#closed ? signalGroup(slot.child, "SIGKILL") : void this.slots.push(slot)))
        .catch((e) => this.#opts.log(`[runtime-host] pool gateway failed: ${(e as Error).message}`))
        .finally(() => this.filling--);
    }
  }

  close() {
    this.#closed = true;
    for (const slot of this.slots.splice(0)) signalGroup(slot.child, "SIGKILL");
  }

  async #spawnSlot(): Promise<PoolSlot> {
    const t0 = Date.now();
    const { compileCache, log } = this.#opts;
    const dir = path.join(this.#opts.dataDir, "pool", randomBytes(6).toString("hex"));
    const p = gatewayPaths(dir);
    const port = await freePort();
    const token = randomBytes(24).toString("hex");
    const warmupKey = randomBytes(24).toString("hex");
    makeDirs(p, compileCache);
    // The tenant config shape with one throwaway agent whose model is the host's warm-up endpoint.
    const config = tenantOpenclawConfig({
      agents: [{ id: WARMUP_AGENT, name: "Warm-up", model: "warmup" }],
      modelProxyUrl: `http://127.0.0.1:${this.#opts.hostPort()}/warmup/v1`,
      restrictTools: true,
    });
    await writeFile(p.config, renderConfig(p, { config, env: { [MODEL_TOKEN_ENV]: warmupKey } }, port, path.join(dir, "warmup")), {
      mode: 0o600,
    });
    const child = spawnGateway(p, port, token, compileCache);
    const slot: PoolSlot = { dir, child, port, token };
    child.on("exit", () => {
      const i = this.slots.indexOf(slot);
      if (i >= 0) this.slots.splice(i, 1);
    });
    try {
      await waitReady(child, port, () => !this.#closed, p, this.#opts.readyTimeoutMs);
      // One turn pays the gateway's lazy set-up now instead of in a tenant's first run.
      this.#warmupKeys.add(warmupKey);
      const res = await fetch(`http://127.0.0.1:${port}/v1/chat/completions`, {
        method: "POST",
        headers: {
          authorization: `Bearer ${token}`,
          "content-type": "application/json",
          "x-openclaw-session-key": `agent:${WARMUP_AGENT}:pool:1`,
        },
        body: JSON.stringify({ model: `openclaw/${WARMUP_AGENT}`, messages: [{ role: "user", content: "warm up" }] }),
        signal: AbortSignal.timeout(60_000),
      });
      if (!res.ok) throw new Error(`warm-up turn answered ${res.status}: ${(await res.text()).slice(0, 200)}`);
    } catch (e) {
      signalGroup(child, "SIGKILL");
      await rm(dir, { recursive: true, force: true });
      throw e;
    } finally {
      this.#warmupKeys.delete(warmupKey);
    }
    log(`[runtime-host] pool gateway ready and warm on ${port} after ${Date.now() - t0} ms (pid ${child.pid})`);
    return slot;
  }

  /** The warm-up turn's "model": a fixed one-word streamed completion for a pool gateway that presents its key. */
  warmupCompletion(req: IncomingMessage, res: ServerResponse) {
    const key = (req.headers.authorization ?? "").replace(/^Bearer /, "");
    if (!this.#warmupKeys.has(key)) {
      res.writeHead(401, { "content-type": "application/json" });
      return res.end(JSON.stringify({ error: "unauthorised" }));
    }
    res.writeHead(200, { "content-type": "text/event-stream" });
    const chunk = (choices: unknown[], extra = {}) =>
      res.write(
        `data: ${JSON.stringify({ id: "warmup", object: "chat.completion.chunk", created: Math.floor(Date.now() / 1000), model: "warmup", choices, ...extra })}\n\n`,
      );
    chunk([{ index: 0, delta: { role: "assistant", content: "ready" }, finish_reason: null }]);
    chunk([{ index: 0, delta: {}, finish_reason: "stop" }]);
    chunk([], { usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 } });
    res.end("data: [DONE]\n\n");
  }
}
