import { fileURLToPath } from "node:url";
import react from "@vitejs/plugin-react";
import type { Plugin } from "vite";
import { VitePWA } from "vite-plugin-pwa";
import { defineConfig } from "vitest/config";

// The build lands in the Django app's static files (frontend/static/frontend/), where WhiteNoise
// serves the hashed assets under /static/frontend/ and frontend/views.py serves index.html for
// every client route and sw.js at the root. `npm run dev` proxies the API and the socket to a local Daphne.
const backend = process.env.PARLEY_BACKEND ?? "http://127.0.0.1:8000";
const base = "/static/frontend/";

/**
 * Opening the app on a conversation (a link, a notification) needs the conversation screen's chunk: index.html
 * asks for it at once, alongside the main script, instead of after it has run. Other screens do not load it.
 * The asking is public/preload-conversation.js, a file (the Content-Security-Policy allows no inline script,
 * docs/web.md); this plugin names the chunk and the route for it in a <meta> it reads.
 */
const CONVERSATION_PATH = /^\/(?:c|conversations)\/\d+\/?$/; // src/lib/router.ts's conversation route
const PRELOAD_SCRIPT = "preload-conversation.js"; // in public/: copied beside index.html, and precached

function preloadConversationScreen(): Plugin {
  return {
    name: "parley-preload-conversation-screen",
    apply: "build",
    transformIndexHtml: {
      order: "post",
      handler(_html, { bundle }) {
        const chunk = Object.values(bundle ?? {}).find(
          (file) => file.type === "chunk" && file.facadeModuleId?.endsWith("/src/ui/ConversationView.tsx"),
        );
        if (!chunk) throw new Error("no ConversationView chunk to preload");
        return [
          {
            tag: "meta",
            attrs: { name: "parley-conversation-chunk", content: base + chunk.fileName, "data-path": CONVERSATION_PATH.source },
            injectTo: "head",
          },
          { tag: "script", attrs: { src: base + PRELOAD_SCRIPT }, injectTo: "head" },
        ];
      },
    },
  };
}

export default defineConfig({
  plugins: [
    react(),
    preloadConversationScreen(),
    // The web app manifest and the service worker (src/sw.ts, with Workbox's precache list injected).
    VitePWA({
      strategies: "injectManifest",
      srcDir: "src",
      filename: "sw.ts",
      injectRegister: false, // src/lib/serviceWorker.ts registers /sw.js, not /static/frontend/sw.js
      includeAssets: [],
      manifest: {
        id: "/",
        name: "Parley",
        short_name: "Parley",
        description: "Team chat: direct messages, groups and public channels.",
        start_url: "/",
        scope: "/",
        display: "standalone",
        background_color: "#f5f7fa",
        theme_color: "#1f4e79",
        icons: [
          { src: "icons/icon-192.png", sizes: "192x192", type: "image/png", purpose: "any" },
          { src: "icons/icon-512.png", sizes: "512x512", type: "image/png", purpose: "any" },
          { src: "icons/maskable-512.png", sizes: "512x512", type: "image/png", purpose: "maskable" },
          { src: "icons/icon.svg", sizes: "any", type: "image/svg+xml", purpose: "any" },
        ],
      },
      injectManifest: {
        // The shell and every chunk (so a conversation opens offline too); not the 440 KB emoji data,
        // which the picker keeps in IndexedDB once loaded.
        // The manifest and its icons are added by the plugin.
        globPatterns: ["index.html", PRELOAD_SCRIPT, "assets/*.{js,css}"],
        rollupFormat: "iife",
      },
    }),
  ],
  base,
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
