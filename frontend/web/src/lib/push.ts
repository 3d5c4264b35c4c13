// Web push opt-in: register the service worker at the root scope, subscribe with the server's VAPID
// key, and hand the subscription to the server.
import type { Endpoints } from "../api/endpoints";
import { registerServiceWorker } from "./serviceWorker";

export const pushSupported = (): boolean =>
  "serviceWorker" in navigator && "PushManager" in window && "Notification" in window;

export async function enablePush(http: Endpoints): Promise<"granted" | "denied" | "unsupported"> {
  if (!pushSupported()) return "unsupported";
  const permission = await Notification.requestPermission();
  if (permission !== "granted") return "denied";
  await subscribePush(http);
  return "granted";
}

/** With the permission granted: subscribe this browser and hand the subscription to the server. */
export async function subscribePush(http: Endpoints): Promise<void> {
  const registration = await registerServiceWorker();
  await navigator.serviceWorker.ready;
  const { public_key } = await http.pushKey();
  const subscription =
    (await registration.pushManager.getSubscription()) ??
    (await registration.pushManager.subscribe({
      userVisibleOnly: true,
      applicationServerKey: base64UrlToBytes(public_key),
    }));
  const json = subscription.toJSON();
  await http.subscribePush({
    endpoint: subscription.endpoint,
    keys: { p256dh: json.keys?.p256dh ?? "", auth: json.keys?.auth ?? "" },
    device_name: navigator.userAgent.slice(0, 100),
  });
}

export function base64UrlToBytes(value: string): Uint8Array<ArrayBuffer> {
  const padded = value.replace(/-/g, "+").replace(/_/g, "/").padEnd(Math.ceil(value.length / 4) * 4, "=");
  const binary = atob(padded);
  const bytes = new Uint8Array(new ArrayBuffer(binary.length));
  for (let i = 0; i < binary.length; i += 1) bytes[i] = binary.charCodeAt(i);
  return bytes;
}
