import { defineConfig } from "vitest/config";

// The client against a local HTTP server that answers as the API does (statuses, error shapes, headers), so
// retries, error classes and helpers are checked without a Worker. The real API is exercised in runtime/test.
export default defineConfig({
  test: { root: import.meta.dirname, include: ["test/**/*.test.ts"], testTimeout: 20_000 },
});
