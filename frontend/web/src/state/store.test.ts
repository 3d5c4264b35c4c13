import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { Endpoints } from "../api/endpoints";
import type { Conversation, Me } from "../api/types";
import type { ClientFrame, ServerFrame } from "../realtime/protocol";
import type { StatusInfo } from "../realtime/socket";
import { msg } from "../test/fixtures";
import { ChatStore, sortConversations, type SocketPort } from "./store";

const me: Me = {
  id: 1,
  username: "ada",
  display_name: "Ada",
  email: "a@x.io",
  date_joined: "2026-01-01T00:00:00Z",
  email_verified: true,
  may_post: true,
  two_factor_enabled: false,
  two_factor_required: false,
};

function conversation(id: number, extra: Partial<Conversation> = {}): Conversation {
  return {
    id,
    kind: "direct",
    title: "",
    is_public: false,
    created_at: "2026-01-01T00:00:00Z",
    last_activity_at: "2026-01-01T00:00:00Z",
    last_seq: 0,
    role: "member",
    muted: false,
    last_read_seq: 0,
    unread_count: 0,
    last_message: null,
    members: [],
    member_count: 2,
    ...extra,
  } as Conversation;
}

class FakeSocket implements SocketPort {
  status: StatusInfo = { status: "idle", attempt: 0, retryAt: null };
  open = true;
  sent: ClientFrame[] = [];
  private listener: ((frame: ServerFrame) => void) | null = null;
  send(frame: ClientFrame) {
    if (this.open) this.sent.push(frame);
    return this.open;
  }
  onFrame(listener: (frame: ServerFrame) => void) {
    this.listener = listener;
    return () => undefined;
  }
  onStatus() {
    return () => undefined;
  }
  start() {}
  stop() {}
  emit(frame: ServerFrame) {
    this.listener?.(frame);
  }
}

async function setup(conversations = [conversation(1, { last_seq: 2 })]) {
  const socket = new FakeSocket();
  let n = 0;
  const http = {
    conversations: vi.fn(async () => ({ count: conversations.length, next: null, previous: null, results: conversations })),
    messages: vi.fn(async () => ({ results: [msg(2), msg(1)], has_more: false })),
    conversation: vi.fn(async (id: number) => conversation(id)),
    markRead: vi.fn(async () => undefined),
    usersByIds: vi.fn(async (ids: number[]) => ({
      count: ids.length,
      next: null,
      previous: null,
      results: ids.filter((id) => id < 100).map((id) => ({ id, username: `user${id}`, display_name: `User ${id}` })),
    })),
  } as unknown as Endpoints;
  const store = new ChatStore({ http, socket, uuid: () => `client-${++n}`, isVisible: () => true, ackTimeoutMs: 1000 });
  await store.start(me);
  return { store, socket, http };
}

const mine = (seq: number, clientId: string) =>
  msg(seq, { client_id: clientId, sender: { id: 1, username: "ada", display_name: "Ada" } });

