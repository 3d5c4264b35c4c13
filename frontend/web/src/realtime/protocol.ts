// Frames of the WebSocket protocol, version 2 (docs/protocol.md).
import type { Message, NotificationLevel, NotificationSettings, Role, ThreadSummary, UserRef } from "../api/types";

export const PROTOCOL_VERSION = 2;

export type ClientFrame =
  | {
      type: "message.send";
      conversation: number;
      body: string;
      client_id: string;
      reply_to?: string | null;
      /** Reply in this message's thread instead of the main timeline. */
      thread_root?: string | null;
      attachments?: string[];
    }
  /** Changes to a message; `client_id` is only a ref, for an `error` to name (docs/protocol.md, "Errors"). */
  | { type: "message.edit"; message: string; body: string; client_id?: string }
  | { type: "message.delete"; message: string; client_id?: string }
  | { type: "reaction.add" | "reaction.remove"; message: string; emoji: string; client_id?: string }
  | { type: "typing"; conversation: number; state: "start" | "stop" }
  | { type: "read"; conversation: number; seq: number }
  | { type: "sync"; since: Record<string, number>; complete?: boolean }
  /** Whether this page is looked at (./activity): after every (re)connect and on every change. */
  | { type: "activity"; visible: boolean; focused: boolean; idle_seconds: number }
  | { type: "ping" };

/** `idle`: connected, but no socket of theirs is visible and active (docs/protocol.md, "presence"). */
export type PresenceStatus = "online" | "idle" | "offline";

/** What `membership` and `conversation.updated` say about a conversation. */
export interface ConversationSummary {
  id: number;
  kind: "direct" | "group" | "channel";
  title: string;
  is_public: boolean;
  pin_policy?: "members" | "admins";
  all_mention_policy?: "anyone" | "admins";
}

/** Every change members see: each has a `seq` in its conversation's one order. */
export type OrderedEvent =
  | { type: "message.new"; seq: number; message: Message }
  | { type: "message.updated"; seq: number; conversation: number; message: Message }
  | { type: "message.deleted"; seq: number; conversation: number; id: string; by_moderator: boolean }
  | {
      type: "reaction";
      seq: number;
      conversation: number;
      message: string;
      user: number;
      emoji: string;
      state: "added" | "removed";
    }
  | { type: "read"; seq: number; conversation: number; user: number; up_to: number }
  | { type: "membership"; seq: number; conversation: ConversationSummary; user: number; state: "added" | "removed" }
  /** A member's role changed: mine too (what I may do here changes with it). */
  | { type: "member.updated"; seq: number; conversation: number; user: number; role: Role }
  | { type: "conversation.updated"; seq: number; conversation: ConversationSummary }
  | PinEvent
  | { type: "thread.updated"; seq: number; conversation: number; root: string; thread: ThreadSummary | null }
  | UserErasedEvent;

/** A member deleted their account: `user` is how they are named now ("Deleted user"); their messages here
 * were emptied (`deleted`), or kept as the workspace's retention policy says; their reactions are gone. */
export interface UserErasedEvent {
  type: "user.erased";
  seq: number;
  conversation: number;
  user: UserRef;
  messages: "deleted" | "kept";
}

/** A message pinned (with the message as it is now) or unpinned (its id only). */
export interface PinEvent {
  type: "pin";
  seq: number;
  conversation: number;
  message: Message | null;
  message_id: string;
  user: number;
  state: "pinned" | "unpinned";
}

/** `sync` with `complete: true` reports conversations joined or left while away, outside any order. */
export interface MembershipReport {
  type: "membership";
  seq: null;
  conversation: ConversationSummary;
  user: number;
  state: "added" | "removed";
}

/** To my own sockets only, when one of my devices saved a setting of mine (not replayed: REST has them). */
export type MySettingsFrame =
  | { type: "notification_level.updated"; conversation: number; notification_level: NotificationLevel; muted: boolean }
  | { type: "notification_preferences.updated"; preferences: NotificationSettings }
  | { type: "thread.read"; conversation: number; root: string; up_to: number }
  | { type: "thread_follow.updated"; conversation: number; root: string; following: boolean };

export type ServerFrame =
  | OrderedEvent
  | MembershipReport
  | { type: "message.ack"; client_id: string; message: Message }
  | { type: "typing"; conversation: number; user: number; state: "start" | "stop" }
  | { type: "presence"; user: number; status: PresenceStatus }
  | { type: "sync.done"; conversations: Record<string, number>; more: boolean }
  | { type: "pong" }
  | { type: "account"; may_post: boolean }
  | { type: "user.updated"; user: UserRef & { avatar_url?: string | null } }
  | MySettingsFrame
  | { type: "error"; code: string; detail: string; ref: string | null };

export const ORDERED_TYPES: ReadonlySet<string> = new Set([
  "message.new",
  "message.updated",
  "message.deleted",
  "reaction",
  "read",
  "membership",
  "member.updated",
  "conversation.updated",
  "pin",
  "thread.updated",
  "user.erased",
]);

export function isOrderedEvent(frame: ServerFrame): frame is OrderedEvent {
  return ORDERED_TYPES.has(frame.type) && typeof (frame as { seq?: unknown }).seq === "number";
}

/** The conversation an ordered event belongs to. */
export function eventConversation(event: OrderedEvent): number {
  switch (event.type) {
    case "message.new":
      return event.message.conversation;
    case "membership":
    case "conversation.updated":
      return event.conversation.id;
    default:
      return event.conversation;
  }
}

export const CLOSE_UNAUTHENTICATED = 4401;
export const CLOSE_SUSPENDED = 4403;
export const CLOSE_UPGRADE_REQUIRED = 4426;
export const CLOSE_TOO_MANY_SOCKETS = 4429;
export const CLOSE_GOING_AWAY = 1001;
/** Our own code for a close the client chose (going offline, a dead heartbeat). */
export const CLOSE_CLIENT = 4000;

export function parseFrame(data: unknown): ServerFrame | null {
  if (typeof data !== "string") return null;
  try {
    const frame = JSON.parse(data) as unknown;
    if (frame && typeof frame === "object" && typeof (frame as { type?: unknown }).type === "string") {
      return frame as ServerFrame;
    }
  } catch {
    // not JSON: ignore, as the server ignores nothing but never sends such a frame
  }
  return null;
}

export function socketUrl(token: string, location: { protocol: string; host: string } = window.location): string {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${location.host}/ws/?v=${PROTOCOL_VERSION}&token=${encodeURIComponent(token)}`;
}
