// Desktop notifications from the open page (the Notification API), the optional sound, and asking for the
// permission — only ever from a control the person pressed (Settings, the banner), never on load.
import type { Endpoints } from "../api/endpoints";
import { pushSupported, subscribePush } from "./push";

export type Permission = NotificationPermission | "unsupported";

export const notificationsSupported = (): boolean => typeof window !== "undefined" && "Notification" in window;

export function notificationPermission(): Permission {
  return notificationsSupported() ? Notification.permission : "unsupported";
}

/** Ask for the permission (call from a click), then subscribe this browser to web push as well when it can, so
 * that messages reach it with no tab open. The subscription goes on in the background: desktop notifications
 * are on once the permission is, whether or not a push service answers. */
export async function turnOnNotifications(http: Endpoints): Promise<Permission> {
  if (!notificationsSupported()) return "unsupported";
  const permission = await Notification.requestPermission();
  if (permission === "granted" && pushSupported()) void subscribePush(http).catch(() => undefined);
  return permission;
}

const BANNER_KEY = "parley.notifications-banner-dismissed";
const SOUND_KEY = "parley.notification-sound";

function read(key: string): string | null {
  try {
    return localStorage.getItem(key);
  } catch {
    return null;
  }
}

function write(key: string, value: string | null): void {
  try {
    if (value === null) localStorage.removeItem(key);
    else localStorage.setItem(key, value);
  } catch {
    // storage disabled: the choice lasts this page only
  }
}

export const bannerDismissed = (): boolean => read(BANNER_KEY) === "1";
export const dismissBanner = (): void => write(BANNER_KEY, "1");

/** The sound is off unless turned on in Settings (kept per browser). */
export const soundOn = (): boolean => read(SOUND_KEY) === "on";
export const setSoundOn = (on: boolean): void => write(SOUND_KEY, on ? "on" : null);

export interface DesktopAlert {
  title: string;
  body: string;
  /** Web push uses `conversation-<id>` too: an alert and a push for one conversation replace each other. */
  tag: string;
  /** Where a click goes (the conversation at the message). */
  path: string;
}

/**
 * Show a notification; a click focuses this tab and calls `open`. Where the page may not construct one (Chrome
 * on Android), the service worker shows it, and its click handler opens the path.
 */
export function showDesktopAlert(alert: DesktopAlert, open: (path: string) => void): void {
  if (notificationPermission() !== "granted") return;
  const options: NotificationOptions = { body: alert.body, tag: alert.tag, icon: "/static/frontend/icons/icon-192.png", data: { url: alert.path } };
  try {
    const notification = new Notification(alert.title, options);
    notification.addEventListener("click", () => {
      window.focus();
      open(alert.path);
      notification.close();
    });
  } catch {
    void navigator.serviceWorker?.getRegistration("/").then((registration) => registration?.showNotification(alert.title, options));
  }
}

let audio: AudioContext | null = null;

/** A short two-tone chime made with WebAudio: no file to fetch, nothing for the Content-Security-Policy. */
export function playChime(): void {
  try {
    audio ??= new AudioContext();
    const ctx = audio;
    if (ctx.state === "suspended") void ctx.resume();
    const gain = ctx.createGain();
    gain.connect(ctx.destination);
    const start = ctx.currentTime;
    gain.gain.setValueAtTime(0.0001, start);
    gain.gain.exponentialRampToValueAtTime(0.15, start + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, start + 0.35);
    [880, 1320].forEach((frequency, i) => {
      const tone = ctx.createOscillator();
      tone.type = "sine";
      tone.frequency.value = frequency;
      tone.connect(gain);
      tone.start(start + i * 0.09);
      tone.stop(start + 0.36);
    });
  } catch {
    // no audio (or not allowed yet): the notification is enough
  }
}
