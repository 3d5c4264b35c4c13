import { describe, expect, it } from "vitest";
import { me, msg } from "../test/fixtures";
import {
  addPending,
  emptyTimeline,
  firstNewMessage,
  mergeMessages,
  receive,
  replyRunOf,
  setSendState,
  threadReplies,
  updateReactions,
  visibleMessages,
  type ChatMessage,
} from "./messages";

describe("mergeMessages", () => {
  it("orders by seq whatever the arrival order", () => {
    const merged = mergeMessages([], [msg(3), msg(1), msg(2)]);
    expect(merged.map((m) => m.seq)).toEqual([1, 2, 3]);
  });

  it("dedupes by id, the later copy winning", () => {
    const first = mergeMessages([], [msg(1), msg(2)]);
    const merged = mergeMessages(first, [msg(2, { body: "edited" }), msg(1)]);
    expect(merged).toHaveLength(2);
    expect(merged[1]?.body).toBe("edited");
  });

  it("keeps known reactions when a copy without them arrives", () => {
    const first = mergeMessages([], [msg(1, { reactions: [{ emoji: "👍", count: 1, users: [2] }] })]);
    expect(mergeMessages(first, [msg(1)])[0]?.reactions).toHaveLength(1);
  });

  it("handles older pages after newer messages (gaps in seq are fine)", () => {
    const live = mergeMessages([], [msg(50), msg(53)]);
    const merged = mergeMessages(live, [msg(49), msg(47), msg(48)]);
    expect(merged.map((m) => m.seq)).toEqual([47, 48, 49, 50, 53]);
  });
});

describe("optimistic send", () => {
  const pending = { ...msg(Number.MAX_SAFE_INTEGER, { id: "local-x", client_id: "x" }), state: "pending" as const };

  it("shows pending messages after the stored ones", () => {
    const t = addPending(receive(emptyTimeline(), [msg(1)]), pending);
    expect(visibleMessages(t).map((m) => m.state)).toEqual(["sent", "pending"]);
  });

  it("replaces the pending copy with the stored message by client_id", () => {
    const t = receive(addPending(emptyTimeline(), pending), [msg(7, { client_id: "x" })]);
    expect(t.outbox).toEqual([]);
    expect(visibleMessages(t).map((m) => m.id)).toEqual(["m7"]);
  });

  it("marks failed and back to pending, keeping the client_id", () => {
    let t = addPending(emptyTimeline(), pending);
    t = setSendState(t, "x", "failed", "unavailable");
    expect(t.outbox[0]).toMatchObject({ state: "failed", error: "unavailable", client_id: "x" });
    t = setSendState(t, "x", "pending");
    expect(t.outbox[0]).toMatchObject({ state: "pending", client_id: "x" });
  });
});

describe("updateReactions", () => {
  it("adds, counts and removes", () => {
    let r = updateReactions([], 1, "👍", "added");
    r = updateReactions(r, 2, "👍", "added");
    r = updateReactions(r, 2, "👍", "added");
    expect(r).toEqual([{ emoji: "👍", count: 2, users: [1, 2] }]);
    r = updateReactions(r, 1, "👍", "removed");
    r = updateReactions(r, 2, "👍", "removed");
    expect(r).toEqual([]);
  });
});

describe("the New messages line", () => {
  const shown = (seq: number, extra: Parameters<typeof msg>[1] = {}): ChatMessage => ({ ...msg(seq, extra), state: "sent" });
  const opening = { after: 1, upTo: 4 };

  it("goes above the first of others' messages after my read marker", () => {
    const messages = [shown(1), shown(2, { sender: { id: me.id, username: "ada", display_name: "" } }), shown(3), shown(4)];
    expect(firstNewMessage(messages, opening, me.id)?.seq).toBe(3);
  });

  it("skips a message deleted before I saw it: the line marks the first one still there", () => {
    const messages = [shown(1), shown(2, { deleted: true, body: "" }), shown(3), shown(4)];
    expect(firstNewMessage(messages, opening, me.id)?.seq).toBe(3);
  });

  it("is not shown when every new message was deleted", () => {
    const messages = [shown(1), shown(2, { deleted: true, body: "" }), shown(3, { deleted: true, body: "" }), shown(5)];
    expect(firstNewMessage(messages, opening, me.id)).toBeUndefined();
  });
});

describe("threadReplies", () => {
  const reply = (seq: number) => msg(seq, { thread_root: "m1" });
  const held = receive({ ...emptyTimeline(), loaded: true }, [msg(1), reply(3), reply(5), msg(6), reply(7), reply(9), msg(20, { thread_root: "m8" })]);
  const seqs = (list: ChatMessage[]) => list.map((m) => m.seq);

  it("shows the run read without a gap, and unsent replies only when it reaches the newest", () => {
    const pending = addPending(held, { ...reply(Number.MAX_SAFE_INTEGER), client_id: "local", state: "pending" });
    expect(seqs(threadReplies(pending, "m1"))).toEqual([3, 5, 7, 9, Number.MAX_SAFE_INTEGER]);
    expect(seqs(threadReplies(pending, "m1", { from: 5, newerAfter: 7 }))).toEqual([5, 7]);
    expect(seqs(threadReplies(pending, "m1", { from: 7, newerAfter: null }))).toEqual([7, 9, Number.MAX_SAFE_INTEGER]);
  });

  it("is not bounded by the conversation's own window (opened at a message)", () => {
    expect(seqs(threadReplies({ ...held, newerAfter: 6 }, "m1"))).toEqual([3, 5, 7, 9]);
  });

  it("starts a run from a page: from its oldest if older ones exist, to its newest if newer ones do", () => {
    expect(replyRunOf([9, 7, 5], true, true)).toEqual({ from: 5, newerAfter: 9 });
    expect(replyRunOf([9, 7, 5], false, false)).toEqual({ from: 0, newerAfter: null });
    expect(replyRunOf([], false, false)).toEqual({ from: 0, newerAfter: null });
  });
});
