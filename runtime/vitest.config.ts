import { defineConfig } from "vitest/config";

// Runs in Node: these tests drive real `openclaw gateway` processes.
export default defineConfig({
  test: { root: import.meta.dirname, include: ["test/**/*.test.ts"], fileParallelism: false, testTimeout: 90_000, hookTimeout: 90_000 },
});
