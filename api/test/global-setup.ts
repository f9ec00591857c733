import type { TestProject } from "vitest/node";
import { startFakeModel } from "../../e2e/fakes/openai";

declare module "vitest" {
  export interface ProvidedContext {
    fakeModelUrl: string;
  }
}

// Runs in Node before the workerd pool starts: the outside world the Worker talks to.
export default async function setup(project: TestProject) {
  const fake = await startFakeModel();
  project.provide("fakeModelUrl", fake.url);
  return () => fake.close();
}
