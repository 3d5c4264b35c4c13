import type { Message } from "../api/types";

export function msg(seq: number, extra: Partial<Message> = {}): Message {
  return {
    id: `m${seq}`,
    conversation: 1,
    seq,
    sender: { id: 2, username: "bob", display_name: "Bob" },
    body: `message ${seq}`,
    client_id: `c${seq}`,
    reply_to: null,
    created_at: `2026-01-01T00:00:${String(seq).padStart(2, "0")}Z`,
    edited_at: null,
    deleted: false,
    attachments: [],
    ...extra,
  };
}
