// Frames of the WebSocket protocol, version 2 (docs/protocol.md).
import type { Conversation, Message } from "../api/types";

export type ClientFrame =
  | {
      type: "message.send";
      conversation: number;
      body: string;
      client_id: string;
      reply_to?: string | null;
      attachments?: string[];
    }
  | { type: "message.edit"; message: string; body: string }
  | { type: "message.delete"; message: string }
  | { type: "reaction.add" | "reaction.remove"; message: string; emoji: string }
  | { type: "typing"; conversation: number; state: "start" | "stop" }
  | { type: "read"; conversation: number; seq: number }
  | { type: "sync"; since: Record<string, number>; complete?: boolean }
  | { type: "ping" };

export type ServerFrame =
  | { type: "message.ack"; client_id: string; message: Message }
  | { type: "message.new"; seq: number; message: Message }
  | { type: "message.updated"; seq: number; conversation: number; message: Message }
  | { type: "message.deleted"; seq: number; conversation: number; id: string; by_moderator: boolean }
  | {
      type: "reaction";
      seq: number;
      message: string;
      conversation: number;
      user: number;
      emoji: string;
      state: "added" | "removed";
    }
  | { type: "typing"; conversation: number; user: number; state: "start" | "stop" }
  | { type: "read"; seq: number; conversation: number; user: number; up_to: number }
  | { type: "presence"; user: number; status: "online" | "offline" }
  | { type: "conversation.updated"; seq: number; conversation: Partial<Conversation> & { id: number } }
  | {
      type: "membership";
      seq: number | null;
      // docs/protocol.md says the full conversation; the server may send a summary ({id, kind, title, is_public})
      conversation: Partial<Conversation> & { id: number };
      user: number;
      state: "added" | "removed";
    }
  | { type: "sync.done"; conversations: Record<string, number>; more: boolean }
  | { type: "pong" }
  | { type: "account"; may_post: boolean }
  | { type: "error"; code: string; detail: string; ref: string | null };

export const CLOSE_UNAUTHENTICATED = 4401;
export const CLOSE_SUSPENDED = 4403;
export const CLOSE_GOING_AWAY = 1001;
/** The server no longer speaks the protocol version this page asked for: a newer app is deployed. */
export const CLOSE_UNSUPPORTED_VERSION = 4426;
export const PROTOCOL_VERSION = 2;
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
