import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ApiError } from "../api/client";
import type { Endpoints } from "../api/endpoints";
import type { Conversation, Me, Message } from "../api/types";
import type { ClientFrame, OrderedEvent, ServerFrame } from "../realtime/protocol";
import type { StatusInfo } from "../realtime/socket";
import { conversation, me, msg } from "../test/fixtures";
import { DRAFT_WRITE_DELAY_MS } from "./drafts";
import { memoryStore, type LocalStore } from "./persist";
import { ChatStore, presenceOf, sortConversations, type SocketPort } from "./store";
import { emptyTimeline, mainTimeline, threadReplies, visibleMessages } from "./messages";
import { unreadThreadsIn } from "./threads";
import { totalAttention } from "../lib/attention";

class FakeSocket implements SocketPort {
  status: StatusInfo = { status: "idle", attempt: 0, retryAt: null };
  open = true;
  sent: ClientFrame[] = [];
  private frameListener: ((frame: ServerFrame) => void) | null = null;
  private statusListener: ((info: StatusInfo) => void) | null = null;
  send(frame: ClientFrame) {
    if (this.open) this.sent.push(frame);
    return this.open;
  }
  onFrame(listener: (frame: ServerFrame) => void) {
    this.frameListener = listener;
    return () => undefined;
  }
  onStatus(listener: (info: StatusInfo) => void) {
    this.statusListener = listener;
    return () => undefined;
  }
  start() {}
  stop() {}
  emit(frame: ServerFrame) {
    this.frameListener?.(frame);
  }
  setStatus(status: StatusInfo["status"]) {
    this.status = { status, attempt: 0, retryAt: null };
    this.statusListener?.(this.status);
  }
  /** A reconnect: syncing, the replay, then sync.done (as ChatSocket drives it). */
  resync(events: OrderedEvent[], cursors: Record<string, number>) {
    this.setStatus("syncing");
    for (const event of events) this.emit(event);
    this.emit({ type: "sync.done", conversations: cursors, more: false });
    this.setStatus("online");
  }
  sends() {
    return this.sent.filter((f) => f.type === "message.send");
  }
}

interface Options {
  conversations?: Conversation[];
  local?: LocalStore;
  user?: Me;
  /** The page is visible and focused. */
  looking?: boolean;
}

async function setup({
  conversations = [conversation(1, { last_seq: 2 })],
  local = memoryStore(),
  user = me,
  looking = true,
}: Options = {}) {
  const socket = new FakeSocket();
  let n = 0;
  const http = {
    conversations: vi.fn(async () => ({ count: conversations.length, next: null, previous: null, results: conversations })),
    messages: vi.fn(async () => ({ results: [msg(2), msg(1)], has_more: false })),
    conversation: vi.fn(async (id: number) => conversation(id)),
    markRead: vi.fn(async () => undefined),
    followedThreads: vi.fn(async () => ({ count: 0, next: null, previous: null, results: [] })),
    thread: vi.fn(async () => ({ root: msg(2), results: [], has_more: false, following: null, last_read_seq: 0 })),
    markThreadRead: vi.fn(async () => undefined),
    notificationSettings: vi.fn(async () => ({ direct: "all", group: "all", channel: "mentions" })),
    usersByIds: vi.fn(async (ids: number[]) => ({
      count: ids.length,
      next: null,
      previous: null,
      results: ids.filter((id) => id < 100).map((id) => ({ id, username: `user${id}`, display_name: `User ${id}` })),
    })),
  } as unknown as Endpoints;
  const store = new ChatStore({
    http,
    socket,
    local: Promise.resolve(local),
    uuid: () => `client-${++n}`,
    isVisible: () => true,
    isLooking: () => looking,
    ackTimeoutMs: 1000,
    resendDelayMs: 300,
  });
  await store.start(user);
  return { store, socket, http, local };
}

/** A send goes on the socket once its outbox record is written (a write of its own): let it finish. */
const written = () => vi.advanceTimersByTimeAsync(0);

const mine = (seq: number, clientId: string, extra: Partial<Message> = {}) =>
  msg(seq, { client_id: clientId, sender: { id: 1, username: "ada", display_name: "Ada" }, ...extra });
const isNew = (seq: number, extra: Partial<Message> = {}): OrderedEvent => ({
  type: "message.new",
  seq,
  message: msg(seq, extra),
});

