// The threads I follow (docs/web.md, "Threads"): what GET /threads/ said, kept right between reads by what
// this tab does (reading a thread, following it) and by the summaries `thread.updated` events bring. Pure.
import type { FollowedThread, ThreadSummary } from "../api/types";

/** Root id → the thread I follow. */
export type Followed = Record<string, FollowedThread>;

export function followedFrom(threads: FollowedThread[]): Followed {
  return Object.fromEntries(threads.map((thread) => [thread.root.id, thread]));
}

/** How many threads of a conversation have replies I have not read. */
export function unreadThreadsIn(followed: Followed, conversation: number): number {
  return Object.values(followed).filter((t) => t.root.conversation === conversation && t.unread_count > 0).length;
}

/** I read a thread up to `seq`: nothing in it is unread any more. */
export function withThreadRead(followed: Followed, root: string, seq: number): Followed {
  const thread = followed[root];
  if (!thread || (thread.unread_count === 0 && thread.last_read_seq >= seq)) return followed;
  return { ...followed, [root]: { ...thread, unread_count: 0, last_read_seq: Math.max(seq, thread.last_read_seq) } };
}

/** I no longer follow a thread: it leaves my threads, and its unread replies with it. */
export function withoutThread(followed: Followed, root: string): Followed {
  return Object.fromEntries(Object.entries(followed).filter(([id]) => id !== root));
}

/** A thread's summary moved (`thread.updated`). Whether the list must be read again: a thread I follow has
 * a reply I have not read, or one I take part in (my message is its root, or I replied: that follows it)
 * is not listed yet. */
export function threadChangeConcernsMe(
  followed: Followed,
  change: { root: string; summary: ThreadSummary | null; rootIsMine: boolean },
  me: number,
): boolean {
  const { root, summary } = change;
  if (!summary) return root in followed;
  const thread = followed[root];
  if (!thread) return change.rootIsMine || summary.participants.includes(me);
  return summary.last_reply_seq > thread.last_read_seq && summary.participants[0] !== me;
}
