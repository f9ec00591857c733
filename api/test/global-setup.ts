import type { TestProject } from "vitest/node";
import { startFakeModel } from "../../e2e/fakes/openai";
import { startFakeTelegram } from "../../e2e/fakes/telegram";

declare module "vitest" {
  export interface ProvidedContext {
    fakeModelUrl: string;
    fakeTelegramUrl: string;
  }
}

// Runs in Node before the workerd pool starts: the outside world the Worker talks to.
export default async function setup(project: TestProject) {
  const [fake, telegram] = await Promise.all([startFakeModel(), startFakeTelegram()]);
  project.provide("fakeModelUrl", fake.url);
  project.provide("fakeTelegramUrl", telegram.url);
  return async () => {
    await fake.close();
    await telegram.close();
  };
}
