// IndexedDB in Node: fake-indexeddb implements the whole API in memory, per test file.
import "fake-indexeddb/auto";
import { describe, expect, it, vi } from "vitest";
import type { Endpoints } from "../api/endpoints";
import type { ClientFrame, ServerFrame } from "../realtime/protocol";
import { conversation, me, outboxRecord } from "../test/fixtures";
import { Drafts, DRAFT_WRITE_DELAY_MS } from "./drafts";
import { openLocalStore } from "./persist";
import { ChatStore, type SocketPort } from "./store";

let databases = 0;
/** A database of its own per test; opening it again by name is what a reload does. */
const freshName = () => `parley-test-${++databases}`;


/** The drafts the user has in storage (written shortly after typing). */
const stored = async (name: string, user: number) =>
  Object.fromEntries((await (await openLocalStore(name)).drafts(user)).map((r) => [r.conversation, r.text]));

describe("the outbox in IndexedDB", () => {
  it("keeps records across a reload, per user, oldest first, until deleted", async () => {
    const name = freshName();
    const before = await openLocalStore(name);
    await before.putOutbox(outboxRecord(1, "b", "2026-01-01T00:00:02Z"));
    await before.putOutbox(outboxRecord(1, "a", "2026-01-01T00:00:01Z"));
    await before.putOutbox(outboxRecord(2, "c", "2026-01-01T00:00:03Z"));
    await before.putOutbox({ ...outboxRecord(1, "b", "2026-01-01T00:00:02Z"), failure: { code: "forbidden", detail: "No" } });

    const after = await openLocalStore(name);
    expect((await after.outbox(1)).map((r) => [r.client_id, r.failure?.code ?? null])).toEqual([
      ["a", null],
      ["b", "forbidden"],
    ]);
    await after.deleteOutbox(1, "a");
    expect((await after.outbox(1)).map((r) => r.client_id)).toEqual(["b"]);
    expect((await after.outbox(2)).map((r) => r.client_id)).toEqual(["c"]);
  });

  it("takes a sent draft out in the same write that keeps the message", async () => {
    const name = freshName();
    const before = await openLocalStore(name);
    await before.putDraft({ user: 1, conversation: 4, text: "body of a" });
    await before.putDraft({ user: 1, conversation: 5, text: "elsewhere" });
    await before.putOutbox(outboxRecord(1, "a", "2026-01-01T00:00:01Z"), { clearDraft: true });
    await before.putOutbox({ ...outboxRecord(1, "b", "2026-01-01T00:00:02Z"), conversation: 5 });

    const after = await openLocalStore(name);
    expect((await after.outbox(1)).map((r) => r.client_id)).toEqual(["a", "b"]);
    expect((await after.drafts(1)).map((r) => [r.conversation, r.text])).toEqual([[5, "elsewhere"]]);
  });

  it("forgets one user's outbox and drafts, and only theirs", async () => {
    const local = await openLocalStore(freshName());
    await local.putOutbox(outboxRecord(1, "a", "2026-01-01T00:00:01Z"));
    await local.putOutbox(outboxRecord(2, "b", "2026-01-01T00:00:01Z"));
    await local.putDraft({ user: 1, conversation: 4, text: "mine" });
    await local.putDraft({ user: 2, conversation: 4, text: "theirs" });
    await local.forget(1);
    expect(await local.outbox(1)).toEqual([]);
    expect(await local.drafts(1)).toEqual([]);
    expect((await local.outbox(2)).map((r) => r.client_id)).toEqual(["b"]);
    expect((await local.drafts(2)).map((r) => r.text)).toEqual(["theirs"]);
  });
});

describe("drafts", () => {
  it("keeps each conversation's draft, and brings them back after a reload", async () => {
    const name = freshName();
    const drafts = new Drafts(openLocalStore(name), Promise.resolve(1));
    await drafts.ready();
    drafts.set(4, "half a thought");
    drafts.set(5, "another");
    drafts.set(5, "another one"); // switching back and forth keeps each
    expect([drafts.get(4), drafts.get(5), drafts.get(6)]).toEqual(["half a thought", "another one", ""]);
    expect(await stored(name, 1)).toEqual({}); // not at every keystroke
    await vi.waitFor(async () => expect(await stored(name, 1)).toEqual({ 4: "half a thought", 5: "another one" }), {
      timeout: DRAFT_WRITE_DELAY_MS * 8,
    });

    const reloaded = new Drafts(openLocalStore(name), Promise.resolve(1));
    await reloaded.ready();
    expect([reloaded.get(4), reloaded.get(5)]).toEqual(["half a thought", "another one"]);
    reloaded.set(4, "");
    await reloaded.flush();
    const again = new Drafts(openLocalStore(name), Promise.resolve(1));
    await again.ready();
    expect(again.get(4)).toBe("");
    expect(again.get(5)).toBe("another one");
  });

  it("writes at once when flushed (the composer closes, the page is hidden)", async () => {
    const name = freshName();
    const drafts = new Drafts(openLocalStore(name), Promise.resolve(1));
    drafts.set(4, "typed just now");
    await drafts.flush(4);
    expect(await stored(name, 1)).toEqual({ 4: "typed just now" });
  });

  it("lets what is typed while the saved drafts load win over them", async () => {
    const name = freshName();
    await (await openLocalStore(name)).putDraft({ user: 1, conversation: 4, text: "saved" });
    const drafts = new Drafts(openLocalStore(name), Promise.resolve(1));
    drafts.set(4, "typed before they loaded");
    await drafts.ready();
    expect(drafts.get(4)).toBe("typed before they loaded");
  });
});

