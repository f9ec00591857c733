import tailwindcss from "@tailwindcss/vite";
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// The SPA lives in spa/. In development the API is proxied so the SPA and API share one origin
// (the session cookie is first-party and SameSite=Lax holds); in production Pages and the Worker
// share a domain the same way (README "Deploy").
const api = process.env.AUTOCLAW_API_URL ?? `http://127.0.0.1:${process.env.PORT ?? 8787}`;

export default defineConfig({
  root: "spa",
  plugins: [react(), tailwindcss()],
  server: {
    proxy: { "/trpc": api, "/api": api },
  },
  build: { outDir: "../dist/spa", emptyOutDir: true },
});
