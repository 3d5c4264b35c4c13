import type { Conversation, Me, Message, PublicUser } from "../api/types";
import type { OutboxRecord } from "../state/persist";

/** The signed-in user of the store tests. */
export const me: Me = {
  id: 1,
  username: "ada",
  display_name: "Ada",
  avatar_url: null,
  email: "a@x.io",
  date_joined: "2026-01-01T00:00:00Z",
  email_verified: true,
  may_post: true,
  two_factor_enabled: false,
  two_factor_required: false,
};

export function msg(seq: number, extra: Partial<Message> = {}): Message {
  return {
    id: `m${seq}`,
    conversation: 1,
    seq,
    sender: { id: 2, username: "bob", display_name: "Bob" },
    body: `message ${seq}`,
    client_id: `c${seq}`,
    reply_to: null,
    thread_root: null,
    thread: null,
    created_at: `2026-01-01T00:00:${String(seq).padStart(2, "0")}Z`,
    edited_at: null,
    deleted: false,
    attachments: [],
    previews: [],
    mentions: [],
    mentions_here: false,
    mentions_all: false,
    ...extra,
  };
}

export function person(id: number): PublicUser {
  return { id, username: `user${id}`, display_name: `User ${id}`, avatar_url: null, online: false };
}

export function conversation(id: number, extra: Partial<Conversation> = {}): Conversation {
  return {
    id,
    kind: "group",
    title: `Group ${id}`,
    is_public: false,
    created_at: "2026-01-01T00:00:00Z",
    last_activity_at: "2026-01-01T00:00:00Z",
    last_seq: 0,
    role: "member",
    all_mention_policy: "anyone",
    notification_level: "default",
    muted: false,
    last_read_seq: 0,
    unread_count: 0,
    unread_mentions: 0,
    last_message: null,
    members: [person(1), person(2)],
    member_count: 2,
    ...extra,
  };
}

/** A message waiting in a device's outbox (state/persist.ts), in conversation 4. */
export function outboxRecord(
  user: number,
  clientId: string,
  createdAt: string,
  failure: OutboxRecord["failure"] = null,
): OutboxRecord {
  return {
    user,
    client_id: clientId,
    conversation: 4,
    body: `body of ${clientId}`,
    reply_to: null,
    attachments: [],
    created_at: createdAt,
    failure,
  };
}
