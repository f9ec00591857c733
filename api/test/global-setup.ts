import type { TestProject } from "vitest/node";
import { startFakeModel } from "../../fakes/openai";
import { startFakeTelegram } from "../../fakes/telegram";
import { startFakeStripe } from "../../fakes/stripe";
import { startFakeMail } from "../../fakes/mail";

declare module "vitest" {
  export interface ProvidedContext {
    fakeModelUrl: string;
    fakeTelegramUrl: string;
    fakeStripeUrl: string;
    fakeMailUrl: string;
  }
}

// Runs in Node before the workerd pool starts: the outside world the Worker talks to.
export default async function setup(project: TestProject) {
  const [fake, telegram, stripe, mail] = await Promise.all([startFakeModel(), startFakeTelegram(), startFakeStripe(), startFakeMail()]);
  project.provide("fakeModelUrl", fake.url);
  project.provide("fakeTelegramUrl", telegram.url);
  project.provide("fakeStripeUrl", stripe.url);
  project.provide("fakeMailUrl", mail.url);
  return async () => {
    await Promise.all([fake.close(), telegram.close(), stripe.close(), mail.close()]);
  };
}
