import { defineConfig } from "drizzle-kit";

// Migrations are generated here and applied by wrangler (`migrations_dir = "drizzle"`) and the tests.
export default defineConfig({
  dialect: "sqlite",
  schema: "./api/src/db/schema.ts",
  out: "./drizzle",
});