describe("ChatStore", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("syncs from the REST list's last_seq, then from the highest seq applied or confirmed", async () => {
    const { store, socket } = await setup({
      conversations: [
        conversation(1, { last_seq: 2, last_activity_at: "2026-01-01T00:00:05Z" }),
        conversation(2, { last_seq: 9 }),
      ],
    });
    expect(store.since()).toEqual([
      ["1", 2],
      ["2", 9],
    ]);
    socket.emit(isNew(5, { conversation: 2 })); // at or below the cursor: already applied
    expect(Object.fromEntries(store.since())).toEqual({ "1": 2, "2": 9 });
    socket.emit(isNew(10, { id: "m10", conversation: 2 }));
    socket.emit({ type: "sync.done", conversations: { "1": 7 }, more: true });
    expect(store.since()).toEqual([
      ["2", 10], // the most recently active first: `sync` names at most 1,000
      ["1", 7],
    ]);
  });

  it("shows a message as pending, then settles it on ack without duplicating message.new", async () => {
    const { store, socket } = await setup();
    await store.open(1);
    const clientId = store.send(1, "hello");
    await written();
    expect(socket.sent.at(-1)).toMatchObject({ type: "message.send", client_id: clientId, body: "hello" });
    expect(store.getState().timelines[1]?.outbox[0]?.state).toBe("pending");
    socket.emit({ type: "message.ack", client_id: clientId, message: mine(3, clientId) });
    socket.emit({ type: "message.new", seq: 3, message: mine(3, clientId) });
    const t = store.getState().timelines[1];
    expect(t?.outbox).toEqual([]);
    expect(t?.messages.map((m) => m.seq)).toEqual([1, 2, 3]);
    expect(store.getState().conversations[1]).toMatchObject({ last_seq: 3, unread_count: 0 });
  });

  it("puts a message on the socket once the outbox on disk holds it, and takes its draft out in that write", async () => {
    const local = memoryStore();
    let finishWrite: () => void = () => undefined;
    const slowDisk: LocalStore = {
      ...local,
      putOutbox: (record, options) =>
        new Promise((resolve) => (finishWrite = () => resolve(local.putOutbox(record, options)))),
    };
    const { store, socket } = await setup({ local: slowDisk });
    store.drafts.set(1, "hello");
    await vi.advanceTimersByTimeAsync(DRAFT_WRITE_DELAY_MS);
    const texts = async () => (await local.drafts(me.id)).map((d) => d.text);
    expect(await texts()).toEqual(["hello"]);

    const clientId = store.send(1, "hello", { fromDraft: true });
    await written();
    expect(store.drafts.get(1)).toBe("");
    // a reload now would find the draft and nothing sent
    expect(socket.sends()).toEqual([]);
    expect(await texts()).toEqual(["hello"]);

    finishWrite();
    await written();
    expect(socket.sends()).toEqual([expect.objectContaining({ client_id: clientId, body: "hello" })]);
    expect(await texts()).toEqual([]);
    expect((await local.outbox(me.id)).map((r) => r.body)).toEqual(["hello"]);
  });

  it("sends again shortly, with the same client_id, what the server could not take (unavailable, rate limited)", async () => {
    const { store, socket } = await setup();
    const clientId = store.send(1, "hello");
    await written();
    socket.emit({ type: "error", code: "unavailable", detail: "try again", ref: clientId });
    expect(store.getState().timelines[1]?.outbox[0]?.state).toBe("pending");
    await vi.advanceTimersByTimeAsync(300);
    socket.emit({ type: "error", code: "rate_limited", detail: "slow down", ref: clientId });
    await vi.advanceTimersByTimeAsync(300);
    expect(socket.sends().map((f) => f.type === "message.send" && f.client_id)).toEqual([clientId, clientId, clientId]);
    expect(store.getState().timelines[1]?.outbox[0]?.state).toBe("pending");
  });

  it("sends a conversation's messages one at a time, so one the server takes later is not overtaken", async () => {
    const { store, socket } = await setup();
    await store.open(1);
    const first = store.send(1, "one");
    const second = store.send(1, "two");
    const third = store.send(1, "three");
    const other = store.send(2, "elsewhere");
    await written();
    const sent = () => socket.sends().map((f) => f.type === "message.send" && f.client_id);
    expect(sent()).toEqual([first, other]); // each conversation's first; the others wait their turn
    socket.emit({ type: "error", code: "rate_limited", detail: "slow down", ref: first });
    await vi.advanceTimersByTimeAsync(299);
    expect(sent()).toEqual([first, other]); // "two" does not go ahead of it
    await vi.advanceTimersByTimeAsync(1);
    expect(sent()).toEqual([first, other, first]);
    socket.emit({ type: "message.ack", client_id: first, message: mine(3, first, { body: "one" }) });
    expect(sent()).toEqual([first, other, first, second]);
    socket.emit({ type: "error", code: "invalid", detail: "body: too long", ref: second });
    expect(sent()).toEqual([first, other, first, second, third]); // refused for good: the next one goes
    socket.emit({ type: "message.ack", client_id: third, message: mine(4, third, { body: "three" }) });
    const shown = visibleMessages(store.getState().timelines[1] ?? emptyTimeline());
    expect(shown.map((m) => [m.body, m.state])).toEqual([
      ["message 1", "sent"],
      ["message 2", "sent"],
      ["one", "sent"],
      ["three", "sent"],
      ["two", "failed"],
    ]);
  });

  it("tells who edits, deletes or reacts why the server refused it, and at once when offline", async () => {
    const { store, socket } = await setup();
    await store.open(1);
    const edit = store.edit("m2", "hijack");
    const frame = socket.sent.at(-1);
    expect(frame).toMatchObject({ type: "message.edit", message: "m2", body: "hijack" });
    const ref = frame && "client_id" in frame ? frame.client_id : undefined;
    socket.emit({ type: "error", code: "forbidden", detail: "You can only edit your own messages.", ref: ref ?? null });
    await expect(edit).rejects.toThrow("You can only edit your own messages.");

    const reaction = store.react({ ...msg(2), state: "sent" }, "🎉");
    const reactionFrame = socket.sent.at(-1);
    const reactionRef = reactionFrame && "client_id" in reactionFrame ? reactionFrame.client_id : undefined;
    socket.emit({ type: "error", code: "rate_limited", detail: "Too many frames; retry in 0.2 s.", ref: reactionRef ?? null });
    await expect(reaction).rejects.toThrow("too many changes at once");

    const accepted = store.remove("m1");
    await vi.advanceTimersByTimeAsync(1000); // no refusal within the ack's time
    await expect(accepted).resolves.toBeUndefined();

    socket.open = false;
    await expect(store.remove("m1")).rejects.toThrow("you are offline");
  });

  it("marks a send the server refused failed, and retries it with the same client_id", async () => {
    const { store, socket } = await setup();
    const clientId = store.send(1, "hello");
    await written();
    socket.emit({ type: "error", code: "invalid", detail: "body: too long", ref: clientId });
    expect(store.getState().timelines[1]?.outbox[0]).toMatchObject({ state: "failed", error: "body: too long" });
    await vi.advanceTimersByTimeAsync(5000);
    expect(socket.sends()).toHaveLength(1); // not by itself
    store.retry(1, clientId);
    expect(socket.sends()[1]).toMatchObject({ client_id: clientId });
    expect(store.getState().timelines[1]?.outbox[0]?.state).toBe("pending");
  });

  it("says plainly why a send with @all was refused, where only admins may use it", async () => {
    const { store, socket } = await setup();
    const clientId = store.send(1, "@all lunch?");
    await written();
    socket.emit({ type: "error", code: "mention_not_allowed", detail: "mention_not_allowed", ref: clientId });
    expect(store.getState().timelines[1]?.outbox[0]).toMatchObject({
      state: "failed",
      error: "only owners and admins may use @all or @here in this conversation",
    });
  });

  it("marks a send failed when no ack comes (conflict waits), and sends it again after a reconnect", async () => {
    const { store, socket } = await setup();
    const clientId = store.send(1, "hello");
    await written();
    socket.emit({ type: "error", code: "conflict", detail: "in flight", ref: clientId });
    expect(store.getState().timelines[1]?.outbox[0]?.state).toBe("pending");
    vi.advanceTimersByTime(1000);
    expect(store.getState().timelines[1]?.outbox[0]).toMatchObject({ state: "failed", error: "No answer from the server" });
    socket.resync([], { "1": 2 });
    expect(socket.sends()).toHaveLength(2);
    expect(store.getState().timelines[1]?.outbox[0]?.state).toBe("pending");
  });

  it("keeps a message written offline pending and sends it after the sync", async () => {
    const { store, socket } = await setup();
    await store.open(1);
    socket.open = false;
    const clientId = store.send(1, "offline hello");
    await vi.advanceTimersByTimeAsync(5000);
    expect(store.getState().timelines[1]?.outbox[0]?.state).toBe("pending");
    socket.open = true;
    socket.resync([], { "1": 2 });
    expect(socket.sends()).toEqual([expect.objectContaining({ client_id: clientId, body: "offline hello" })]);
  });

  it("brings the outbox back after a reload: pending ones sent again with their client_id, refused ones failed", async () => {
    const local = memoryStore();
    const first = await setup({ local });
    first.socket.open = false;
    const pending = first.store.send(1, "written offline");
    const refused = first.store.send(1, "refused");
    first.socket.emit({ type: "error", code: "forbidden", detail: "Not allowed", ref: refused });
    const acked = first.store.send(1, "acknowledged");
    first.socket.emit({ type: "message.ack", client_id: acked, message: mine(3, acked) });
    await vi.advanceTimersByTimeAsync(0);
    first.store.stop();

    // the page is loaded again
    const second = await setup({ local });
    const outbox = second.store.getState().timelines[1]?.outbox ?? [];
    expect(outbox.map((m) => [m.client_id, m.body, m.state])).toEqual([
      [pending, "written offline", "pending"],
      [refused, "refused", "failed"],
    ]);
    expect(outbox[1]?.error).toBe("Not allowed");
    expect(second.socket.sends()).toEqual([]); // not before the sync
    second.socket.resync([], { "1": 2 });
    expect(second.socket.sends()).toEqual([expect.objectContaining({ client_id: pending, body: "written offline" })]);

    // acknowledged at last: gone from storage too
    second.socket.emit({ type: "message.ack", client_id: pending, message: mine(4, pending) });
    await vi.advanceTimersByTimeAsync(0);
    expect((await local.outbox(me.id)).map((r) => r.client_id)).toEqual([refused]);
    second.store.discard(1, refused);
    await vi.advanceTimersByTimeAsync(0);
    expect(await local.outbox(me.id)).toEqual([]);
  });

  it("settles an unsent message that a replay shows stored (sent before a crash), and never sends it again", async () => {
    const local = memoryStore();
    const first = await setup({ local });
    const clientId = first.store.send(1, "sent, ack lost");
    first.store.stop();
    const second = await setup({ local });
    second.socket.resync([{ type: "message.new", seq: 3, message: mine(3, clientId, { body: "sent, ack lost" }) }], { "1": 3 });
    expect(second.store.getState().timelines[1]?.outbox).toEqual([]);
    expect(second.socket.sends()).toEqual([]);
    await vi.advanceTimersByTimeAsync(0);
    expect(await local.outbox(me.id)).toEqual([]);
  });

  it("keeps each user's outbox apart", async () => {
    const local = memoryStore();
    const ada = await setup({ local });
    ada.socket.open = false;
    ada.store.send(1, "Ada's");
    await vi.advanceTimersByTimeAsync(0);
    const bob = await setup({ local, user: { ...me, id: 2, username: "bob" } });
    expect(bob.store.getState().timelines[1]?.outbox ?? []).toEqual([]);
  });

  it("converges every conversation on a reconnect from the replay, with no history reload", async () => {
    const { store, socket, http } = await setup({
      conversations: [
        conversation(1, { last_seq: 2, last_message: msg(2) }),
        conversation(2, { last_seq: 5, title: "Old", unread_count: 1, last_read_seq: 4, last_message: msg(5, { conversation: 2 }) }),
      ],
    });
    await store.open(1);
    const loads = vi.mocked(http.messages).mock.calls.length;
    socket.resync(
      [
        { type: "message.updated", seq: 3, conversation: 1, message: msg(1, { body: "edited" }) },
        { type: "message.deleted", seq: 4, conversation: 1, id: "m2", by_moderator: true },
        { type: "conversation.updated", seq: 6, conversation: { id: 2, kind: "group", title: "New", is_public: false } },
        isNew(7, { conversation: 2 }),
        { type: "read", seq: 8, conversation: 2, user: 1, up_to: 7 },
      ],
      { "1": 4, "2": 8 },
    );
    const state = store.getState();
    expect(state.timelines[1]?.messages.map((m) => [m.body, m.deleted])).toEqual([
      ["edited", false],
      ["", true],
    ]);
    expect(state.conversations[1]?.last_message).toMatchObject({ id: "m2", deleted: true, body: "" });
    expect(state.conversations[2]).toMatchObject({ title: "New", unread_count: 0, last_read_seq: 7, last_seq: 8 });
    expect(vi.mocked(http.messages).mock.calls.length).toBe(loads);
  });

  it("counts unread messages in conversations that are not open, and reorders the sidebar", async () => {
    const { store, socket } = await setup({ conversations: [conversation(1), conversation(2)] });
    await store.open(1);
    socket.emit(isNew(1, { conversation: 2, created_at: "2026-02-01T00:00:00Z" }));
    socket.emit(isNew(2, { conversation: 2, created_at: "2026-02-01T00:00:01Z" }));
    const state = store.getState();
    expect(state.conversations[2]?.unread_count).toBe(2);
    expect(state.conversations[2]?.last_message?.seq).toBe(2);
    expect(sortConversations(state.conversations).map((c) => c.id)).toEqual([2, 1]);
  });

  it("marks the open conversation read as messages arrive, but after a replay only once it is done", async () => {
    const { store, socket } = await setup();
    await store.open(1);
    socket.emit(isNew(3));
    expect(socket.sent.at(-1)).toEqual({ type: "read", conversation: 1, seq: 3 });
    expect(store.getState().conversations[1]?.unread_count).toBe(0);
    socket.sent = [];
    socket.resync([isNew(4), isNew(5), isNew(6)], { "1": 6 });
    expect(socket.sent).toEqual([{ type: "read", conversation: 1, seq: 6 }]);
  });

  it("loads a conversation I joined while away, applies what arrived meanwhile, and syncs it from there", async () => {
    const { store, socket, http } = await setup();
    vi.mocked(http.conversation).mockResolvedValueOnce(conversation(9, { last_seq: 20, title: "Design" }));
    socket.setStatus("syncing");
    socket.emit({ type: "membership", seq: null, conversation: { id: 9, kind: "group", title: "Design", is_public: false }, user: 1, state: "added" });
    socket.emit(isNew(20, { conversation: 9, id: "old" })); // before the REST copy was read: in it
    socket.emit(isNew(21, { conversation: 9, id: "new" }));
    await vi.advanceTimersByTimeAsync(0);
    const state = store.getState();
    expect(state.conversations[9]).toMatchObject({ title: "Design", last_seq: 21, unread_count: 1 });
    expect(state.timelines[9]?.messages.map((m) => m.id)).toEqual(["new"]);
    expect(socket.sent).toContainEqual({ type: "sync", since: { "9": 21 } });
    expect(Object.fromEntries(store.since())).toMatchObject({ "9": 21 });
  });

  it("drops a conversation I was removed from, and leaves it if it was open", async () => {
    const { store, socket } = await setup({ conversations: [conversation(1, { last_seq: 2 }), conversation(2)] });
    await store.open(1);
    socket.emit({ type: "membership", seq: 3, conversation: { id: 1, kind: "group", title: "G", is_public: false }, user: 1, state: "removed" });
    expect(store.getState().conversations[1]).toBeUndefined();
    expect(store.getState().active).toBeNull();
    socket.emit({ type: "membership", seq: null, conversation: { id: 2, kind: "group", title: "G", is_public: false }, user: 1, state: "removed" });
    expect(store.getState().conversations).toEqual({});
    expect(Object.fromEntries(store.since())).toEqual({});
  });

  it("asks REST for a new member's name once the sync is done", async () => {
    const { store, socket, http } = await setup({ conversations: [conversation(1, { last_seq: 2 })] });
    const fresh = conversation(1, { last_seq: 3, member_count: 3 });
    fresh.members = [...fresh.members, { id: 7, username: "grace", display_name: "Grace", avatar_url: null, online: true }];
    vi.mocked(http.conversation).mockResolvedValueOnce(fresh);
    socket.resync(
      [{ type: "membership", seq: 3, conversation: { id: 1, kind: "group", title: "G", is_public: false }, user: 7, state: "added" }],
      { "1": 3 },
    );
    expect(http.conversation).toHaveBeenCalledWith(1);
    await vi.advanceTimersByTimeAsync(0);
    expect(store.getState().conversations[1]?.members.map((m) => m.username)).toEqual(["user1", "user2", "grace"]);
    expect(store.getState().conversations[1]?.member_count).toBe(3);
  });

  it("tracks typing until stop, a message from that user, or expiry", async () => {
    const { store, socket } = await setup();
    socket.emit({ type: "typing", conversation: 1, user: 2, state: "start" });
    expect(Object.keys(store.getState().typing[1] ?? {})).toEqual(["2"]);
    vi.advanceTimersByTime(6000);
    expect(store.getState().typing[1]).toEqual({});
    socket.emit({ type: "typing", conversation: 1, user: 2, state: "start" });
    socket.emit(isNew(3));
    expect(store.getState().typing[1]).toEqual({});
  });

  it("knows senders by name, and fetches the people it cannot name once, in pages of 20", async () => {
    const { store, socket, http } = await setup();
    socket.emit(isNew(3));
    expect(store.getState().users[2]?.display_name).toBe("Bob");
    const strangers = Array.from({ length: 25 }, (_, i) => 10 + i);
    store.resolveUsers([2, ...strangers, 500]);
    store.resolveUsers(strangers); // asked already: not again
    await vi.runAllTimersAsync();
    expect(http.usersByIds).toHaveBeenCalledTimes(2);
    expect(vi.mocked(http.usersByIds).mock.calls.map(([ids]) => ids.length)).toEqual([20, 6]);
    expect(store.getState().users[34]?.display_name).toBe("User 34");
    expect(store.getState().users[500]).toBeUndefined(); // not found (deactivated): stays unnamed
  });

  it("names someone who took a new display name by it from then on, in lists and over replayed messages", async () => {
    const { store, socket } = await setup({ conversations: [conversation(1, { last_seq: 2 })] });
    socket.emit(isNew(3)); // sent by Bob as "Bob"
    const cy = { id: 3, username: "cy", display_name: "Cy" };
    socket.emit(isNew(5, { sender: cy, forwarded_from: { message: "o1", conversation: 9, sender_name: "Bob", sender_id: 2 } }));
    socket.emit({ type: "user.updated", user: { id: 2, username: "bob", display_name: "Robert" } });
    socket.emit(isNew(4)); // a replay of an older message still says "Bob"
    const state = store.getState();
    expect(state.renamed[2]?.display_name).toBe("Robert");
    expect(state.users[2]?.display_name).toBe("Robert");
    expect(state.conversations[1]?.members.find((m) => m.id === 2)?.display_name).toBe("Robert");
    // A forward of Bob's words keeps the name it was forwarded under, as storage keeps it (a reload says "Bob").
    expect(state.timelines[1]?.messages.find((m) => m.seq === 5)?.forwarded_from?.sender_name).toBe("Bob");
    socket.emit({ type: "user.updated", user: { id: 1, username: "ada", display_name: "Ada L." } });
    expect(store.getState().me?.display_name).toBe("Ada L.");
  });

  it("shows someone's new profile picture on their memberships and mine, and keeps it when only the name changes", async () => {
    const { store, socket } = await setup({ conversations: [conversation(1, { last_seq: 2 })] });
    const picture = "/api/v1/users/2/avatar/?v=abc";
    socket.emit({ type: "user.updated", user: { id: 2, username: "bob", display_name: "Bob", avatar_url: picture } });
    expect(store.getState().conversations[1]?.members.find((m) => m.id === 2)?.avatar_url).toBe(picture);
    socket.emit({ type: "user.updated", user: { id: 2, username: "bob", display_name: "Robert" } }); // an older server
    expect(store.getState().conversations[1]?.members.find((m) => m.id === 2)?.avatar_url).toBe(picture);
    socket.emit({ type: "user.updated", user: { id: 2, username: "bob", display_name: "Robert", avatar_url: null } });
    expect(store.getState().conversations[1]?.members.find((m) => m.id === 2)?.avatar_url).toBeNull();
    socket.emit({ type: "user.updated", user: { id: 1, username: "ada", display_name: "Ada", avatar_url: "/api/v1/users/1/avatar/?v=x" } });
    expect(store.getState().me?.avatar_url).toBe("/api/v1/users/1/avatar/?v=x");
  });

  it("names an erased member \"Deleted user\" and blanks their messages, live or replayed", async () => {
    const { store, socket } = await setup({ conversations: [conversation(1, { last_seq: 2 })] });
    socket.emit({ type: "user.updated", user: { id: 2, username: "bob", display_name: "Bob", avatar_url: "/api/v1/users/2/avatar/?v=b" } });
    socket.emit(isNew(3)); // Bob's
    socket.emit({
      type: "user.erased",
      seq: 4,
      conversation: 1,
      user: { id: 2, username: "deleted-2", display_name: "Deleted user" },
      messages: "deleted",
    });
    const state = store.getState();
    expect(state.renamed[2]?.display_name).toBe("Deleted user");
    expect(state.users[2]?.display_name).toBe("Deleted user");
    expect(state.timelines[1]?.messages.map((m) => [m.seq, m.deleted, m.body])).toEqual([[3, true, ""]]);
    expect(state.conversations[1]?.members.find((m) => m.id === 2)?.avatar_url).toBeNull(); // their picture is gone too
    expect(state.conversations[1]?.last_seq).toBe(4);
  });

  it("opened offline, loads the conversation list once the socket has synced, and syncs what it brought", async () => {
    const { store, socket, http } = await setup();
    vi.mocked(http.conversations).mockClear();
    // as if the first load had failed: no network when the app opened
    vi.mocked(http.conversations).mockRejectedValueOnce(new TypeError("Failed to fetch"));
    await store.loadConversations();
    expect(store.getState().loadError).toBe("Could not load your conversations.");
    vi.mocked(http.conversations).mockResolvedValueOnce({
      count: 2,
      next: null,
      previous: null,
      results: [conversation(1, { last_seq: 2 }), conversation(5, { last_seq: 30 })],
    });
    socket.sent = [];
    socket.resync([], {});
    await vi.runAllTimersAsync();
    expect(http.conversations).toHaveBeenCalledTimes(2);
    expect(store.getState().loadError).toBeNull();
    // events of conversation 5 that came while the list was on its way were not applied: asked again
    expect(socket.sent).toEqual([{ type: "sync", since: { "5": 30 } }]);
  });

  it("opens a conversation offline with what it holds, and loads its history once synced", async () => {
    const { store, socket, http } = await setup();
    vi.mocked(http.messages).mockRejectedValueOnce(new TypeError("Failed to fetch"));
    socket.open = false;
    store.send(1, "written offline");
    await store.open(1); // no error: the outbox shows
    expect(store.getState().timelines[1]).toMatchObject({ loaded: false, outbox: [{ body: "written offline" }] });
    socket.open = true;
    socket.resync([], { "1": 2 });
    await vi.runAllTimersAsync();
    expect(store.getState().timelines[1]?.loaded).toBe(true);
    expect(store.getState().timelines[1]?.messages.map((m) => m.seq)).toEqual([1, 2]);
  });

  it("reads who is online again after a reconnect: presence is not replayed", async () => {
    const peer = { id: 2, username: "bob", display_name: "Bob", avatar_url: null, online: false };
    const { store, socket, http } = await setup({ conversations: [conversation(1, { last_seq: 2, members: [peer] })] });
    socket.resync([], { "1": 2 }); // the first connect: the list just read is current
    expect(http.conversations).toHaveBeenCalledTimes(1);
    vi.mocked(http.conversations).mockResolvedValueOnce({
      count: 1,
      next: null,
      previous: null,
      results: [conversation(1, { last_seq: 2, members: [{ ...peer, online: true }] })],
    });
    socket.resync([], { "1": 2 }); // Bob came online while we were away
    await vi.runAllTimersAsync();
    expect(store.getState().presence[2]).toBe("online");
  });

  it("knows nobody's presence while the socket is lost, only what is heard once back", () => {
    const bob = { id: 2, username: "bob", display_name: "Bob", avatar_url: null, online: true };
    const heard = { presence: { 2: "idle" as const } };
    const connected = { status: "online" as const, attempt: 0, retryAt: null };
    expect(presenceOf({ ...heard, connection: connected }, bob)).toBe("idle");
    expect(presenceOf({ presence: {}, connection: connected }, bob)).toBe("online"); // as the list said
    expect(presenceOf({ ...heard, connection: { status: "idle", attempt: 0, retryAt: null } }, bob)).toBe("idle");
    for (const lost of [
      { status: "offline" as const, attempt: 0, retryAt: null, reason: "No network" },
      { status: "offline" as const, attempt: 2, retryAt: 5_000, reason: "Disconnected" },
      { status: "connecting" as const, attempt: 2, retryAt: null },
    ]) {
      expect(presenceOf({ ...heard, connection: lost }, bob)).toBeUndefined();
    }
  });

  it("loads older pages before the lowest seq held", async () => {
    const { store, http } = await setup();
    vi.mocked(http.messages).mockResolvedValueOnce({ results: [msg(60), msg(59)], has_more: true });
    await store.open(1);
    vi.mocked(http.messages).mockResolvedValueOnce({ results: [msg(58), msg(57)], has_more: false });
    await store.loadOlder(1);
    expect(http.messages).toHaveBeenLastCalledWith(1, { before_seq: 59, limit: 50 });
    const t = store.getState().timelines[1];
    expect(t?.messages.map((m) => m.seq)).toEqual([57, 58, 59, 60]);
    expect(t?.hasMore).toBe(false);
  });

  it("keeps the pinned list live: pins and unpins, edits and deletions, each event once", async () => {
    const { store, socket, http } = await setup({ conversations: [conversation(1, { last_seq: 2 })] });
    (http as unknown as { pins: unknown }).pins = vi.fn(async () => [
      { message: msg(1), pinned_by: null, pinned_at: "2026-01-01T00:00:00Z" },
    ]);
    await store.loadPins(1);
    const pinned = (seq: number): OrderedEvent => ({
      type: "pin",
      seq,
      conversation: 1,
      message: msg(2),
      message_id: "m2",
      user: 2,
      state: "pinned",
    });
    socket.emit(pinned(3));
    socket.emit(pinned(3)); // the same event again (a replay): listed once
    const ids = () => store.getState().pins[1]?.map((p) => p.message.id);
    expect(ids()).toEqual(["m2", "m1"]);
    socket.emit({ type: "message.updated", seq: 4, conversation: 1, message: msg(2, { body: "edited" }) });
    expect(store.getState().pins[1]?.[0]?.message.body).toBe("edited");
    socket.emit({ type: "message.deleted", seq: 5, conversation: 1, id: "m1", by_moderator: false });
    socket.emit({ type: "pin", seq: 6, conversation: 1, message: null, message_id: "m2", user: 1, state: "unpinned" });
    expect(ids()).toEqual([]);
  });

  it("shows a role change at once, mine too, and a REST copy older than the change does not undo it", async () => {
    const { store, socket } = await setup({ conversations: [conversation(1, { last_seq: 2, role: "member" })] });
    const role = (seq: number, user: number, to: "owner" | "admin" | "member"): OrderedEvent => ({
      type: "member.updated",
      seq,
      conversation: 1,
      user,
      role: to,
    });
    const shown = () => {
      const c = store.getState().conversations[1];
      return { mine: c?.role, members: c?.members.map((m) => [m.id, m.role]) };
    };
    // when Bob is made an admin, then I an owner
    socket.emit(role(4, 2, "admin"));
    socket.emit(role(5, me.id, "owner"));
    // then the members list says so, and so does my own role: the owner's controls show without a reload
    expect(shown()).toEqual({ mine: "owner", members: [[1, "owner"], [2, "admin"]] });
    // and an older change arriving late, or a conversation read from REST before the change, undoes nothing
    socket.emit(role(3, me.id, "member"));
    store.upsertConversation(conversation(1, { last_seq: 4, role: "member" }));
    expect(shown().mine).toBe("owner");
    // while a copy that reflects a newer change is taken
    store.upsertConversation(conversation(1, { last_seq: 6, role: "admin" }));
    expect(shown().mine).toBe("admin");
  });

  it("opens at a message and holds back live ones until newer pages meet them", async () => {
    const { store, http, socket } = await setup({ conversations: [conversation(1, { last_seq: 90 })] });
    vi.mocked(http.messages).mockResolvedValueOnce({ results: [msg(12), msg(11), msg(10)], has_more: true, has_more_newer: true });
    await store.openAt(1, 11);
    expect(http.messages).toHaveBeenLastCalledWith(1, { around: 11, limit: 50 });
    socket.emit(isNew(91)); // arrives live while the history is open far back
    await vi.runAllTimersAsync();
    const timeline = () => store.getState().timelines[1] ?? emptyTimeline();
    const held = timeline();
    expect(visibleMessages(held).map((m) => m.seq)).toEqual([10, 11, 12]);
    expect(held.newerAfter).toBe(12);

    vi.mocked(http.messages).mockResolvedValueOnce({ results: [msg(13), msg(90)], has_more: false });
    await store.loadNewer(1);
    expect(http.messages).toHaveBeenLastCalledWith(1, { after_seq: 12, limit: 50 });
    const met = timeline();
    expect(met.newerAfter).toBeNull();
    expect(visibleMessages(met).map((m) => m.seq)).toEqual([10, 11, 12, 13, 90, 91]);

    await store.openAt(1, 11); // held already: nothing is fetched
    expect(http.messages).toHaveBeenCalledTimes(2);
  });

  it("marks a conversation opened at a message read only when the page shown reaches the newest", async () => {
    const { store, http, socket } = await setup({
      conversations: [conversation(1, { last_seq: 40, unread_count: 3, last_read_seq: 37, last_message: msg(40) })],
    });
    socket.setStatus("online");
    vi.mocked(http.messages).mockResolvedValueOnce({ results: [msg(39), msg(38)], has_more: true, has_more_newer: true });
    await store.openAt(1, 38);
    expect(store.getState().conversations[1]?.unread_count).toBe(3); // 39 and 40 not shown: not read
    vi.mocked(http.messages).mockResolvedValueOnce({ results: [msg(40), msg(39)], has_more: true, has_more_newer: false });
    await store.openAt(1, 40); // a notification of the newest
    expect(store.getState().conversations[1]?.unread_count).toBe(0);
    expect(socket.sent.at(-1)).toEqual({ type: "read", conversation: 1, seq: 40 });
  });

  it("leaves a conversation opened at its first new message unread until the newest is shown", async () => {
    const { store, http, socket } = await setup({
      conversations: [conversation(1, { last_seq: 90, unread_count: 70, last_read_seq: 20, last_message: msg(90) })],
    });
    socket.setStatus("online");
    vi.mocked(http.messages).mockResolvedValueOnce({ results: [msg(22), msg(21)], has_more: true, has_more_newer: true });
    await store.openAt(1, 21);
    const unread = () => store.getState().conversations[1]?.unread_count;
    // a live message, the socket back after a blip (its sync done), the tab shown again: none of them read it
    socket.emit(isNew(91, { sender: { id: 2, username: "bob", display_name: "" } }));
    socket.setStatus("syncing");
    socket.setStatus("online");
    store.markRead(1);
    await vi.runAllTimersAsync();
    expect(unread()).toBe(71);
    expect(socket.sent.filter((frame) => frame.type === "read")).toEqual([]);

    // replying shows the newest messages, where the reply goes: now it is read
    vi.mocked(http.messages).mockResolvedValueOnce({ results: [msg(91), msg(90)], has_more: true });
    store.send(1, "Catching up");
    await vi.runAllTimersAsync();
    expect(unread()).toBe(0);
    expect(socket.sent.filter((frame) => frame.type === "read").at(-1)).toEqual({ type: "read", conversation: 1, seq: 91 });
  });

  it("opens a thread, replies in it and marks it read, leaving the main timeline alone", async () => {
    const { store, socket, http } = await setup();
    await store.open(1);
    const root = msg(2);
    vi.mocked(http.thread).mockResolvedValueOnce({
      root: { ...root, thread: { reply_count: 1, last_reply_at: root.created_at, last_reply_seq: 3, participants: [2] } },
      results: [msg(3, { thread_root: root.id })],
      has_more: false,
      following: true,
      last_read_seq: 0,
    });
    await store.openThread(root);
    expect(http.markThreadRead).toHaveBeenLastCalledWith(root.id, 3);
    const clientId = store.send(1, "me too", { threadRoot: root.id });
    await written();
    expect(socket.sent.at(-1)).toMatchObject({ type: "message.send", client_id: clientId, thread_root: root.id });
    socket.emit({ type: "message.new", seq: 4, message: msg(4, { thread_root: root.id }) });
    expect(http.markThreadRead).toHaveBeenLastCalledWith(root.id, 4); // read as it arrives, the thread being open
    expect(store.getState().conversations[1]?.unread_count).toBe(0);
    expect(store.getState().thread).toMatchObject({ following: true, lastRead: 4 });
  });

  it("reads the threads I follow again, once, when replies come to a thread of mine", async () => {
    const { store, socket, http } = await setup();
    await store.open(1);
    const root = mine(2, "c2", { id: "m2" });
    socket.emit({ type: "message.new", seq: 3, message: root });
    vi.mocked(http.followedThreads).mockClear();
    vi.mocked(http.followedThreads).mockResolvedValue({
      count: 1,
      next: null,
      previous: null,
      results: [{ root: { ...root, thread: null }, unread_count: 2, last_read_seq: 0 }],
    });
    const summary = (n: number) => ({ reply_count: n, last_reply_at: root.created_at, last_reply_seq: 3 + n, participants: [2] });
    socket.emit({ type: "thread.updated", seq: 5, conversation: 1, root: "m2", thread: summary(1) });
    socket.emit({ type: "thread.updated", seq: 7, conversation: 1, root: "m2", thread: summary(2) });
    await vi.advanceTimersByTimeAsync(600);
    expect(http.followedThreads).toHaveBeenCalledTimes(1);
    expect(store.getState().followed.m2?.unread_count).toBe(2);
    expect(store.getState().timelines[1]?.messages.find((m) => m.id === "m2")?.thread).toEqual(summary(2));
  });

  it("counts unread mentions of me apart from unread messages, live, and clears them when read", async () => {
    const { store, socket } = await setup({ conversations: [conversation(1, { last_seq: 2, unread_mentions: 1, unread_count: 1, last_message: msg(2) })] });
    socket.setStatus("online");
    socket.emit(isNew(3)); // unread, no mention
    socket.emit(isNew(4, { mentions: [me.id] }));
    socket.emit(isNew(5, { mentions: [99] })); // someone else
    socket.emit(isNew(6, { mentions_all: true }));
    socket.emit(isNew(10, { id: "m10", mentions_here: true, seq: 10 })); // @here while I look: me too
    socket.emit(isNew(7, { mentions: [me.id], sender: { id: me.id, username: me.username, display_name: "" } })); // mine
    socket.emit(isNew(4, { mentions: [me.id] })); // the same event again
    expect(store.getState().conversations[1]).toMatchObject({ unread_count: 6, unread_mentions: 4 });
    socket.emit({ type: "message.deleted", seq: 8, conversation: 1, id: "m6", by_moderator: false });
    expect(store.getState().conversations[1]?.unread_mentions).toBe(3);
    socket.emit(isNew(11, { thread_root: "m3", mentions: [me.id] })); // in a thread: a mention, not unread here
    expect(store.getState().conversations[1]).toMatchObject({ unread_count: 5, unread_mentions: 4 });
    socket.emit({ type: "read", seq: 12, conversation: 1, user: me.id, up_to: 11 }); // read in another tab
    expect(store.getState().conversations[1]).toMatchObject({ unread_count: 0, unread_mentions: 0 });
  });

  it("does not count an @here that came while I was not looking, nor one replayed by a sync", async () => {
    const { store, socket } = await setup({ looking: false });
    socket.setStatus("online");
    socket.emit(isNew(3, { mentions_here: true }));
    socket.resync([isNew(4, { mentions_here: true })], { "1": 4 });
    expect(store.getState().conversations[1]).toMatchObject({ unread_count: 2, unread_mentions: 0 });
  });

  it("hands live messages of others to arrival listeners once, not a sync's replay", async () => {
    const { socket, store } = await setup();
    const arrived: string[] = [];
    store.onArrival((m) => arrived.push(m.id));
    socket.resync([isNew(3)], { "1": 3 }); // replayed while catching up
    socket.emit(isNew(4));
    socket.emit(isNew(4)); // a duplicate
    socket.emit(isNew(5, { sender: { id: me.id, username: me.username, display_name: "" } }));
    expect(arrived).toEqual(["m4"]);
  });

  it("hands on the first message of a conversation it did not know once that conversation is loaded", async () => {
    const { socket, store, http } = await setup();
    socket.setStatus("online");
    const arrived: string[] = [];
    store.onArrival((m) => arrived.push(`${m.conversation}:${m.id}`));
    vi.mocked(http.conversation).mockResolvedValueOnce(conversation(9, { last_seq: 1, kind: "direct" }));
    socket.emit(isNew(1, { id: "hello", conversation: 9 })); // someone new writes to me
    expect(arrived).toEqual([]);
    await vi.runAllTimersAsync();
    expect(store.getState().conversations[9]).toBeDefined();
    expect(arrived).toEqual(["9:hello"]);
  });
});

