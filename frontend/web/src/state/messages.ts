// Pure timeline logic: dedupe by id, order by seq, and the optimistic send life cycle
// (pending → acknowledged, or failed → retried with the same client_id).
import type { Message, ReactionSummary } from "../api/types";

export type SendState = "sent" | "pending" | "failed";

export interface ChatMessage extends Message {
  state: SendState;
  error?: string;
}

export interface Timeline {
  /** Stored messages: unique ids, increasing seq. */
  messages: ChatMessage[];
  /** Local messages not yet acknowledged, in the order they were written. */
  outbox: ChatMessage[];
  hasMore: boolean;
  loaded: boolean;
  loadingOlder: boolean;
}

export const emptyTimeline = (): Timeline => ({
  messages: [],
  outbox: [],
  hasMore: true,
  loaded: false,
  loadingOlder: false,
});

const asSent = (message: Message, previous?: ChatMessage): ChatMessage => ({
  ...message,
  reactions: message.reactions ?? previous?.reactions ?? [],
  state: "sent",
});

/** Merge stored messages into a sorted, id-unique list; a later copy of a message replaces the earlier. */
export function mergeMessages(list: ChatMessage[], incoming: Message[]): ChatMessage[] {
  if (incoming.length === 0) return list;
  const byId = new Map(list.map((m) => [m.id, m]));
  for (const message of incoming) byId.set(message.id, asSent(message, byId.get(message.id)));
  return [...byId.values()].sort((a, b) => a.seq - b.seq);
}

/** Stored messages arrive (history, live, replay, ack): merge them and settle their outbox entries. */
export function receive(timeline: Timeline, incoming: Message[]): Timeline {
  const settled = new Set(incoming.map((m) => m.client_id));
  const outbox = timeline.outbox.filter((m) => !settled.has(m.client_id));
  return { ...timeline, messages: mergeMessages(timeline.messages, incoming), outbox };
}

export function addPending(timeline: Timeline, message: ChatMessage): Timeline {
  return { ...timeline, outbox: [...timeline.outbox, { ...message, state: "pending" }] };
}

export function setSendState(timeline: Timeline, clientId: string, state: SendState, error?: string): Timeline {
  if (!timeline.outbox.some((m) => m.client_id === clientId)) return timeline;
  const outbox = timeline.outbox.map((m) =>
    m.client_id === clientId ? { ...m, state, error: state === "failed" ? error : undefined } : m,
  );
  return { ...timeline, outbox };
}

export function markDeleted(timeline: Timeline, id: string): Timeline {
  const messages = timeline.messages.map((m) => (m.id === id ? { ...m, deleted: true, body: "", attachments: [] } : m));
  return { ...timeline, messages };
}

export function applyReaction(
  timeline: Timeline,
  messageId: string,
  user: number,
  emoji: string,
  state: "added" | "removed",
): Timeline {
  const messages = timeline.messages.map((m) =>
    m.id === messageId ? { ...m, reactions: updateReactions(m.reactions ?? [], user, emoji, state) } : m,
  );
  return { ...timeline, messages };
}

export function updateReactions(
  reactions: ReactionSummary[],
  user: number,
  emoji: string,
  state: "added" | "removed",
): ReactionSummary[] {
  const existing = reactions.find((r) => r.emoji === emoji);
  const users = new Set(existing?.users ?? []);
  if (state === "added") users.add(user);
  else users.delete(user);
  const updated = { emoji, count: users.size, users: [...users] };
  const others = reactions.filter((r) => r.emoji !== emoji);
  if (updated.count === 0) return others;
  return existing ? reactions.map((r) => (r.emoji === emoji ? updated : r)) : [...others, updated];
}

export function highestSeq(timeline: Timeline | undefined): number {
  const last = timeline?.messages[timeline.messages.length - 1];
  return last?.seq ?? 0;
}

export function lowestSeq(timeline: Timeline | undefined): number | undefined {
  return timeline?.messages[0]?.seq;
}

/** Everything to show, stored messages first, then the outbox. */
export function visibleMessages(timeline: Timeline): ChatMessage[] {
  return timeline.outbox.length ? [...timeline.messages, ...timeline.outbox] : timeline.messages;
}