describe("ChatStore", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("sends sync from the highest seq seen per conversation", async () => {
    const { store, socket } = await setup([conversation(1, { last_seq: 2 }), conversation(2, { last_seq: 9 })]);
    socket.emit({ type: "message.new", seq: 5, message: msg(5, { conversation: 2 }) });
    expect(store.since()).toEqual({ "1": 2, "2": 9 });
    socket.emit({ type: "message.new", seq: 10, message: msg(10, { id: "m10", conversation: 2 }) });
    expect(store.since()).toEqual({ "1": 2, "2": 10 });
  });

  it("shows a message as pending, then settles it on ack without duplicating message.new", async () => {
    const { store, socket } = await setup();
    await store.open(1);
    const clientId = store.send(1, "hello");
    expect(socket.sent.at(-1)).toMatchObject({ type: "message.send", client_id: clientId, body: "hello" });
    expect(store.getState().timelines[1]?.outbox[0]?.state).toBe("pending");
    socket.emit({ type: "message.ack", client_id: clientId, message: mine(3, clientId) });
    socket.emit({ type: "message.new", seq: 3, message: mine(3, clientId) });
    const t = store.getState().timelines[1];
    expect(t?.outbox).toEqual([]);
    expect(t?.messages.map((m) => m.seq)).toEqual([1, 2, 3]);
  });

  it("marks a send failed on an error frame and retries with the same client_id", async () => {
    const { store, socket } = await setup();
    await store.open(1);
    const clientId = store.send(1, "hello");
    socket.emit({ type: "error", code: "unavailable", detail: "try again", ref: clientId });
    expect(store.getState().timelines[1]?.outbox[0]).toMatchObject({ state: "failed", error: "try again" });
    store.retry(1, clientId);
    const sends = socket.sent.filter((f) => f.type === "message.send");
    expect(sends).toHaveLength(2);
    expect(sends[1]).toMatchObject({ client_id: clientId });
    expect(store.getState().timelines[1]?.outbox[0]?.state).toBe("pending");
  });

  it("marks a send failed when no ack comes, but not on conflict", async () => {
    const { store, socket } = await setup();
    await store.open(1);
    const clientId = store.send(1, "hello");
    socket.emit({ type: "error", code: "conflict", detail: "in flight", ref: clientId });
    expect(store.getState().timelines[1]?.outbox[0]?.state).toBe("pending");
    vi.advanceTimersByTime(1000);
    expect(store.getState().timelines[1]?.outbox[0]?.state).toBe("failed");
  });

  it("keeps a message written offline pending and sends it after the next sync", async () => {
    const { store, socket } = await setup();
    await store.open(1);
    socket.open = false;
    const clientId = store.send(1, "offline hello");
    vi.advanceTimersByTime(5000);
    expect(store.getState().timelines[1]?.outbox[0]?.state).toBe("pending");
    socket.open = true;
    socket.emit({ type: "sync.done", conversations: { "1": 2 }, more: false });
    expect(socket.sent.filter((f) => f.type === "message.send")).toEqual([
      expect.objectContaining({ client_id: clientId, body: "offline hello" }),
    ]);
  });

  it("merges replayed messages after a reconnect, in order and without duplicates", async () => {
    const { store, socket } = await setup();
    await store.open(1);
    socket.emit({ type: "sync.done", conversations: { "1": 2 }, more: false });
    socket.emit({ type: "message.new", seq: 4, message: msg(4) });
    socket.emit({ type: "message.new", seq: 3, message: msg(3) });
    socket.emit({ type: "message.new", seq: 4, message: msg(4) });
    socket.emit({ type: "sync.done", conversations: { "1": 4 }, more: false });
    expect(store.getState().timelines[1]?.messages.map((m) => m.seq)).toEqual([1, 2, 3, 4]);
  });

  it("counts unread messages in conversations that are not open, and reorders the sidebar", async () => {
    const { store, socket } = await setup([conversation(1), conversation(2)]);
    await store.open(1);
    socket.emit({ type: "message.new", seq: 1, message: msg(1, { conversation: 2, created_at: "2026-02-01T00:00:00Z" }) });
    socket.emit({ type: "message.new", seq: 2, message: msg(2, { conversation: 2, created_at: "2026-02-01T00:00:01Z" }) });
    const state = store.getState();
    expect(state.conversations[2]?.unread_count).toBe(2);
    expect(state.conversations[2]?.last_message?.seq).toBe(2);
    expect(sortConversations(state.conversations).map((c) => c.id)).toEqual([2, 1]);
  });

  it("marks the open conversation read as messages arrive", async () => {
    const { store, socket } = await setup();
    await store.open(1);
    socket.emit({ type: "message.new", seq: 3, message: msg(3) });
    expect(socket.sent.at(-1)).toEqual({ type: "read", conversation: 1, seq: 3 });
    expect(store.getState().conversations[1]?.unread_count).toBe(0);
  });

  it("tracks typing until stop, a message from that user, or expiry", async () => {
    const { store, socket } = await setup();
    socket.emit({ type: "typing", conversation: 1, user: 2, state: "start" });
    expect(Object.keys(store.getState().typing[1] ?? {})).toEqual(["2"]);
    vi.advanceTimersByTime(6000);
    expect(store.getState().typing[1]).toEqual({});
    socket.emit({ type: "typing", conversation: 1, user: 2, state: "start" });
    socket.emit({ type: "message.new", seq: 3, message: msg(3) });
    expect(store.getState().typing[1]).toEqual({});
  });

  it("applies reactions, edits, deletions, reads, presence and membership", async () => {
    const { store, socket } = await setup();
    await store.open(1);
    socket.emit({ type: "reaction", seq: 3, message: "m1", conversation: 1, user: 2, emoji: "🎉", state: "added" });
    socket.emit({
      type: "message.updated",
      seq: 4,
      conversation: 1,
      message: msg(2, { body: "edited", edited_at: "2026-01-02T00:00:00Z" }),
    });
    socket.emit({ type: "message.deleted", seq: 5, conversation: 1, id: "m1", by_moderator: false });
    socket.emit({ type: "read", seq: 6, conversation: 1, user: 2, up_to: 2 });
    socket.emit({ type: "presence", user: 2, status: "online" });
    socket.emit({
      type: "membership",
      seq: null,
      conversation: { id: 7, kind: "group", title: "Team" },
      user: 1,
      state: "added",
    });
    await vi.advanceTimersByTimeAsync(0); // the full conversation is fetched
    const state = store.getState();
    const [first, second] = state.timelines[1]?.messages ?? [];
    expect(first).toMatchObject({ deleted: true, body: "" });
    expect(first?.reactions).toEqual([{ emoji: "🎉", count: 1, users: [2] }]);
    expect(second?.body).toBe("edited");
    expect(state.reads[1]).toEqual({ 2: 2 });
    expect(state.presence[2]).toBe("online");
    expect(state.conversations[7]).toBeDefined();
    socket.emit({ type: "membership", seq: 1, conversation: conversation(7), user: 1, state: "removed" });
    expect(store.getState().conversations[7]).toBeUndefined();
  });

  it("knows senders by name, and fetches the people it cannot name once, in pages of 20", async () => {
    const { store, socket, http } = await setup();
    socket.emit({ type: "message.new", seq: 3, message: msg(3) });
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

  it("opened offline, loads the conversation list once the socket has synced", async () => {
    const { store, socket, http } = await setup();
    vi.mocked(http.conversations).mockClear();
    // as if the first load had failed: no network when the app opened
    vi.mocked(http.conversations).mockRejectedValueOnce(new TypeError("Failed to fetch"));
    await store.loadConversations();
    expect(store.getState().loadError).toBe("Could not load your conversations.");
    socket.emit({ type: "sync.done", conversations: {}, more: false });
    await vi.runAllTimersAsync();
    expect(http.conversations).toHaveBeenCalledTimes(2);
    expect(store.getState().loadError).toBeNull();
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
});
