// The other tabs of this browser: told of the settings of mine a tab saved, and of the threads it read, which
// reach no socket (the server announces no event for a member's own notification level, the kind defaults of
// Settings, or a thread's read marker). Without it a conversation muted in one tab still counted in the other's
// badge and title, and a thread read in one still showed "1 unread thread" in the other, until a reload.
import type { NotificationLevel, NotificationSettings } from "../api/types";

export type TabNews =
  | { type: "level"; user: number; conversation: number; muted: boolean; notification_level: NotificationLevel | undefined }
  | { type: "prefs"; user: number; prefs: NotificationSettings }
  /** A thread I follow read up to `seq` (its "unread thread" badge). */
  | { type: "thread-read"; user: number; root: string; seq: number };

/** Omit over each member of a union (a plain Omit keeps only the keys they all have). */
type OmitEach<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** News as a tab tells it, before the store signs it with whose it is. */
export type MyTabNews = OmitEach<TabNews, "user">;

export interface TabsPort {
  post(news: TabNews): void;
  listen(listener: (news: TabNews) => void): () => void;
}

/** Through a BroadcastChannel (a tab does not hear its own posts); nothing where the browser has none. */
export function broadcastTabs(name = "parley-settings"): TabsPort {
  let channel: BroadcastChannel | null = null;
  const open = () => (channel ??= typeof BroadcastChannel === "undefined" ? null : new BroadcastChannel(name));
  return {
    post: (news) => open()?.postMessage(news),
    listen: (listener) => {
      const hear = (event: MessageEvent<TabNews>) => listener(event.data);
      open()?.addEventListener("message", hear);
      return () => {
        channel?.removeEventListener("message", hear);
        channel?.close(); // one listener per store: stopped, it hears nothing more
        channel = null;
      };
    },
  };
}

/** Tabs in one process (tests): each post reaches every other port made by the same call. */
export function memoryTabs(count: number): TabsPort[] {
  const listeners = Array.from({ length: count }, () => new Set<(news: TabNews) => void>());
  return listeners.map((own) => ({
    post: (news) => {
      for (const set of listeners) if (set !== own) for (const listener of set) listener(structuredClone(news));
    },
    listen: (listener) => {
      own.add(listener);
      return () => own.delete(listener);
    },
  }));
}
