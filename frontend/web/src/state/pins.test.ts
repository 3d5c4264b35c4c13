import { describe, expect, it } from "vitest";
import type { PinEvent } from "../realtime/protocol";
import { conversation, msg } from "../test/fixtures";
import { applyEvent, withSnapshot } from "./events";
import { applyPin, fromRest, mayPin, originalPath, withMessage, withoutMessage, type Pinned } from "./pins";

const pin = (seq: number, message = msg(seq), user = 2): PinEvent => ({
  type: "pin",
  seq: 100 + seq,
  conversation: 1,
  message,
  message_id: message.id,
  user,
  state: "pinned",
});
const unpin = (seq: number): PinEvent => ({ ...pin(seq), message: null, state: "unpinned" });
const ids = (list: Pinned[]) => list.map((pinned) => pinned.message.id);

describe("the pinned list", () => {
  it("puts the newest pin first, pins a message once, and takes an unpinned one off", () => {
    let list = fromRest([{ message: msg(1), pinned_by: null, pinned_at: "2026-01-01T00:00:00Z" }]);
    list = applyPin(list, pin(2));
    list = applyPin(list, pin(3));
    list = applyPin(list, pin(2)); // pinned again (after an unpin elsewhere): first again, listed once
    expect(ids(list)).toEqual(["m2", "m3", "m1"]);
    expect(ids(applyPin(list, unpin(3)))).toEqual(["m2", "m1"]);
    expect(ids(applyPin(list, unpin(9)))).toEqual(["m2", "m3", "m1"]);
  });

  it("drops a message deleted since it was pinned, and shows an edit", () => {
    const list = applyPin(applyPin([], pin(1)), pin(2));
    expect(ids(withoutMessage(list, "m1"))).toEqual(["m2"]);
    expect(withoutMessage(list, "m7")).toBe(list);
    expect(withMessage(list, msg(2, { body: "edited" }))[0]?.message.body).toBe("edited");
    expect(ids(withMessage(list, msg(2, { deleted: true, body: "" })))).toEqual(["m1"]);
    expect(ids(applyPin([], pin(4, msg(4, { deleted: true }))))).toEqual([]); // a replay of a pin, deleted since
  });
});

describe("a pin event in the conversation's order", () => {
  it("moves the cursor once and leaves the messages as they are", () => {
    const start = withSnapshot({ conversations: {}, ledgers: {}, timelines: {}, reads: {} }, conversation(1, { last_seq: 5 }));
    const once = applyEvent(start, { ...pin(1), seq: 6 }, 1).state;
    expect(once.ledgers[1]?.cursor).toBe(6);
    expect(applyEvent(once, { ...pin(1), seq: 6 }, 1).state).toBe(once); // a replay of it changes nothing
    expect(once.timelines[1]?.messages ?? []).toEqual([]);
  });

  it("takes a new pin policy from conversation.updated", () => {
    const start = withSnapshot({ conversations: {}, ledgers: {}, timelines: {}, reads: {} }, conversation(1, { last_seq: 5 }));
    const summary = { id: 1, kind: "group" as const, title: "Group 1", is_public: false, pin_policy: "admins" as const };
    const { state } = applyEvent(start, { type: "conversation.updated", seq: 6, conversation: summary }, 1);
    expect(state.conversations[1]?.pin_policy).toBe("admins");
    expect(mayPin(state.conversations[1] as ReturnType<typeof conversation>)).toBe(false);
  });
});

describe("who may pin, and the link back of a forward", () => {
  it("lets every member pin unless the policy says owners and admins", () => {
    expect(mayPin({ pin_policy: "members", role: "member" })).toBe(true);
    expect(mayPin({ pin_policy: "admins", role: "member" })).toBe(false);
    expect(mayPin({ pin_policy: "admins", role: "admin" })).toBe(true);
    expect(mayPin({ pin_policy: "admins", role: "owner" })).toBe(true);
  });

  it("links back only into a conversation I am in, and never when the server left the original out", () => {
    const mine = (id: number) => id === 7;
    expect(originalPath({ message: "m1", conversation: 7, sender_name: "Ada" }, mine)).toBe("/c/7");
    expect(originalPath({ message: "m1", conversation: 8, sender_name: "Ada" }, mine)).toBeNull();
    expect(originalPath({ message: null, conversation: null, sender_name: "Ada" }, mine)).toBeNull();
  });
});
