import { defineConfig } from "tsdown";

// One ESM entry with bundled declarations. @trpc/* stay dependencies (not inlined) so an integrator's own tRPC
// utilities see the same classes; the router types are the generated, Worker-free ones.
export default defineConfig({
  entry: ["src/index.ts"],
  format: "esm",
  platform: "neutral",
  target: "es2022",
  dts: true,
  clean: true,
});
