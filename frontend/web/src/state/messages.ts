// Pure timeline logic: dedupe by id, order by seq, what events said about each message (so that a copy
// loaded later cannot undo them), and the optimistic send life cycle (pending → acknowledged, or
// failed → retried with the same client_id).
import type { Message, ReactionSummary, ThreadSummary } from "../api/types";

export type SendState = "sent" | "pending" | "failed";

export interface ChatMessage extends Message {
  state: SendState;
  error?: string;
}

/** What events said about one message. History can lag the socket (a message is acknowledged and
 * broadcast before it is stored), so a copy loaded later is corrected by this before it is shown. */
export interface MessagePatch {
  /** The seq of the newest event whose message content is `message` (an edit), 0 when none. */
  seq: number;
  message: Message | null;
  /** Deleted (by its sender, an owner or a moderator): final, whatever else arrives. */
  deleted: boolean;
  /** `${user} ${emoji}` → the newest reaction event about it. */
  reactions: Record<string, { seq: number; on: boolean }>;
  /** The newest `thread.updated` about it (a root): its thread's summary as of that event. */
  thread?: { seq: number; summary: ThreadSummary | null };
}

/** An account erased (`user.erased`): final, and about every copy of a message read since, however late. */
export interface Erasure {
  seq: number;
  /** Their name now ("Deleted user"). */
  name: string;
  /** Their messages before `seq` were deleted (not kept). */
  blank: boolean;
}

export interface Timeline {
  /** Stored messages: unique ids, increasing seq. */
  messages: ChatMessage[];
  /** Local messages not yet acknowledged, in the order they were written. */
  outbox: ChatMessage[];
  /** Message id → what events said about it (at most PATCH_LIMIT, the oldest forgotten first). */
  patches: Record<string, MessagePatch>;
  /** User id → their account's erasure: their reactions, messages and forwards' name on any copy read. */
  erased?: Record<number, Erasure>;
  hasMore: boolean;
  loaded: boolean;
  loadingOlder: boolean;
  /** Opened at a message, not at the end: the held history stops at this seq and newer messages load
   * from it; messages the socket brings meanwhile wait, hidden, until the gap is filled. */
  newerAfter: number | null;
  loadingNewer: boolean;
}

/** A patch outlives its event by this many newer patched messages: enough for any history read that
 * lags the socket, bounded for a tab left open for days. */
export const PATCH_LIMIT = 1000;
/** A conversation whose history was never loaded keeps only its newest live messages (the rest is
 * loaded from history when it is opened). */
export const UNLOADED_KEEP = 100;

export const emptyTimeline = (): Timeline => ({
  messages: [],
  outbox: [],
  patches: {},
  hasMore: true,
  loaded: false,
  loadingOlder: false,
  newerAfter: null,
  loadingNewer: false,
});

const emptyPatch = (): MessagePatch => ({ seq: 0, message: null, deleted: false, reactions: {} });

/** A copy of the message with what events said about it applied. */
export function applyPatch<M extends Message>(message: M, patch: MessagePatch | undefined): M {
  if (!patch) return message.deleted ? erased(message) : message;
  const content = patch.message && patch.seq > 0 ? { ...patch.message, seq: message.seq } : message;
  let reactions = message.reactions ?? [];
  for (const [key, { on }] of Object.entries(patch.reactions)) {
    const space = key.indexOf(" ");
    reactions = updateReactions(reactions, Number(key.slice(0, space)), key.slice(space + 1), on ? "added" : "removed");
  }
  const thread = patch.thread ? patch.thread.summary : (content.thread ?? message.thread);
  const patched = { ...message, ...content, reactions, thread };
  return patch.deleted || content.deleted ? erased(patched) : patched;
}

/** A copy of the message as it is now: what events said about it, and the erasures of accounts it shows. */
export function shownIn<M extends Message>(timeline: Timeline, message: M): M {
  return withErasures(applyPatch(message, timeline.patches[message.id]), timeline.erased);
}

