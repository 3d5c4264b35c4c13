// Applying a conversation's ordered events (docs/protocol.md) to the store's state: exactly once per seq,
// whatever mix of live, replayed, repeated and late events arrives, so that after `sync.done` every
// conversation equals what a fresh page load would show. Pure: what needs the network comes back as effects.
import type { Conversation, Member, Message, Role, UserRef } from "../api/types";
import { eventConversation, type ConversationSummary, type OrderedEvent } from "../realtime/protocol";
import {
  changeMember,
  changeRole,
  countMention,
  countUnread,
  uncountMention,
  isApplied,
  markApplied,
  memberCount,
  memberNow,
  mentionCount,
  readTo,
  rebaseUnread,
  reflectsEvents,
  roleSince,
  snapshotLedger,
  uncountDeleted,
  unreadCount,
  type Deletion,
  type Ledger,
} from "./ledger";
import {
  contentAt,
  deletion,
  emptyTimeline,
  eraseUser,
  patchMessage,
  reactionAt,
  receive,
  shownIn,
  threadAt,
  type Timeline,
} from "./messages";

export interface SyncState {
  conversations: Record<number, Conversation>;
  ledgers: Record<number, Ledger>;
  timelines: Record<number, Timeline>;
  /** conversation → user → the seq their read marker is at */
  reads: Record<number, Record<number, number>>;
}

/** What the store must fetch or drop: a conversation it does not know (load it from REST, then `sync` it),
 * one it was removed from (drop it), and one whose member names or unread count only REST can give. */
export type Effect = { kind: "load" | "drop" | "refresh"; conversation: number };

export interface Applied {
  state: SyncState;
  effects: Effect[];
}

/** Apply one ordered event; an event already applied changes nothing. `present`: I am looking at a page of
 * Parley as it arrives (live, visible, focused), so an @here in it counts as mentioning me, as the server
 * counts it (docs/protocol.md, "Mentions"); a replay's @here never does. */
export function applyEvent(state: SyncState, event: OrderedEvent, me: number, present = false): Applied {
  const id = eventConversation(event);
  if (event.type === "membership" && event.user === me) return applyOwnMembership(state, id, event.state);
  const ledger = state.ledgers[id];
  if (!ledger || !state.conversations[id]) return { state, effects: [{ kind: "load", conversation: id }] };
  if (isApplied(ledger, event.seq)) return { state, effects: [] };
  const next = new Change(state, id, markApplied(ledger, event.seq), me, present);
  next.apply(event);
  return next.result();
}

/** I was added (load it unless known) or removed (drop it, whatever is open). */
function applyOwnMembership(state: SyncState, id: number, change: "added" | "removed"): Applied {
  const known = id in state.conversations;
  if (change === "added") return { state, effects: known ? [] : [{ kind: "load", conversation: id }] };
  if (!known) return { state, effects: [] };
  return { state: withoutConversation(state, id), effects: [{ kind: "drop", conversation: id }] };
}

export function withoutConversation(state: SyncState, id: number): SyncState {
  const drop = <T>(record: Record<number, T>): Record<number, T> =>
    Object.fromEntries(Object.entries(record).filter(([key]) => Number(key) !== id));
  return {
    conversations: drop(state.conversations),
    ledgers: drop(state.ledgers),
    timelines: drop(state.timelines),
    reads: drop(state.reads),
  };
}

/** A conversation read from REST becomes known: its `last_seq` is where its events continue. */
export function withSnapshot(state: SyncState, conversation: Conversation): SyncState {
  return {
    ...state,
    conversations: { ...state.conversations, [conversation.id]: conversation },
    ledgers: { ...state.ledgers, [conversation.id]: snapshotLedger(conversation) },
  };
}

/** The conversation read again from REST for what events cannot tell: new members' names, the unread
 * count, my role and settings. Who is a member, and everything else events said, stay as they are.
 * `current` is false when the copy may lag the events applied: its unread count is not used (ask again). */
export function withRefresh(state: SyncState, fresh: Conversation, me: number): { state: SyncState; current: boolean } {
  const current = state.conversations[fresh.id];
  const ledger = state.ledgers[fresh.id];
  if (!current || !ledger) return { state, current: true };
  const names = directory({ ...state.conversations, [fresh.id]: fresh });
  const freshMembers = new Map(fresh.members.map((m) => [m.id, m]));
  const listed = new Set(current.members.map((m) => m.id));
  const joined = Object.keys(ledger.memberChanges)
    .map(Number)
    .filter((user) => memberNow(ledger, user) && !listed.has(user))
    .flatMap((user) => {
      const known = freshMembers.get(user) ?? names.get(user);
      return known ? [{ ...known, role: roleSince(ledger, user, fresh.last_seq) ?? freshMembers.get(user)?.role }] : [];
    });
  const rebased = rebaseUnread(ledger, fresh);
  const conversation: Conversation = {
    ...current,
    members: current.kind === "channel" ? current.members : [...current.members, ...joined],
    role: myRole(ledger, fresh, me),
    muted: fresh.muted,
    notification_level: fresh.notification_level,
    all_mention_policy: fresh.all_mention_policy,
    last_read_seq: rebased.myRead,
    unread_count: unreadCount(rebased),
    unread_mentions: mentionCount(rebased),
  };
  return {
    state: {
      ...state,
      conversations: { ...state.conversations, [fresh.id]: conversation },
      ledgers: { ...state.ledgers, [fresh.id]: rebased },
    },
    current: reflectsEvents(ledger, fresh),
  };
}

