// The stack every `pnpm bench` benchmark (and bench/profile.ts) runs against: the run command's, on its
// own ports and state, with the fake model and Bot API, TENANT_RUNTIME=direct (the platform alone)
// and the raw baseline routes on; one team with an agent, an API key and paired Telegram people.
import { startFakeModel } from "../fakes/openai.ts";
import { deliver, startFakeTelegram, update } from "../fakes/telegram.ts";
import { client, startStack } from "../runtime/test/stack.ts";
import type { BenchContext } from "./lib.ts";

const PORT = 8917;
/** The SPA's origin (APP_URL): where the spa benchmark serves the production build (`vite preview`). */
export const SPA_ORIGIN = "http://127.0.0.1:8930";
const SECRET = "bench-webhook-secret-0123456789";

export async function benchStack(env: Record<string, string> = {}): Promise<BenchContext & { stop(): Promise<void> }> {
  const [fake, telegram] = await Promise.all([startFakeModel(), startFakeTelegram()]);
  const stack = await startStack(PORT, {
    APP_URL: SPA_ORIGIN,
    TENANT_RUNTIME: "direct",
    RUNTIME_POOL_SIZE: "0",
    BENCH_BASELINES: "true",
    TELEGRAM_BOT_TOKEN: "123456789:bench-token-abcdefghijklmnopqrstuvwxyz",
    TELEGRAM_BOT_USERNAME: "autoclaw_bench_bot",
    TELEGRAM_WEBHOOK_SECRET: SECRET,
    TELEGRAM_API_ROOT: telegram.url,
    ...env,
  });
  const stop = async () => {
    await stack.stop();
    await fake.close();
    await telegram.close();
  };
  try {
    const c = client(stack.api, SPA_ORIGIN);
    await c.signUpWithTeam("bench");
    await c.call("providerKeys.set", { provider: "custom", apiKey: "sk-bench-000000000", baseUrl: `${fake.url}/v1` });
    const { id: agentId } = await c.call<{ id: string }>("agents.create", {
      templateId: "personal-assistant",
      name: "Bench",
      model: "custom/echo",
    });
    // More agents for the runs benchmark's concurrent clients (one agent's turns run one at a time).
    const agentIds = [agentId];
    for (let i = 1; i < 32; i++)
      agentIds.push(
        (await c.call<{ id: string }>("agents.create", { templateId: "personal-assistant", name: `Bench ${i}`, model: "custom/echo" })).id,
      );
    const { key: apiKey } = await c.call<{ key: string }>("apiKeys.create", { name: "bench" });
    const webhook = `${stack.api}/api/webhooks/telegram`;
    const people = Array.from({ length: 8 }, (_, i) => ({ id: 910_000_000 + i, firstName: `P${i}` }));
    for (const p of people) {
      const { code } = await c.call<{ code: string }>("telegram.createPairingCode");
      const res = await deliver(webhook, SECRET, update(p, `/start ${code}`));
      if (res.status !== 200) throw new Error(`pairing answered ${res.status}`);
    }
    return { api: stack.api, apiKey, telegram, webhook, webhookSecret: SECRET, people, agentId, agentIds, modelUrl: fake.url, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}
