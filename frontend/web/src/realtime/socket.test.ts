import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
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

function setup(overrides: { token?: () => Promise<string | null>; refresh?: () => Promise<string | null> } = {}) {
  const sockets: FakeSocket[] = [];
  const statuses: StatusInfo[] = [];
  const refreshToken = vi.fn(overrides.refresh ?? (async () => "fresh"));
  const socket = new ChatSocket({
    url: (token) => `ws://test/ws/?token=${token}`,
    getToken: overrides.token ?? (async () => "tok"),
    refreshToken,
    since: () => ({ "12": 40 }),
    create: (url) => {
      const fake = new FakeSocket(url);
      sockets.push(fake);
      return fake;
    },
    random: () => 0.5,
  });
  socket.onStatus((info) => statuses.push(info));
  const last = () => sockets[sockets.length - 1] as FakeSocket;
  return { socket, sockets, statuses, refreshToken, last };
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

  it("connects with the token and sends sync with the last seq per conversation", async () => {
    const { socket, last } = setup();
    socket.start();
    await flush();
    expect(last().url).toBe("ws://test/ws/?token=tok");
    last().open();
    expect(last().sent).toEqual([{ type: "sync", since: { "12": 40 } }]);
    expect(socket.status.status).toBe("syncing");
    last().receive({ type: "sync.done", conversations: { "12": 42 } });
    expect(socket.status.status).toBe("online");
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
    expect(last().sent).toEqual([{ type: "sync", since: { "12": 40 } }]);
  });

  it("refreshes the token on 4401 and reconnects with the new one", async () => {
    const { socket, last, refreshToken } = setup();
    socket.start();
    await flush();
    last().drop(4401);
    await flush();
    expect(refreshToken).toHaveBeenCalledOnce();
    expect(last().url).toBe("ws://test/ws/?token=tok"); // getToken is asked again
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
