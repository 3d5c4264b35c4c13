import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { socketUrl } from "./protocol";
import { backoffDelay, ChatSocket, type StatusInfo, type WebSocketLike } from "./socket";

class FakeSocket implements WebSocketLike {
  readyState = 0;
  sent: unknown[] = [];
  closedWith: number | null = null;
  onopen: ((event: unknown) => void) | null = null;
  onclose: ((event: { code: number; reason: string }) => void) | null = null;
  onmessage: ((event: { data: unknown }) => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;
  constructor(readonly url: string) {}
  send(data: string) {
    this.sent.push(JSON.parse(data));
  }
  close(code = 1000) {
    this.closedWith = code;
    this.readyState = 3;
  }
  // test helpers
  open() {
    this.readyState = 1;
    this.onopen?.({});
  }
  receive(frame: object) {
    this.onmessage?.({ data: JSON.stringify(frame) });
  }
  drop(code = 1006, reason = "") {
    this.readyState = 3;
    this.onclose?.({ code, reason });
  }
}

function setup(
  overrides: {
    token?: () => Promise<string | null>;
    refresh?: () => Promise<string | null>;
    since?: () => [string, number][];
  } = {},
) {
  const sockets: FakeSocket[] = [];
  const statuses: StatusInfo[] = [];
  const refreshToken = vi.fn(overrides.refresh ?? (async () => "fresh"));
  const upgradeRequired = vi.fn();
  const socket = new ChatSocket({
    url: (token) => socketUrl(token, { protocol: "http:", host: "test" }),
    getToken: overrides.token ?? (async () => "tok"),
    refreshToken,
    since: overrides.since ?? (() => [["12", 40]]),
    upgradeRequired,
    create: (url) => {
      const fake = new FakeSocket(url);
      sockets.push(fake);
      return fake;
    },
    random: () => 0.5,
  });
  socket.onStatus((info) => statuses.push(info));
  const last = () => sockets[sockets.length - 1] as FakeSocket;
  return { socket, sockets, statuses, refreshToken, upgradeRequired, last };
}

const flush = () => vi.advanceTimersByTimeAsync(0);

describe("backoffDelay", () => {
  it("doubles from 0.5 s up to 30 s with 50–100 % jitter", () => {
    expect(backoffDelay(0, () => 0)).toBe(250);
    expect(backoffDelay(0, () => 1)).toBe(500);
    expect(backoffDelay(3, () => 1)).toBe(4000);
    expect(backoffDelay(20, () => 1)).toBe(30_000);
    expect(backoffDelay(20, () => 0)).toBe(15_000);
  });
});

describe("ChatSocket", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("asks for protocol version 2 and syncs every known conversation's cursor, complete", async () => {
    const { socket, last } = setup();
    socket.start();
    await flush();
    expect(last().url).toBe("ws://test/ws/?v=2&token=tok");
    last().open();
    expect(last().sent).toEqual([{ type: "sync", since: { "12": 40 }, complete: true }]);
    expect(socket.status.status).toBe("syncing");
    last().receive({ type: "sync.done", conversations: { "12": 42 }, more: false });
    expect(socket.status.status).toBe("online");
  });

  it("tells open-listeners of every (re)connect, after the sync, so they can send this page's activity", async () => {
    const { socket, last } = setup();
    socket.onOpen(() => socket.send({ type: "activity", visible: true, focused: false, idle_seconds: 4 }));
    socket.start();
    await flush();
    last().open();
    expect(last().sent).toEqual([
      { type: "sync", since: { "12": 40 }, complete: true },
      { type: "activity", visible: true, focused: false, idle_seconds: 4 },
    ]);
    last().drop(1006);
    await vi.advanceTimersByTimeAsync(1000);
    last().open();
    expect(last().sent.map((f) => (f as { type: string }).type)).toEqual(["sync", "activity"]);
  });

  it("pages the sync: while sync.done says more, asks again from the cursors the page moved", async () => {
    const cursors: Record<string, number> = { "12": 40, "13": 7 };
    const { socket, last } = setup({ since: () => Object.entries(cursors) });
    socket.onFrame((frame) => {
      if (frame.type === "sync.done") Object.assign(cursors, frame.conversations); // what the store does
    });
    socket.start();
    await flush();
    last().open();
    last().receive({ type: "sync.done", conversations: { "12": 540 }, more: true });
    expect(socket.status.status).toBe("syncing");
    last().receive({ type: "sync.done", conversations: { "12": 600, "13": 300 }, more: true });
    last().receive({ type: "sync.done", conversations: { "13": 350 }, more: false });
    expect(last().sent).toEqual([
      { type: "sync", since: { "12": 40, "13": 7 }, complete: true },
      { type: "sync", since: { "12": 540, "13": 7 }, complete: true },
      { type: "sync", since: { "12": 600, "13": 300 }, complete: true },
    ]);
    expect(socket.status.status).toBe("online");
  });

  it("asks again, a second later, for a sync refused as rate limited", async () => {
    const { socket, last } = setup();
    socket.start();
    await flush();
    last().open();
    last().receive({ type: "error", code: "rate_limited", detail: "slow down", ref: null });
    await vi.advanceTimersByTimeAsync(999);
    expect(last().sent).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(last().sent).toEqual([
      { type: "sync", since: { "12": 40 }, complete: true },
      { type: "sync", since: { "12": 40 }, complete: true },
    ]);
  });

  it("names at most 1,000 conversations, the first given, and then not as the complete list", async () => {
    const many = Array.from({ length: 1001 }, (_, i): [string, number] => [String(1001 - i), 5]); // most recent first
    const { socket, last } = setup({ since: () => many });
    socket.start();
    await flush();
    last().open();
    const [frame] = last().sent as { since: Record<string, number>; complete: boolean }[];
    expect(Object.keys(frame?.since ?? {})).toHaveLength(1000);
    expect(frame?.since).not.toHaveProperty("1");
    expect(frame?.complete).toBe(false);
  });

  it("reloads for the new version on 4426, and does not reconnect", async () => {
    const { socket, sockets, last, upgradeRequired } = setup();
    socket.start();
    await flush();
    last().drop(4426);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(upgradeRequired).toHaveBeenCalledOnce();
    expect(sockets).toHaveLength(1);
    expect(socket.status.status).toBe("outdated");
  });

  it("reconnects with growing delays after drops, and resets them once connected", async () => {
    const { socket, sockets, last } = setup();
    socket.start();
    await flush();
    last().drop();
    expect(socket.status.status).toBe("offline");
    await vi.advanceTimersByTimeAsync(374); // attempt 0: 375 ms with random 0.5
    expect(sockets).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(sockets).toHaveLength(2);
    last().drop();
    await vi.advanceTimersByTimeAsync(749); // attempt 1: 750 ms
    expect(sockets).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1);
    expect(sockets).toHaveLength(3);
    last().open();
    last().drop();
    await vi.advanceTimersByTimeAsync(375); // back to attempt 0
    expect(sockets).toHaveLength(4);
    expect(last().sent).toEqual([]);
    last().open();
    expect(last().sent).toEqual([{ type: "sync", since: { "12": 40 }, complete: true }]);
  });