/** Erased people's reactions go, their messages from before it too (unless kept), and forwards of their
 * messages name them as they are now. */
function withErasures<M extends Message>(message: M, erasures: Record<number, Erasure> | undefined): M {
  if (!erasures) return message;
  let reactions = message.reactions ?? [];
  for (const r of message.reactions ?? []) {
    for (const user of r.users) if (erasures[user]) reactions = updateReactions(reactions, user, r.emoji, "removed");
  }
  const origin = message.forwarded_from;
  const renamed = origin?.sender_id != null ? erasures[origin.sender_id]?.name : undefined;
  const forwarded_from = origin && renamed ? { ...origin, sender_name: renamed } : origin;
  const shown = reactions === message.reactions && forwarded_from === origin ? message : { ...message, reactions, forwarded_from };
  const theirs = erasures[message.sender.id];
  return theirs?.blank && message.seq < theirs.seq && !shown.deleted ? erased(shown) : shown;
}

/** Record an account's erasure, and show it on the copies held. */
export function eraseUser(timeline: Timeline, user: number, erasure: Erasure): Timeline {
  const erasedUsers = { ...timeline.erased, [user]: erasure };
  return { ...timeline, erased: erasedUsers, messages: timeline.messages.map((m) => withErasures(m, erasedUsers)) };
}

/** A deleted message keeps its id and seq; its body, attachments and reactions are gone. */
function erased<M extends Message>(message: M): M {
  return { ...message, deleted: true, body: "", attachments: [], previews: [], reactions: [] };
}

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

/** Stored messages arrive (history, live, replay, ack): correct them by what events said, merge them and
 * settle their outbox entries. */
export function receive(timeline: Timeline, incoming: Message[]): Timeline {
  const settled = new Set(incoming.map((m) => m.client_id));
  const outbox = timeline.outbox.filter((m) => !settled.has(m.client_id));
  const patched = incoming.map((m) => shownIn(timeline, m));
  let messages = mergeMessages(timeline.messages, patched);
  if (!timeline.loaded && messages.length > UNLOADED_KEEP) messages = messages.slice(-UNLOADED_KEEP);
  return { ...timeline, messages, outbox };
}

/** Record what an event said about a message, and show it on the copy held, if any. */
export function patchMessage(timeline: Timeline, id: string, change: (patch: MessagePatch) => MessagePatch): Timeline {
  const { [id]: previous, ...others } = timeline.patches;
  const patch = change(previous ?? emptyPatch());
  const kept = Object.keys(others);
  // Oldest first (insertion order: message ids are not integer-like keys), the one just touched last.
  const patches = kept.length >= PATCH_LIMIT ? Object.fromEntries(Object.entries(others).slice(1)) : others;
  patches[id] = patch;
  const next = { ...timeline, patches };
  return { ...next, messages: timeline.messages.map((m) => (m.id === id ? shownIn(next, m) : m)) };
}

/** The message's content as of event `seq` (an edit; a replayed one is the message as it is now). */
export const contentAt =
  (seq: number, message: Message) =>
  (patch: MessagePatch): MessagePatch =>
    seq > patch.seq ? { ...patch, seq, message } : patch;

export const deletion = (patch: MessagePatch): MessagePatch => ({ ...patch, deleted: true });

export const reactionAt =
  (seq: number, user: number, emoji: string, on: boolean) =>
  (patch: MessagePatch): MessagePatch => {
    const key = `${user} ${emoji}`;
    const known = patch.reactions[key];
    if (known && known.seq >= seq) return patch;
    return { ...patch, reactions: { ...patch.reactions, [key]: { seq, on } } };
  };