describe("a conversation's notification level (its bell)", () => {
  it("shows the choice at once, before the server answers", async () => {
    const { store, http } = await setup();
    let answer: (saved: Conversation) => void = () => undefined;
    http.updateConversation = vi.fn(() => new Promise<Conversation>((resolve) => (answer = resolve)));
    const saving = store.updateLevel(1, { notification_level: "mentions" });
    expect(store.getState().conversations[1]).toMatchObject({ notification_level: "mentions", muted: false });
    answer({ ...conversation(1, { last_seq: 2 }), notification_level: "mentions", muted: false });
    await saving;
    expect(store.getState().conversations[1]).toMatchObject({ notification_level: "mentions", muted: false });
  });

  it("puts the level back as it was when the server refuses it or cannot be reached, and says why", async () => {
    const { store, http } = await setup({ conversations: [conversation(1, { last_seq: 2, notification_level: "mentions" })] });
    http.updateConversation = vi.fn(async () => Promise.reject(new ApiError(403, { error: { code: "forbidden", detail: "Not allowed.", fields: {} } })));
    await expect(store.updateLevel(1, { notification_level: "none" })).rejects.toThrow("Not allowed.");
    expect(store.getState().conversations[1]).toMatchObject({ notification_level: "mentions", muted: false });
    http.updateConversation = vi.fn(async () => Promise.reject(new TypeError("Failed to fetch")));
    await expect(store.updateLevel(1, { notification_level: "all" })).rejects.toThrow(TypeError);
    expect(store.getState().conversations[1]?.notification_level).toBe("mentions");
  });
});

