import { describe, expect, it } from "vitest";
import type { FollowedThread, Message, ThreadSummary } from "../api/types";
import type { OrderedEvent } from "../realtime/protocol";
import { conversation, msg } from "../test/fixtures";
import { applyEvent, withSnapshot, type SyncState } from "./events";
import { emptyTimeline, lowestSeq, mainTimeline, newestReplySeq, receive, threadReplies } from "./messages";
import { followedFrom, threadChangeConcernsMe, unreadThreadsIn, withThreadRead } from "./threads";

const ME = 1;
const ROOT = "m10";

const summary = (reply_count: number, last_reply_seq: number, participants: number[]): ThreadSummary => ({
  reply_count,
  last_reply_at: `2026-01-01T00:00:${last_reply_seq}Z`,
  last_reply_seq,
  participants,
});

const reply = (seq: number, extra: Partial<Message> = {}): Message => msg(seq, { thread_root: ROOT, ...extra });

function known(history: Message[]): SyncState {
  const state = withSnapshot(
    { conversations: {}, ledgers: {}, timelines: {}, reads: {} },
    conversation(1, { last_seq: 10, last_read_seq: 10, last_message: msg(10) }),
  );
  return { ...state, timelines: { 1: receive({ ...emptyTimeline(), loaded: true }, history) } };
}

function run(state: SyncState, events: OrderedEvent[]): SyncState {
  for (const event of events) state = applyEvent(state, event, ME).state;
  return state;
}

const threadUpdated = (seq: number, thread: ThreadSummary | null): OrderedEvent => ({
  type: "thread.updated",
  seq,
  conversation: 1,
  root: ROOT,
  thread,
});

describe("replies in threads", () => {
  it("stay out of the main timeline, its unread count and its last message", () => {
    const state = run(known([msg(10)]), [
      { type: "message.new", seq: 11, message: reply(11) },
      { type: "message.new", seq: 12, message: reply(12) },
    ]);
    const timeline = state.timelines[1] ?? emptyTimeline();
    expect(mainTimeline(timeline).map((m) => m.seq)).toEqual([10]);
    expect(threadReplies(timeline, ROOT).map((m) => m.seq)).toEqual([11, 12]);
    expect(newestReplySeq(timeline, ROOT)).toBe(12);
    expect(state.conversations[1]).toMatchObject({ unread_count: 0, last_message: { id: ROOT }, last_seq: 12 });
  });

  it("do not move where older main history is read from", () => {
    const timeline = receive({ ...emptyTimeline(), loaded: true }, [reply(3), msg(10), msg(11)]);
    expect(lowestSeq(timeline)).toBe(10);
  });

  it("a deleted reply leaves the conversation's unread count alone", () => {
    const start = run(known([msg(10)]), [
      { type: "message.new", seq: 11, message: reply(11) },
      { type: "message.new", seq: 12, message: msg(12) },
    ]);
    const state = run(start, [{ type: "message.deleted", seq: 13, conversation: 1, id: "m11", by_moderator: false }]);
    expect(state.conversations[1]?.unread_count).toBe(1);
    expect(state.timelines[1]?.messages.find((m) => m.id === "m11")?.deleted).toBe(true);
  });
});

describe("thread summaries", () => {
  it("show on the root, the newest event's whatever order they arrive in", () => {
    const state = run(known([msg(10)]), [threadUpdated(14, summary(2, 13, [3, 2])), threadUpdated(12, summary(1, 11, [2]))]);
    expect(state.timelines[1]?.messages[0]?.thread).toEqual(summary(2, 13, [3, 2]));
  });

  it("correct a copy of the root that history brings later, lagging the events", () => {
    const state = run(known([]), [threadUpdated(12, summary(1, 11, [2]))]);
    const timeline = receive(state.timelines[1] ?? emptyTimeline(), [msg(10)]);
    expect(timeline.messages[0]?.thread).toEqual(summary(1, 11, [2]));
  });

  it("survive an edit of the root", () => {
    const edited = { ...msg(10), body: "edited", edited_at: "2026-01-01T00:01:00Z" };
    const state = run(known([msg(10)]), [
      threadUpdated(12, summary(1, 11, [2])),
      { type: "message.updated", seq: 13, conversation: 1, message: edited },
    ]);
    expect(state.timelines[1]?.messages[0]).toMatchObject({ body: "edited", thread: summary(1, 11, [2]) });
  });
});

describe("followed threads", () => {
  const followed = (root: Message, unread_count: number, last_read_seq = 0): FollowedThread => ({
    root,
    unread_count,
    last_read_seq,
  });
  const list = followedFrom([
    followed({ ...msg(10), thread: summary(2, 12, [2]) }, 2),
    followed({ ...msg(20), thread: summary(1, 21, [2]) }, 0, 21),
    followed({ ...msg(30), conversation: 2, thread: summary(1, 31, [2]) }, 1),
  ]);

  it("count a conversation's threads with unread replies", () => {
    expect(unreadThreadsIn(list, 1)).toBe(1);
    expect(unreadThreadsIn(list, 2)).toBe(1);
    expect(unreadThreadsIn(list, 3)).toBe(0);
  });

  it("are read up to a reply, and never back", () => {
    const read = withThreadRead(list, "m10", 12);
    expect(read.m10).toMatchObject({ unread_count: 0, last_read_seq: 12 });
    expect(unreadThreadsIn(read, 1)).toBe(0);
    expect(withThreadRead(read, "m10", 11)).toBe(read);
    expect(withThreadRead(list, "unknown", 5)).toBe(list);
  });

  it("are read again only when a summary concerns me", () => {
    const concerns = (root: string, s: ThreadSummary | null, rootIsMine = false) =>
      threadChangeConcernsMe(list, { root, summary: s, rootIsMine }, ME);
    expect(concerns("m20", summary(2, 25, [2]))).toBe(true); // a new reply by someone else in a thread I follow
    expect(concerns("m20", summary(2, 25, [ME, 2]))).toBe(false); // my own reply
    expect(concerns("m20", summary(1, 21, [2]))).toBe(false); // nothing newer than what I read
    expect(concerns("m99", summary(1, 40, [ME]))).toBe(true); // I replied: now I follow it
    expect(concerns("m99", summary(1, 40, [2]), true)).toBe(true); // a reply to my message
    expect(concerns("m99", summary(1, 40, [2]))).toBe(false); // someone else's thread
    expect(concerns("m10", null)).toBe(true); // its last reply was deleted
  });
});
