/* Parley service worker: shows Web Push notifications and opens their conversation on click.
 * Registered by the web app at scope "/". A push's data is {title, body, url, tag} (docs/notifications.md). */

self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));

self.addEventListener("push", (event) => {
  let data = {};
  try {
    data = event.data ? event.data.json() : {};
  } catch {
    data = { body: event.data ? event.data.text() : "" };
  }
  const url = new URL(data.url || "/", self.location.origin).href;
  event.waitUntil(
    self.registration.showNotification(data.title || "Parley", {
      body: data.body || "",
      tag: data.tag,
      renotify: Boolean(data.tag), // a newer message in the same conversation still alerts
      data: { url },
    }),
  );
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const url = new URL((event.notification.data && event.notification.data.url) || "/", self.location.origin).href;
  event.waitUntil(
    (async () => {
      const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
      const exact = windows.find((client) => client.url === url);
      const sameOrigin = windows.find((client) => new URL(client.url).origin === self.location.origin);
      const client = exact || sameOrigin;
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