  it("refreshes the token on 4401 and reconnects with the new one", async () => {
    const { socket, last, refreshToken } = setup();
    socket.start();
    await flush();
    last().drop(4401);
    await flush();
    expect(refreshToken).toHaveBeenCalledOnce();
    expect(last().url).toBe("ws://test/ws/?v=2&token=tok"); // getToken is asked again
  });

  it("stops for good on 4403", async () => {
    const { socket, sockets, last } = setup();
    socket.start();
    await flush();
    last().drop(4403, "suspended");
    await vi.advanceTimersByTimeAsync(60_000);
    expect(sockets).toHaveLength(1);
    expect(socket.status.status).toBe("suspended");
  });

  it("on 4429 says the account is open in too many places and waits long before trying again", async () => {
    const { socket, sockets, last } = setup();
    socket.start();
    await flush();
    last().open();
    last().drop(4429);
    expect(socket.status).toMatchObject({ status: "offline", reason: "Too many tabs or devices" });
    await vi.advanceTimersByTimeAsync(14_000);
    expect(sockets).toHaveLength(1); // not at the usual half second
    await vi.advanceTimersByTimeAsync(16_000);
    expect(sockets).toHaveLength(2);
  });

  it("reconnects at once on 1001", async () => {
    const { socket, sockets, last } = setup();
    socket.start();
    await flush();
    last().open();
    last().drop(1001);
    await flush();
    expect(sockets).toHaveLength(2);
  });

  it("drops the socket when the browser goes offline and reconnects when it is back", async () => {
    const { socket, sockets, last } = setup();
    socket.start();
    await flush();
    last().open();
    socket.browserWentOffline();
    expect(sockets[0]?.closedWith).toBe(4000);
    expect(socket.status.status).toBe("offline");
    await vi.advanceTimersByTimeAsync(60_000);
    expect(sockets).toHaveLength(1);
    socket.browserWentOnline();
    await flush();
    expect(sockets).toHaveLength(2);
  });

  it("started while the browser is offline, waits for the network instead of trying", async () => {
    const { socket, sockets } = setup();
    socket.browserWentOffline();
    socket.start();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(sockets).toHaveLength(0);
    expect(socket.status).toMatchObject({ status: "offline", reason: "No network", retryAt: null });
    socket.browserWentOnline();
    await flush();
    expect(sockets).toHaveLength(1);
  });

  it("treats a missing pong as a dead connection", async () => {
    const { socket, sockets, last } = setup();
    socket.start();
    await flush();
    last().open();
    await vi.advanceTimersByTimeAsync(25_000);
    expect(last().sent).toContainEqual({ type: "ping" });
    await vi.advanceTimersByTimeAsync(10_000);
    expect(sockets[0]?.closedWith).toBe(4000);
    await vi.advanceTimersByTimeAsync(500);
    expect(sockets).toHaveLength(2);
  });

  it("refuses to send while closed, so the caller keeps the frame", async () => {
    const { socket, last } = setup();
    expect(socket.send({ type: "ping" })).toBe(false);
    socket.start();
    await flush();
    last().open();
    expect(socket.send({ type: "ping" })).toBe(true);
  });

  it("retries with backoff when no token can be had", async () => {
    const { socket, sockets } = setup({ token: async () => null });
    socket.start();
    await flush();
    expect(sockets).toHaveLength(0);
    expect(socket.status.status).toBe("offline");
  });

  it("does nothing after stop", async () => {
    const { socket, sockets, last } = setup();
    socket.start();
    await flush();
    socket.stop();
    last().drop();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(sockets).toHaveLength(1);
    expect(socket.status.status).toBe("closed");
  });
});