/** A root's thread summary as of event `seq` (a replayed one is the summary as it is now). */
export const threadAt =
  (seq: number, summary: ThreadSummary | null) =>
  (patch: MessagePatch): MessagePatch =>
    patch.thread && patch.thread.seq >= seq ? patch : { ...patch, thread: { seq, summary } };

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
  if (existing && users.size === existing.users.length && users.size === existing.count) return reactions;
  const updated = { emoji, count: users.size, users: [...users] };
  const others = reactions.filter((r) => r.emoji !== emoji);
  if (updated.count === 0) return others;
  return existing ? reactions.map((r) => (r.emoji === emoji ? updated : r)) : [...others, updated];
}

export function highestSeq(timeline: Timeline | undefined): number {
  const last = timeline?.messages[timeline.messages.length - 1];
  return last?.seq ?? 0;
}

/** Where the main timeline's history continues back from: its oldest message held (a thread's replies,
 * loaded with their thread, may be older and do not count). */
export function lowestSeq(timeline: Timeline | undefined): number | undefined {
  return timeline?.messages.find((m) => !m.thread_root)?.seq;
}

/** Everything to show, stored messages first, then the outbox. */
export function visibleMessages(timeline: Timeline): ChatMessage[] {
  const { newerAfter } = timeline;
  if (newerAfter !== null) return timeline.messages.filter((m) => m.seq <= newerAfter);
  return timeline.outbox.length ? [...timeline.messages, ...timeline.outbox] : timeline.messages;
}

/** The main timeline: a conversation's messages but the replies in threads (they show in their thread). */
export function mainTimeline(timeline: Timeline): ChatMessage[] {
  return visibleMessages(timeline).filter((m) => !m.thread_root);
}

/** What was new to me when a conversation opened: others' messages after my read marker then, up to its
 * newest event then. */
export interface NewOnOpening {
  after: number;
  upTo: number;
}

/** The message the "New messages" line goes above: the first of those new on opening that is still there. A
 * deleted one shows only as "This message was deleted." (nor does it count as unread): the line skips it, and
 * with every new message deleted there is no line. */
export function firstNewMessage(messages: ChatMessage[], opening: NewOnOpening, meId: number): ChatMessage | undefined {
  return messages.find(
    (m) => m.seq > opening.after && m.seq <= opening.upTo && m.state === "sent" && !m.deleted && m.sender.id !== meId,
  );
}

/** The run of a thread's replies read from its history without a gap: from the reply at `from` (0: from its
 * first), up to `newerAfter` or, when null, to its newest (live replies join it at the bottom). Replies the
 * timeline holds outside it (read before, or arrived live while the run stops short of the newest) wait,
 * hidden, until paging reaches them. */
export interface ReplyRun {
  from: number;
  newerAfter: number | null;
}

/** The run a page of a thread's replies starts: `hasOlder` and `hasNewer` say whether it stops short of the
 * first reply and of the newest. */
export function replyRunOf(seqs: number[], hasOlder: boolean, hasNewer: boolean): ReplyRun {
  return {
    from: hasOlder && seqs.length ? Math.min(...seqs) : 0,
    newerAfter: hasNewer && seqs.length ? Math.max(...seqs) : null,
  };
}

/** One thread's replies in `run` (all of them when not given), stored ones by seq, then its unsent ones when
 * the run reaches the newest. The conversation's own window (opened at a message) does not bound them. */
export function threadReplies(timeline: Timeline, root: string, run: ReplyRun = { from: 0, newerAfter: null }): ChatMessage[] {
  const { from, newerAfter } = run;
  const stored = timeline.messages.filter(
    (m) => m.thread_root === root && m.seq >= from && (newerAfter === null || m.seq <= newerAfter),
  );
  if (newerAfter !== null) return stored;
  const unsent = timeline.outbox.filter((m) => m.thread_root === root);
  return unsent.length ? [...stored, ...unsent] : stored;
}

/** The seq of a thread's newest stored reply held, 0 when none. */
export function newestReplySeq(timeline: Timeline | undefined, root: string): number {
  const replies = timeline?.messages.filter((m) => m.thread_root === root) ?? [];
  return replies[replies.length - 1]?.seq ?? 0;
}
