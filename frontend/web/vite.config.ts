import { fileURLToPath } from "node:url";
import react from "@vitejs/plugin-react";
import { defineConfig } from "vitest/config";

// The build lands in the Django app's static files (frontend/static/frontend/), where WhiteNoise
// serves the hashed assets under /static/frontend/ and frontend/views.py serves index.html for
// every client route. `npm run dev` proxies the API and the socket to a local Daphne.
const backend = process.env.PARLEY_BACKEND ?? "http://127.0.0.1:8000";

export default defineConfig({
  plugins: [react()],
  base: "/static/frontend/",
  build: {
    outDir: fileURLToPath(new URL("../static/frontend", import.meta.url)),
    emptyOutDir: true,
    assetsDir: "assets",
    sourcemap: false,
  },
  server: {
    proxy: {
      "/api": backend,
      "/ws": { target: backend.replace(/^http/, "ws"), ws: true },
    },
  },
  test: {
    environment: "node",
    include: ["src/**/*.test.ts"],
  },
});