/** My role as a REST copy of the conversation gives it, unless an event newer than the copy changed it. */
export function myRole(ledger: Ledger, fresh: Conversation, me: number): Role {
  return roleSince(ledger, me, fresh.last_seq) ?? fresh.role;
}

/** Whether a message calls on me: by name, @all, or @here while I am present (what the server counts in
 * `unread_mentions`: docs/protocol.md, "Mentions"). */
export function mentionsMe(
  message: Pick<Message, "mentions" | "mentions_here" | "mentions_all">,
  me: number,
  present = false,
): boolean {
  return !!(message.mentions?.includes(me) || message.mentions_all || (present && message.mentions_here));
}

/** Every user the store can name, from every conversation's members (their role is that conversation's). */
export function directory(conversations: Record<number, Conversation>): Map<number, Member> {
  const users = new Map<number, Member>();
  for (const conversation of Object.values(conversations)) for (const user of conversation.members) users.set(user.id, user);
  return users;
}

/** One event's change to one conversation. */
class Change {
  private conversation: Conversation;
  private timeline: Timeline;
  private reads: Record<number, number>;
  private readonly effects: Effect[] = [];

  constructor(
    private readonly state: SyncState,
    private readonly id: number,
    private ledger: Ledger,
    private readonly me: number,
    private readonly present: boolean,
  ) {
    this.conversation = state.conversations[id] as Conversation;
    this.timeline = state.timelines[id] ?? emptyTimeline();
    this.reads = state.reads[id] ?? {};
  }

  apply(event: OrderedEvent): void {
    switch (event.type) {
      case "message.new":
        this.newMessage(event.seq, event.message);
        break;
      case "message.updated":
        this.patch(event.message.id, contentAt(event.seq, event.message));
        if (event.message.deleted) this.deleted(event.message.id, { seq: event.seq, exact: false }); // replayed as it is now
        break;
      case "message.deleted":
        this.deleted(event.id, { seq: event.seq, exact: true });
        break;
      case "reaction":
        this.patch(event.message, reactionAt(event.seq, event.user, event.emoji, event.state === "added"));
        break;
      case "read":
        this.read(event.user, event.up_to);
        break;
      case "membership":
        this.titled(event.seq, event.conversation);
        this.member(event.user, event.seq, event.state);
        break;
      case "member.updated":
        this.role(event.user, event.seq, event.role);
        break;
      case "conversation.updated":
        this.titled(event.seq, event.conversation);
        break;
      case "pin": // the pinned list is the store's (./pins); here it only takes its place in the order
        break;
      case "thread.updated":
        this.patch(event.root, threadAt(event.seq, event.thread));
        break;
      case "user.erased":
        this.erased(event.seq, event.user, event.messages === "deleted");
        break;
    }
  }

  result(): Applied {
    const conversation: Conversation = {
      ...this.conversation,
      last_seq: this.ledger.cursor,
      last_read_seq: this.ledger.myRead,
      unread_count: unreadCount(this.ledger),
      unread_mentions: mentionCount(this.ledger),
      member_count: memberCount(this.ledger),
    };
    return {
      state: {
        conversations: { ...this.state.conversations, [this.id]: conversation },
        ledgers: { ...this.state.ledgers, [this.id]: this.ledger },
        timelines: { ...this.state.timelines, [this.id]: this.timeline },
        reads: { ...this.state.reads, [this.id]: this.reads },
      },
      effects: this.effects,
    };
  }

  private newMessage(seq: number, message: Message): void {
    // A replay sends a message as it is now, and may leave out its edits and deletion: remember them, or
    // a history read that lags would bring the old body back.
    if (message.edited_at) this.timeline = patchMessage(this.timeline, message.id, contentAt(seq, message));
    this.timeline = receive(this.timeline, [message]);
    if (message.deleted) this.deleted(message.id, { seq, exact: false });
    const shown = shownIn(this.timeline, message);
    // A mention counts wherever it is, a reply in a thread too (the server counts every message after the
    // conversation's read marker that mentions me).
    if (shown.sender.id !== this.me && !shown.deleted && mentionsMe(shown, this.me, this.present)) {
      this.ledger = countMention(this.ledger, message.id, message.seq);
    }
    // A reply in a thread is counted as unread, and shown, by its thread, not by the main timeline.
    if (message.thread_root) return;
    if (shown.sender.id !== this.me && !shown.deleted) this.ledger = countUnread(this.ledger, message.id, message.seq);
    const c = this.conversation;
    if (!c.last_message || message.seq >= c.last_message.seq) {
      this.conversation = {
        ...c,
        last_message: shown,
        last_activity_at: message.created_at > c.last_activity_at ? message.created_at : c.last_activity_at,
      };
    }
  }

