/// <reference lib="webworker" />
// Parley's service worker, served at /sw.js so that it controls the whole origin (frontend/views.py).
// - The app shell: the build's files are precached (Workbox, the list injected at build time), and every
//   navigation to a client route is answered with the cached index.html, so the app opens offline.
// - Web Push: shows a push's {title, body, url, tag, seq} (docs/notifications.md) and, on click, opens its
//   conversation at that message (`?m=<seq>`, the jump search uses).
// Nothing else is intercepted: the API, the socket, uploads and downloads go to the network untouched,
// and no sync or message handler is claimed here (room for a later offline outbox).
import { cleanupOutdatedCaches, createHandlerBoundToURL, precacheAndRoute } from "workbox-precaching";
import { NavigationRoute, registerRoute } from "workbox-routing";
import { pushTarget, type PushData } from "./lib/pushTarget";

declare const self: ServiceWorkerGlobalScope;

// The build lists its files relative to its own folder, and the worker is served from / instead.
const BUILD = new URL("/static/frontend/", self.location.origin);
const SHELL = new URL("index.html", BUILD).pathname;
// Paths the server owns (frontend/urls.py's CLIENT_ROUTE, plus its own files): never the app shell.
const SERVER_PATHS = [/^\/(?:api|admin|ws|static|media)(?:\/|$)/, /^\/(?:healthz|readyz|metrics|robots\.txt|sw\.js)$/];

self.addEventListener("install", () => void self.skipWaiting());
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));

cleanupOutdatedCaches();
precacheAndRoute(
  self.__WB_MANIFEST.map((entry) =>
    typeof entry === "string" ? new URL(entry, BUILD).pathname : { ...entry, url: new URL(entry.url, BUILD).pathname },
  ),
);
registerRoute(new NavigationRoute(createHandlerBoundToURL(SHELL), { denylist: SERVER_PATHS }));

self.addEventListener("push", (event) => {
  let data: PushData;
  try {
    data = (event.data?.json() as PushData | null) ?? {};
  } catch {
    data = { body: event.data?.text() ?? "" };
  }
  const url = pushTarget(data, self.location.origin);
  event.waitUntil(
    self.registration.showNotification(data.title || "Parley", {
      body: data.body || "",
      tag: data.tag,
      // A newer message in the same conversation still alerts (not in TypeScript's lib yet).
      ...({ renotify: Boolean(data.tag) } as NotificationOptions),
      icon: "/static/frontend/icons/icon-192.png",
      data: { url },
    }),
  );
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const url = new URL((event.notification.data as { url?: string } | null)?.url || "/", self.location.origin).href;
  event.waitUntil(
    (async () => {
      const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
      const exact = windows.find((client) => client.url === url);
      const client = exact ?? windows.find((c) => new URL(c.url).origin === self.location.origin);
      if (client) {
        await client.focus();
        // An open Parley tab on another page is told where to go; it routes without reloading.
        if (client !== exact) client.postMessage({ type: "notification.click", url });
        return;
      }
      await self.clients.openWindow(url);
    })(),
  );
});