describe("drafts in two tabs", () => {
  it("lets a message sent in one tab take out its own stored draft, not one another tab wrote since", async () => {
    const name = freshName();
    const [tabA, tabB] = await Promise.all([openLocalStore(name), openLocalStore(name)]);
    await tabB.putDraft({ user: 1, conversation: 4, text: "body of m" });
    await tabA.putDraft({ user: 1, conversation: 4, text: "typed in A" });

    await tabB.putOutbox(outboxRecord(1, "m", "2026-01-01T00:00:01Z"), { clearDraft: true });
    expect(await stored(name, 1)).toEqual({ 4: "typed in A" }); // it was deleted: gone at A's next reload

    await tabA.putOutbox({ ...outboxRecord(1, "n", "2026-01-01T00:00:02Z"), body: "typed in A" }, { clearDraft: true });
    expect(await stored(name, 1)).toEqual({});
  });

  it("lets a box emptied in one tab leave the draft another tab wrote since", async () => {
    const name = freshName();
    const [tabA, tabB] = await Promise.all([openLocalStore(name), openLocalStore(name)]);
    await tabB.putDraft({ user: 1, conversation: 4, text: "typed in B" });
    await tabA.putDraft({ user: 1, conversation: 4, text: "typed in A" });
    await tabB.putDraft({ user: 1, conversation: 4, text: "" });
    expect(await stored(name, 1)).toEqual({ 4: "typed in A" });
  });

  it("writes a tab's draft again when another tab sends the one stored over it", async () => {
    const name = freshName();
    const tabA = new Drafts(openLocalStore(name), Promise.resolve(1));
    const tabB = await openLocalStore(name);
    tabA.set(4, "typed in A");
    await tabA.flush(4);
    await tabB.putDraft({ user: 1, conversation: 4, text: "body of m" }); // written over A's

    await tabB.putOutbox(outboxRecord(1, "m", "2026-01-01T00:00:01Z"), { clearDraft: true });

    await vi.waitFor(async () => expect(await stored(name, 1)).toEqual({ 4: "typed in A" }));
    expect(tabA.get(4)).toBe("typed in A");
  });
});

describe("the store's outbox across a reload", () => {
  /** The app in a page: a store on the browser's IndexedDB, its socket open. */
  async function page(name: string) {
    const sent: ClientFrame[] = [];
    const listeners: ((frame: ServerFrame) => void)[] = [];
    const socket: SocketPort = {
      status: { status: "idle", attempt: 0, retryAt: null },
      send: (frame) => sent.push(frame) > 0,
      onFrame: (listener) => (listeners.push(listener), () => undefined),
      onStatus: () => () => undefined,
      start: () => undefined,
      stop: () => undefined,
    };
    const http = {
      conversations: vi.fn(async () => ({ count: 1, next: null, results: [conversation(4, { last_seq: 3 })] })),
      followedThreads: vi.fn(async () => ({ count: 0, next: null, results: [] })),
      notificationSettings: vi.fn(async () => ({ direct: "all", group: "all", channel: "mentions" })),
    } as unknown as Endpoints;
    const store = new ChatStore({ http, socket, local: openLocalStore(name) });
    await store.start(me);
    const synced = () => listeners.forEach((l) => l({ type: "sync.done", conversations: {}, more: false }));
    return { store, sent, synced };
  }

  it("sends the unacknowledged message again after a reload, with the same client_id", async () => {
    const name = freshName();
    const before = await page(name);
    const clientId = before.store.send(4, "lost in the crash?");
    const local = await openLocalStore(name);
    await vi.waitFor(async () => expect(await local.outbox(me.id)).toHaveLength(1)); // written in the background
    before.store.stop();

    const after = await page(name);
    expect(after.store.getState().timelines[4]?.outbox.map((m) => [m.client_id, m.body, m.state])).toEqual([
      [clientId, "lost in the crash?", "pending"],
    ]);
    after.synced();
    expect(after.sent.filter((f) => f.type === "message.send")).toEqual([
      expect.objectContaining({ client_id: clientId, conversation: 4, body: "lost in the crash?" }),
    ]);
    after.store.stop();
  });
});