describe("my settings saved on another device (or tab)", () => {
  const group = conversation(2, { kind: "group", last_seq: 3, unread_count: 3 });
  const unread = [conversation(1, { last_seq: 2, unread_count: 2 }), group];
  const count = (store: ChatStore) => totalAttention(Object.values(store.getState().conversations), store.getState().prefs);
  const root = msg(2, { thread: { reply_count: 1, last_reply_at: "2026-01-01T00:00:00Z", last_reply_seq: 3, participants: [2] } });
  const followedRoot = (unread_count: number, last_read_seq: number) => ({ count: 1, next: null, previous: null, results: [{ root, unread_count, last_read_seq }] });

  it("mutes a conversation and changes a kind's default here when the server says so: badge and title follow", async () => {
    const { store, socket } = await setup({ conversations: unread });
    expect(count(store)).toBe(5);

    socket.emit({ type: "notification_level.updated", conversation: 1, notification_level: "none", muted: true });
    expect(store.getState().conversations[1]).toMatchObject({ notification_level: "none", muted: true });
    expect(count(store)).toBe(3);

    socket.emit({ type: "notification_preferences.updated", preferences: { direct: "all", group: "none", channel: "mentions" } });
    expect(store.getState().prefs).toMatchObject({ group: "none" });
    expect(count(store)).toBe(0);
  });

  it("reads a thread when another device did, unless a newer reply is held here", async () => {
    const { store, socket, http } = await setup();
    vi.mocked(http.followedThreads).mockResolvedValue(followedRoot(1, 0));
    await store.loadFollowedThreads();
    socket.emit({ type: "thread.read", conversation: 1, root: root.id, up_to: 2 }); // before the reply at 3
    expect(store.getState().followed[root.id]?.unread_count).toBe(1);

    socket.emit({ type: "thread.read", conversation: 1, root: root.id, up_to: 3 });
    expect(store.getState().followed[root.id]).toMatchObject({ unread_count: 0, last_read_seq: 3 });
  });

  it("was offline while they changed: takes them from REST after the reconnect", async () => {
    const { store, socket, http } = await setup({ conversations: unread });
    vi.mocked(http.followedThreads).mockResolvedValue(followedRoot(1, 0));
    await store.loadFollowedThreads();
    socket.resync([], { "1": 2, "2": 3 }); // the first sync after loading
    const muted = { ...conversation(1, { last_seq: 2, unread_count: 2 }), notification_level: "none" as const, muted: true };
    vi.mocked(http.conversations).mockResolvedValue({ count: 2, next: null, previous: null, results: [muted, group] });
    vi.mocked(http.notificationSettings).mockResolvedValue({ direct: "all", group: "none", channel: "mentions" });
    vi.mocked(http.followedThreads).mockResolvedValue(followedRoot(0, 3));

    socket.resync([], { "1": 2, "2": 3 }); // back after a disconnect

    await vi.waitFor(() => expect(count(store)).toBe(0));
    expect(store.getState().conversations[1]).toMatchObject({ notification_level: "none", muted: true });
    expect(store.getState().followed[root.id]?.unread_count).toBe(0);
  });

  it("keeps what an event said over a REST read begun before it", async () => {
    const { store, socket, http } = await setup({ conversations: unread });
    socket.resync([], { "1": 2, "2": 3 });
    let answer: (page: { count: number; next: null; previous: null; results: Conversation[] }) => void = () => undefined;
    vi.mocked(http.conversations).mockImplementation(() => new Promise((resolve) => (answer = resolve)));
    socket.resync([], { "1": 2, "2": 3 }); // the list is read again, from before the change
    socket.emit({ type: "notification_level.updated", conversation: 1, notification_level: "none", muted: true });
    answer({ count: 2, next: null, previous: null, results: unread });
    await new Promise((resolve) => setTimeout(resolve, 0)); // the list's answer applied
    expect(store.getState().conversations[2]?.unread_count).toBe(3);
    expect(store.getState().conversations[1]).toMatchObject({ notification_level: "none", muted: true });
  });

  const threadPage = (following: boolean | null) => ({ root, results: [], has_more: false, following, last_read_seq: 0 });
  const noThreads = { count: 0, next: null, previous: null, results: [] };

  it("unfollows and follows a thread when another device did: my unread threads and the open thread's button follow", async () => {
    const { store, socket, http } = await setup();
    vi.mocked(http.followedThreads).mockResolvedValue(followedRoot(1, 0));
    await store.loadFollowedThreads();
    expect(unreadThreadsIn(store.getState().followed, 1)).toBe(1);

    socket.emit({ type: "thread_follow.updated", conversation: 1, root: root.id, following: false });
    expect(store.getState().followed[root.id]).toBeUndefined();
    expect(unreadThreadsIn(store.getState().followed, 1)).toBe(0);

    vi.mocked(http.followedThreads).mockResolvedValue(noThreads);
    vi.mocked(http.thread).mockResolvedValue(threadPage(false));
    await store.openThread(root);
    expect(store.getState().thread?.following).toBe(false);
    vi.mocked(http.followedThreads).mockResolvedValue(followedRoot(0, 3));
    socket.emit({ type: "thread_follow.updated", conversation: 1, root: root.id, following: true });
    expect(store.getState().thread?.following).toBe(true);
    await vi.waitFor(() => expect(store.getState().followed[root.id]).toMatchObject({ unread_count: 0 }));

    socket.emit({ type: "thread_follow.updated", conversation: 1, root: root.id, following: false });
    expect(store.getState().thread?.following).toBe(false);
  });

  it("was offline while another device unfollowed the open thread: after the reconnect it shows Follow", async () => {
    const { store, socket, http } = await setup();
    vi.mocked(http.followedThreads).mockResolvedValue(followedRoot(0, 3));
    await store.loadFollowedThreads();
    vi.mocked(http.thread).mockResolvedValue(threadPage(true));
    await store.openThread(root);
    socket.resync([], { "1": 2 }); // the first sync after loading
    vi.mocked(http.followedThreads).mockResolvedValue(noThreads);
    vi.mocked(http.thread).mockResolvedValue(threadPage(false));

    socket.resync([], { "1": 2 }); // back after a disconnect

    await vi.waitFor(() => expect(store.getState().thread?.following).toBe(false));
    expect(store.getState().followed[root.id]).toBeUndefined();
  });

  it("keeps a thread unfollowed when a read of my threads begun before the event answers with it", async () => {
    const { store, socket, http } = await setup();
    vi.mocked(http.followedThreads).mockResolvedValue(followedRoot(1, 0));
    await store.loadFollowedThreads();
    let answer: (page: ReturnType<typeof followedRoot>) => void = () => undefined;
    vi.mocked(http.followedThreads).mockImplementation(() => new Promise((resolve) => (answer = resolve)));
    const reading = store.loadFollowedThreads(); // from before the unfollow
    socket.emit({ type: "thread_follow.updated", conversation: 1, root: root.id, following: false });
    answer(followedRoot(1, 0));
    await reading;
    expect(store.getState().followed[root.id]).toBeUndefined();
  });

  it("remembers what events said of threads only while a read begun before them is on its way (a page open all day)", async () => {
    const { store, socket, http } = await setup();
    const heard = () => [store["followingHeard"].size, store["settingsHeard"].size];
    const touch = (from: number, to: number, following: (n: number) => boolean) => {
      for (let n = from; n < to; n++) {
        socket.emit({ type: "thread_follow.updated", conversation: 1, root: `root-${n}`, following: following(n) });
        socket.emit({ type: "thread.read", conversation: 1, root: `root-${n}`, up_to: 3 });
      }
    };
    touch(0, 500, (n) => n % 2 === 0); // each thread followed reads my threads again
    await vi.waitFor(() => expect(heard()).toEqual([0, 0])); // those reads done: nothing left to keep

    let answer: (page: ReturnType<typeof followedRoot>) => void = () => undefined;
    vi.mocked(http.followedThreads).mockImplementation(() => new Promise((resolve) => (answer = resolve)));
    const reading = store.loadFollowedThreads();
    touch(500, 510, () => false); // heard while it is on its way: its answer must not undo them
    socket.emit({ type: "thread_follow.updated", conversation: 1, root: root.id, following: false });
    expect(heard()).toEqual([11, 21]);
    answer(followedRoot(1, 0));
    await reading;
    expect(store.getState().followed[root.id]).toBeUndefined(); // the unfollow heard meanwhile stands
    expect(heard()).toEqual([0, 0]);
  });
});

