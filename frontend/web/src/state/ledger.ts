// Per conversation, what the store needs to apply its events exactly once and keep the sidebar's counts
// exact without reloading them: the cursor, the seqs applied, and what the unread count and member count
// were built from. Pure functions; docs/web.md explains the rules.
import type { Conversation, Role } from "../api/types";

export type MemberState = "added" | "removed";

/** A member's membership events since the snapshot: the first tells what they were at the snapshot, the
 * last what they are now, whatever order the events arrived in. */
export interface MemberChange {
  firstSeq: number;
  first: MemberState;
  lastSeq: number;
  last: MemberState;
}

export interface Ledger {
  /** The highest seq applied: what `sync` continues from. */
  cursor: number;
  /** Every seq at or below it is applied (or superseded); above it, `recent` lists those that are. */
  floor: number;
  /** Seqs above `floor` applied, ascending (at most RECENT_LIMIT): an event delivered late is still new. */
  recent: number[];
  /** The snapshot (REST) the counts start from: the newest event it reflects, its newest message's seq,
   * its unread count and member count. */
  snapshotSeq: number;
  snapshotMessageSeq: number;
  snapshotUnread: number;
  snapshotMemberCount: number;
  /** Others' messages newer than the snapshot, not deleted, not read yet: id → seq. */
  unread: Record<string, number>;
  /** The snapshot's count of unread messages mentioning me, and such messages since: id → seq. */
  snapshotMentions: number;
  mentions: Record<string, number>;
  /** Messages the snapshot counted as unread whose deletion has been taken off its count. */
  uncounted: string[];
  /** A replay's copy of a message said it is deleted, without saying when: until the sync is done (the
   * deletion is then at or below the cursor), a REST copy cannot be known to reflect it. */
  replayedDeletion: boolean;
  /** My read marker. */
  myRead: number;
  /** The seq of the newest event that set the title. */
  metaSeq: number;
  memberChanges: Record<number, MemberChange>;
  /** Members' roles set by events since the snapshot (a role change, or joining as a member), and the seq of
   * the newest such event of each: an older one arriving late does not undo it. */
  roles: Record<number, RoleChange>;
}

export interface RoleChange {
  seq: number;
  role: Role;
}

export const RECENT_LIMIT = 512;

/** A conversation as REST gives it (its `last_seq` is the newest event it reflects): the cursor to
 * `sync` it from, and the counts to continue. */
export function snapshotLedger(conversation: Conversation): Ledger {
  return {
    cursor: conversation.last_seq,
    floor: conversation.last_seq,
    recent: [],
    snapshotSeq: conversation.last_seq,
    snapshotMessageSeq: conversation.last_message?.seq ?? 0,
    snapshotUnread: conversation.unread_count,
    snapshotMemberCount: conversation.member_count,
    unread: {},
    snapshotMentions: conversation.unread_mentions ?? 0,
    mentions: {},
    uncounted: [],
    replayedDeletion: false,
    myRead: conversation.last_read_seq,
    metaSeq: conversation.last_seq,
    memberChanges: {},
    roles: {},
  };
}

export function isApplied(ledger: Ledger, seq: number): boolean {
  return seq <= ledger.floor || ledger.recent.includes(seq);
}

export function markApplied(ledger: Ledger, seq: number): Ledger {
  if (isApplied(ledger, seq)) return ledger;
  const recent = [...ledger.recent, seq].sort((a, b) => a - b);
  const floor = recent.length > RECENT_LIMIT ? (recent.shift() ?? ledger.floor) : ledger.floor;
  return { ...ledger, recent, floor, cursor: Math.max(ledger.cursor, seq) };
}

/** `sync.done`: the server has sent everything up to `cursor` (events it left out were superseded). */
export function syncedTo(ledger: Ledger, cursor: number): Ledger {
  if (cursor <= ledger.floor) return ledger.replayedDeletion ? { ...ledger, replayedDeletion: false } : ledger;
  return {
    ...ledger,
    replayedDeletion: false,
    floor: cursor,
    recent: ledger.recent.filter((seq) => seq > cursor),
    cursor: Math.max(ledger.cursor, cursor),
  };
}

