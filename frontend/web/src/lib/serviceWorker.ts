// The service worker (src/sw.ts, served at /sw.js for the whole origin): the offline app shell and web push.
import { navigate } from "./router";

export function registerServiceWorker(): Promise<ServiceWorkerRegistration> {
  return navigator.serviceWorker.register("/sw.js", { scope: "/" });
}

/** Register once the page has loaded (not to compete with it), and follow notification clicks. */
export function startServiceWorker(): void {
  if (!("serviceWorker" in navigator) || import.meta.env.DEV) return;
  const register = () => void registerServiceWorker().catch(() => undefined);
  if (document.readyState === "complete") register();
  else window.addEventListener("load", register, { once: true });
  // A click on a notification while this tab shows another page: go to its conversation, no reload.
  navigator.serviceWorker.addEventListener("message", (event: MessageEvent<unknown>) => {
    const data = event.data as { type?: string; url?: string } | null;
    if (data?.type !== "notification.click" || !data.url) return;
    const url = new URL(data.url, window.location.origin);
    if (url.origin === window.location.origin) navigate(url.pathname + url.search);
  });
}
