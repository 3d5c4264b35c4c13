import { describe, expect, it } from "vitest";
import { me, msg } from "../test/fixtures";
import {
  addPending,
  emptyTimeline,
  firstNewMessage,
  mergeMessages,
  receive,
  setSendState,
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