export function unreadCount(ledger: Ledger): number {
  const fromSnapshot = ledger.myRead >= ledger.snapshotMessageSeq ? 0 : ledger.snapshotUnread;
  return fromSnapshot + Object.keys(ledger.unread).length;
}

/** Unread messages that mention me: the snapshot's until the marker passes its newest message, and those since. */
export function mentionCount(ledger: Ledger): number {
  const fromSnapshot = ledger.myRead >= ledger.snapshotMessageSeq ? 0 : ledger.snapshotMentions;
  return fromSnapshot + Object.keys(ledger.mentions).length;
}

/** Another member's message newer than the snapshot that mentions me: counted until the marker passes it. */
export function countMention(ledger: Ledger, id: string, seq: number): Ledger {
  if (seq <= ledger.snapshotMessageSeq || seq <= ledger.myRead || id in ledger.mentions) return ledger;
  return { ...ledger, mentions: { ...ledger.mentions, [id]: seq } };
}

/** A message that mentioned me is gone (deleted). */
export function uncountMention(ledger: Ledger, id: string): Ledger {
  if (!(id in ledger.mentions)) return ledger;
  return { ...ledger, mentions: Object.fromEntries(Object.entries(ledger.mentions).filter(([key]) => key !== id)) };
}

/** Another member's message newer than the snapshot: unread until the marker passes it. */
export function countUnread(ledger: Ledger, id: string, seq: number): Ledger {
  if (seq <= ledger.snapshotMessageSeq || seq <= ledger.myRead || id in ledger.unread) return ledger;
  return { ...ledger, unread: { ...ledger.unread, [id]: seq } };
}

/** My marker moved. `exact` is false when it stopped among the snapshot's unread messages, which the
 * snapshot counted but did not list: only the server can say how many remain. */
export function readTo(ledger: Ledger, upTo: number): { ledger: Ledger; exact: boolean } {
  if (upTo <= ledger.myRead) return { ledger, exact: true };
  const unread = Object.fromEntries(Object.entries(ledger.unread).filter(([, seq]) => seq > upTo));
  const mentions = Object.fromEntries(Object.entries(ledger.mentions).filter(([, seq]) => seq > upTo));
  const exact = upTo >= ledger.snapshotMessageSeq || (ledger.snapshotUnread === 0 && ledger.snapshotMentions === 0);
  return { ledger: { ...ledger, myRead: upTo, unread, mentions }, exact };
}

/**
 * When a message was deleted, as far as the client can tell: at `seq` (the deletion event), or after it
 * (`exact` false: a replay's copy of the message as it is now, sent by the event `seq`, says it is deleted).
 */
export interface Deletion {
  seq: number;
  exact: boolean;
}

/**
 * A message was deleted: it no longer counts as unread, once. `known` is its seq and sender when the store
 * holds a copy. The snapshot's count already reflects a deletion older than the snapshot; when that, or
 * whether the snapshot counted the message at all, cannot be told, the answer is not exact (ask REST).
 */
export function uncountDeleted(
  ledger: Ledger,
  id: string,
  known: { seq: number; mine: boolean } | undefined,
  when: Deletion,
): { ledger: Ledger; exact: boolean } {
  if (when.exact && when.seq <= ledger.snapshotSeq) return { ledger, exact: true };
  if (!when.exact && !ledger.replayedDeletion) ledger = { ...ledger, replayedDeletion: true };
  ledger = uncountMention(ledger, id);
  if (id in ledger.unread) {
    const unread = Object.fromEntries(Object.entries(ledger.unread).filter(([key]) => key !== id));
    return { ledger: { ...ledger, unread }, exact: true };
  }
  const snapshotCounts = ledger.snapshotUnread > 0 && ledger.myRead < ledger.snapshotMessageSeq;
  if (!snapshotCounts || ledger.uncounted.includes(id)) return { ledger, exact: true };
  if (!known) return { ledger, exact: false };
  const counted = !known.mine && known.seq > ledger.myRead && known.seq <= ledger.snapshotMessageSeq;
  if (!counted) return { ledger, exact: true };
  if (!when.exact && when.seq < ledger.snapshotSeq) return { ledger, exact: false }; // before or after it?
  return {
    ledger: { ...ledger, snapshotUnread: ledger.snapshotUnread - 1, uncounted: [...ledger.uncounted, id] },
    exact: true,
  };
}

