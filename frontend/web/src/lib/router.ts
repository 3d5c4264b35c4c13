// A tiny history router: the app has a handful of routes, not worth a dependency.
import { useSyncExternalStore } from "react";

const listeners = new Set<() => void>();
const notify = () => listeners.forEach((listener) => listener());
if (typeof window !== "undefined") window.addEventListener("popstate", notify);

/** Go to `path`; `state` rides with the history entry (what the page it shows may say of how one got there). */
export function navigate(path: string, { replace = false, state = null }: { replace?: boolean; state?: unknown } = {}): void {
  if (path === window.location.pathname + window.location.search) return;
  if (replace) window.history.replaceState(state, "", path);
  else window.history.pushState(state, "", path);
  notify();
}

/** Why the app brought me to the page I am on, if it said (navigate's `state`). */
export function arrivedBecause(): { leftConversation?: string } {
  const state: unknown = window.history.state;
  return typeof state === "object" && state !== null ? (state as { leftConversation?: string }) : {};
}

const subscribe = (listener: () => void) => {
  listeners.add(listener);
  return () => listeners.delete(listener);
};

export function usePath(): string {
  return useSyncExternalStore(subscribe, () => window.location.pathname);
}

/** A query parameter of the current address (`?m=12` opens a conversation at message 12). */
export function useQueryParam(name: string): string | null {
  return useSyncExternalStore(subscribe, () => new URLSearchParams(window.location.search).get(name));
}

/** The address that opens conversation `id`, at the message `seq` if given. */
export const conversationPath = (id: number, seq?: number): string => `/c/${id}${seq === undefined ? "" : `?m=${seq}`}`;

/** The address that shows a message: the conversation at it, or for a reply in a thread, the conversation with
 * that thread open beside it at that reply (`?thread=<root id>&reply=<seq>`). */
export const messagePath = (message: { conversation: number; seq: number; thread_root?: string | null }): string =>
  message.thread_root
    ? threadPath(message.conversation, message.thread_root, message.seq)
    : conversationPath(message.conversation, message.seq);

/** The address of a conversation with the thread of root `rootId` open beside it, at its reply `reply` if
 * given (shown highlighted), else at its newest replies. */
export const threadPath = (conversation: number, rootId: string, reply?: number): string =>
  `/c/${conversation}?thread=${encodeURIComponent(rootId)}${reply === undefined ? "" : `&reply=${reply}`}`;

export type Route =
  | { name: "home" }
  | { name: "login" }
  | { name: "signup" }
  | { name: "conversation"; id: number }
  | { name: "new-direct" }
  | { name: "new-group" }
  | { name: "channels" }
  | { name: "mentions" }
  | { name: "settings" }
  | { name: "security" }
  | { name: "forgot-password" }
  | { name: "reset-password" }
  | { name: "verify-email" };

export function matchRoute(path: string): Route {
  // /conversations/12 is what push notifications link to (PUSH_CONVERSATION_PATH's default).
  const conversation = /^\/(?:c|conversations)\/(\d+)\/?$/.exec(path);
  if (conversation?.[1]) return { name: "conversation", id: Number(conversation[1]) };
  const table: Record<string, Route> = {
    "/login": { name: "login" },
    "/signup": { name: "signup" },
    "/new/direct": { name: "new-direct" },
    "/new/group": { name: "new-group" },
    "/channels": { name: "channels" },
    "/mentions": { name: "mentions" },
    "/settings": { name: "settings" },
    "/settings/security": { name: "security" },
    "/forgot-password": { name: "forgot-password" },
    "/reset-password": { name: "reset-password" },
    "/verify-email": { name: "verify-email" },
  };
  return table[path.replace(/\/$/, "") || "/"] ?? { name: "home" };
}