  private deleted(id: string, when: Deletion): void {
    const held = this.timeline.messages.find((m) => m.id === id);
    if (held?.thread_root) {
      this.ledger = uncountMention(this.ledger, id); // its thread counts it, not the conversation's unread count
      this.patch(id, deletion);
      return;
    }
    const known = held ?? (this.conversation.last_message?.id === id ? this.conversation.last_message : undefined);
    const sender = known && { seq: known.seq, mine: known.sender.id === this.me };
    const uncounted = uncountDeleted(this.ledger, id, sender, when);
    this.ledger = uncounted.ledger;
    if (!uncounted.exact) this.effects.push({ kind: "refresh", conversation: this.id });
    this.patch(id, deletion);
  }

  /** A member's account was erased: their reactions go and, unless the workspace keeps them, their messages
   * (every one held, the sidebar's last one too) as by a deletion each; the counts of messages this page
   * does not hold only REST can correct. Recorded on the timeline (`erased`), so that any copy read later,
   * a late `message.new` or a lagging history page, shows it too, and forwards of their messages
   * (`forwarded_from.sender_id`) name them as stored. Their new name is the store's (`renamed`), as for
   * `user.updated`. */
  private erased(seq: number, { id: user, display_name }: UserRef, blank: boolean): void {
    const last = this.conversation.last_message;
    if (blank) {
      // One held deleted already is uncounted by its own deletion, unless this page counted it (live) and then
      // read the deleted copy: the snapshot's count may or may not have held it.
      const counted = (id: string) => id in this.ledger.unread || id in this.ledger.mentions;
      const shownTheirs = (m: Message) => m.sender.id === user && m.seq < seq && (!m.deleted || counted(m.id));
      const theirs = new Set(this.timeline.messages.filter(shownTheirs).map((m) => m.id));
      if (last && shownTheirs(last)) theirs.add(last.id);
      for (const id of theirs) this.deleted(id, { seq, exact: true });
    }
    this.timeline = eraseUser(this.timeline, user, { seq, name: display_name, blank });
    const shown = this.conversation.last_message; // deleted above, if it was theirs
    if (shown) this.conversation = { ...this.conversation, last_message: shownIn(this.timeline, shown) };
    const snapshotCounts = this.ledger.myRead < this.ledger.snapshotMessageSeq;
    if (blank && snapshotCounts && (this.ledger.snapshotUnread > 0 || this.ledger.snapshotMentions > 0)) {
      this.effects.push({ kind: "refresh", conversation: this.id });
    }
  }

  private patch(id: string, change: Parameters<typeof patchMessage>[2]): void {
    this.timeline = patchMessage(this.timeline, id, change);
    const last = this.conversation.last_message;
    if (last?.id === id) this.conversation = { ...this.conversation, last_message: shownIn(this.timeline, last) };
  }

  private read(user: number, upTo: number): void {
    if ((this.reads[user] ?? 0) < upTo) this.reads = { ...this.reads, [user]: upTo };
    if (user !== this.me) return;
    const read = readTo(this.ledger, upTo);
    this.ledger = read.ledger;
    if (!read.exact) this.effects.push({ kind: "refresh", conversation: this.id });
  }

  private titled(seq: number, summary: ConversationSummary): void {
    if (seq <= this.ledger.metaSeq) return;
    this.ledger = { ...this.ledger, metaSeq: seq };
    const { title, is_public, pin_policy = this.conversation.pin_policy } = summary;
    const { all_mention_policy = this.conversation.all_mention_policy } = summary;
    this.conversation = { ...this.conversation, title, is_public, pin_policy, all_mention_policy };
  }

  private member(user: number, seq: number, state: "added" | "removed"): void {
    this.ledger = changeMember(this.ledger, user, seq, state);
    if (state === "added") this.ledger = changeRole(this.ledger, user, seq, "member"); // one joins as a member
    const present = memberNow(this.ledger, user);
    const members = this.conversation.members.filter((m) => m.id !== user);
    const listed = this.conversation.kind !== "channel"; // REST lists members of direct conversations and groups only
    if (present && listed) {
      const known = directory(this.state.conversations).get(user);
      if (known) members.push({ ...known, role: this.ledger.roles[user]?.role });
      else this.effects.push({ kind: "refresh", conversation: this.id });
    }
    this.conversation = { ...this.conversation, members };
  }

  /** A member's role changed (mine: what I may do here), unless a newer event already set it. */
  private role(user: number, seq: number, role: Role): void {
    this.ledger = changeRole(this.ledger, user, seq, role);
    const now = this.ledger.roles[user]?.role ?? role;
    const members = this.conversation.members.map((m) => (m.id === user ? { ...m, role: now } : m));
    this.conversation = { ...this.conversation, members, role: user === this.me ? now : this.conversation.role };
  }
}