export function changeMember(ledger: Ledger, user: number, seq: number, state: MemberState): Ledger {
  const known = ledger.memberChanges[user];
  const change: MemberChange = known
    ? {
        firstSeq: Math.min(known.firstSeq, seq),
        first: seq < known.firstSeq ? state : known.first,
        lastSeq: Math.max(known.lastSeq, seq),
        last: seq > known.lastSeq ? state : known.last,
      }
    : { firstSeq: seq, first: state, lastSeq: seq, last: state };
  return { ...ledger, memberChanges: { ...ledger.memberChanges, [user]: change } };
}

/** A member's role set by the event `seq`, unless a newer event set it already. */
export function changeRole(ledger: Ledger, user: number, seq: number, role: Role): Ledger {
  if ((ledger.roles[user]?.seq ?? 0) >= seq) return ledger;
  return { ...ledger, roles: { ...ledger.roles, [user]: { seq, role } } };
}

/** A member's role by the events newer than `asOf` (the newest event a REST copy reflects), if one set it. */
export function roleSince(ledger: Ledger, user: number, asOf: number): Role | undefined {
  const change = ledger.roles[user];
  return change && change.seq > asOf ? change.role : undefined;
}

/** Whether the user is a member now by the events, or undefined when no event said. */
export function memberNow(ledger: Ledger, user: number): boolean | undefined {
  const change = ledger.memberChanges[user];
  return change && change.last === "added";
}

/** The snapshot's member count moved by every member's events: one who was added (first) was not a member
 * at the snapshot; one who was removed (first) was. */
export function memberCount(ledger: Ledger): number {
  let count = ledger.snapshotMemberCount;
  for (const change of Object.values(ledger.memberChanges)) {
    count += (change.last === "added" ? 1 : 0) - (change.first === "added" ? 0 : 1);
  }
  return count;
}

/** Whether a REST copy reflects everything the events told: it is at least as new as the cursor, and no
 * deletion a replay told of may be newer than it. */
export function reflectsEvents(ledger: Ledger, fresh: Conversation): boolean {
  return fresh.last_seq >= ledger.cursor && !ledger.replayedDeletion;
}

/**
 * The unread count read again from REST, after a marker stopped among, or a deletion hit, messages the
 * snapshot counted without listing. Only a copy that reflects the events applied can say: the events after
 * it are still to come and are counted on top; an older one (REST lagging the socket) is not used.
 */
export function rebaseUnread(ledger: Ledger, fresh: Conversation): Ledger {
  if (!reflectsEvents(ledger, fresh)) return ledger;
  const freshMessageSeq = fresh.last_message?.seq ?? 0;
  const myRead = Math.max(ledger.myRead, fresh.last_read_seq);
  const unread = Object.fromEntries(
    Object.entries(ledger.unread).filter(([, seq]) => seq > freshMessageSeq && seq > myRead),
  );
  const mentions = Object.fromEntries(
    Object.entries(ledger.mentions).filter(([, seq]) => seq > freshMessageSeq && seq > myRead),
  );
  return {
    ...ledger,
    snapshotSeq: fresh.last_seq,
    snapshotMessageSeq: freshMessageSeq,
    snapshotUnread: fresh.unread_count,
    snapshotMentions: fresh.unread_mentions ?? 0,
    myRead,
    unread,
    mentions,
    uncounted: [],
  };
}