describe("a thread opened at one of its replies (a search hit, a mention)", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  // The root (seq 1) and 70 replies; reply n has seq 2n + 1 (the main timeline has the seqs between).
  const root = msg(1);
  const reply = (n: number) => msg(2 * n + 1, { thread_root: root.id, body: `reply ${n}` });
  const seqOf = (n: number) => 2 * n + 1;
  type Params = { before_seq?: number; after_seq?: number; around?: number; limit?: number };
  /** GET messages/{root}/thread/ as the server answers it, over `count` replies. */
  const server =
    (count: number) =>
    async (_root: string, { before_seq, after_seq, around, limit = 50 }: Params) => {
      const all = Array.from({ length: count }, (_, i) => reply(i + 1));
      const base = { root, following: null, last_read_seq: 0 };
      if (around !== undefined) {
        if (!all.some((m) => m.seq === around)) throw new ApiError(404, { error: { code: "not_found", detail: "No such reply in this thread.", fields: {} } });
        const older = all.filter((m) => m.seq < around).reverse();
        const newer = all.filter((m) => m.seq >= around);
        const before = Math.floor(limit / 2);
        const rest = limit - before;
        const results = [...newer.slice(0, rest).reverse(), ...older.slice(0, before)];
        return { ...base, results, has_more: older.length > before, has_more_newer: newer.length > rest };
      }
      if (after_seq !== undefined) {
        const newer = all.filter((m) => m.seq > after_seq);
        return { ...base, results: newer.slice(0, limit), has_more: newer.length > limit };
      }
      const older = all.filter((m) => before_seq === undefined || m.seq < before_seq).reverse();
      return { ...base, results: older.slice(0, limit), has_more: older.length > limit };
    };
  const shown = (store: ChatStore) => {
    const { thread, timelines } = store.getState();
    return thread ? threadReplies(timelines[1] ?? emptyTimeline(), root.id, thread).map((m) => m.body) : [];
  };
  const bodies = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => `reply ${from + i}`);

  it("shows the replies around it, it highlighted, and is read only once paged down to the newest", async () => {
    const { store, socket, http } = await setup();
    vi.mocked(http.thread).mockImplementation(server(70));
    await store.open(1);
    await store.openThreadById(root.id, seqOf(5));
    // the four before the 5th, it and the 24 after it; nothing older; it was opened there
    expect(shown(store)).toEqual(bodies(1, 29));
    expect(store.getState().thread).toMatchObject({ at: seqOf(5), hasMore: false, newerAfter: seqOf(29) });
    expect(http.markThreadRead).not.toHaveBeenCalled(); // the newest replies were not seen
    // a reply arriving live waits, hidden, until the gap before it is read
    socket.emit({ type: "message.new", seq: 200, message: msg(200, { thread_root: root.id, body: "reply 71" }) });
    expect(shown(store)).toEqual(bodies(1, 29));
    await store.loadNewerReplies();
    expect(shown(store)).toEqual(bodies(1, 71)); // every reply once, in order
    expect(store.getState().thread).toMatchObject({ newerAfter: null });
    expect(http.markThreadRead).toHaveBeenLastCalledWith(root.id, 200);
    // at the newest: live replies show at the bottom at once
    socket.emit({ type: "message.new", seq: 202, message: msg(202, { thread_root: root.id, body: "reply 72" }) });
    expect(shown(store).slice(-2)).toEqual(["reply 71", "reply 72"]);
  });

  it("pages older replies up and newer ones down from a reply in the middle, leaving out those held from before", async () => {
    const { store, http } = await setup();
    vi.mocked(http.thread).mockImplementation(server(130));
    await store.open(1);
    await store.openThreadById(root.id); // at the newest: replies 81-130 held
    store.closeThread();
    await store.openThreadById(root.id, seqOf(40));
    expect(shown(store)).toEqual(bodies(15, 64)); // not 81-130 after a gap
    await store.loadOlderReplies();
    expect(shown(store)).toEqual(bodies(1, 64));
    expect(store.getState().thread).toMatchObject({ hasMore: false });
    await store.loadNewerReplies();
    expect(shown(store)).toEqual(bodies(1, 114));
    await store.loadNewerReplies();
    expect(shown(store)).toEqual(bodies(1, 130));
    expect(store.getState().thread).toMatchObject({ newerAfter: null });
  });

  it("opens at the newest when the reply is no longer there", async () => {
    const { store, http } = await setup();
    vi.mocked(http.thread).mockImplementation(server(70));
    await store.openThreadById(root.id, 999);
    expect(shown(store)).toEqual(bodies(21, 70));
    expect(store.getState().thread).toMatchObject({ at: null, hasMore: true, newerAfter: null });
    expect(http.markThreadRead).toHaveBeenLastCalledWith(root.id, seqOf(70));
  });

  it("goes to the newest replies when I reply from an older one, my reply shown at the bottom", async () => {
    const { store, http } = await setup();
    vi.mocked(http.thread).mockImplementation(server(70));
    await store.open(1);
    await store.openThreadById(root.id, seqOf(5));
    store.send(1, "me too", { threadRoot: root.id });
    await vi.runAllTimersAsync();
    expect(store.getState().thread).toMatchObject({ newerAfter: null, at: seqOf(5) });
    expect(shown(store)).toEqual([...bodies(21, 70), "me too"]);
    expect(mainTimeline(store.getState().timelines[1] ?? emptyTimeline()).map((m) => m.seq)).toEqual([1, 2]); // the conversation stays
  });

  it("scrolls to another reply of the thread already open without reading it again when it is shown", async () => {
    const { store, http } = await setup();
    vi.mocked(http.thread).mockImplementation(server(70));
    await store.openThreadById(root.id, seqOf(5));
    const calls = vi.mocked(http.thread).mock.calls.length;
    await store.openThreadById(root.id, seqOf(20));
    expect(vi.mocked(http.thread).mock.calls.length).toBe(calls);
    expect(store.getState().thread?.at).toBe(seqOf(20));
    await store.openThreadById(root.id, seqOf(60)); // not shown: the replies around it are read
    expect(shown(store)).toEqual(bodies(35, 70));
  });
});
