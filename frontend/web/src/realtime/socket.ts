// One WebSocket for all of the user's conversations (protocol version 2): reconnects with backoff and
// jitter, refreshes the token on 4401, stops on 4403, reloads the page on 4426, waits long on 4429, sends
// `sync` after every (re)connect and pages it until `sync.done` says there is no more, and watches a heartbeat.
import {
  CLOSE_CLIENT,
  CLOSE_GOING_AWAY,
  CLOSE_SUSPENDED,
  CLOSE_TOO_MANY_SOCKETS,
  CLOSE_UNAUTHENTICATED,
  CLOSE_UPGRADE_REQUIRED,
  parseFrame,
  type ClientFrame,
  type ServerFrame,
} from "./protocol";

export type SocketStatus =
  | "idle"
  | "connecting"
  | "syncing"
  | "online"
  | "offline"
  | "suspended"
  | "outdated"
  | "closed";

export interface StatusInfo {
  status: SocketStatus;
  attempt: number;
  retryAt: number | null; // epoch ms of the next try while offline
  reason?: string;
}

/** The part of the browser's WebSocket this module uses, so tests can hand in a fake. */
export interface WebSocketLike {
  readonly readyState: number;
  onopen: ((event: unknown) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onerror: ((event: unknown) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

export interface SocketOptions {
  url: (token: string) => string;
  /** An access token good for a while (refreshing it when near expiry); null when there is none. */
  getToken: () => Promise<string | null>;
  /** A new access token, whatever the current one; null when the session is over. */
  refreshToken: () => Promise<string | null>;
  /** Every known conversation's id and cursor (the highest seq applied), the most recently active first,
   * for `sync`; read again for each page. */
  since: () => [string, number][];
  /** The server refused this client's protocol version (4426): load the new one. */
  upgradeRequired?: () => void;
  create?: (url: string) => WebSocketLike;
  random?: () => number;
  now?: () => number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  pingEveryMs?: number;
  pongTimeoutMs?: number;
}

const OPEN = 1;
/** `sync` names at most this many conversations (docs/protocol.md). */
export const SYNC_MAX_CONVERSATIONS = 1000;
/** A `sync` refused as rate limited is asked again after this long. */
const SYNC_RETRY_MS = 1000;
/** Why the socket is offline when the account holds as many sockets as it may (4429). */
export const TOO_MANY_SOCKETS = "Too many tabs or devices";
/** After a 4429 the next try waits as the backoff's this-many-th would (15–30 s): until a tab or device
 * closes, trying sooner only asks again. */
const TOO_MANY_SOCKETS_ATTEMPT = 6;

/** Backoff before try number `attempt` (0-based): base·2^attempt capped at max, then 50–100 %. */
export function backoffDelay(attempt: number, random: () => number, baseMs = 500, maxMs = 30_000): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 30));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

const UPGRADE_RELOAD_KEY = "parley.upgrade-reload";

/** Reload to load the new client, at most once a minute: should the server refuse it too, the page shows
 * that it is out of date instead of reloading in a loop. */
export function reloadForUpgrade(): void {
  try {
    const last = Number(sessionStorage.getItem(UPGRADE_RELOAD_KEY) ?? 0);
    if (Date.now() - last < 60_000) return;
    sessionStorage.setItem(UPGRADE_RELOAD_KEY, String(Date.now()));
  } catch {
    // storage disabled: reload anyway
  }
  window.location.reload();
}

export class ChatSocket {
  private ws: WebSocketLike | null = null;
  private attempt = 0;
  private authFailures = 0;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private syncRetryTimer: ReturnType<typeof setTimeout> | null = null;
  private awaitingSync = false;
  private pingTimer: ReturnType<typeof setInterval> | null = null;
  private pongTimer: ReturnType<typeof setTimeout> | null = null;
  private stopped = true;
  private generation = 0; // bumped whenever a connection attempt is superseded
  private browserOffline = false;
  private info: StatusInfo = { status: "idle", attempt: 0, retryAt: null };
  private readonly frameListeners = new Set<(frame: ServerFrame) => void>();
  private readonly statusListeners = new Set<(info: StatusInfo) => void>();
  private readonly openListeners = new Set<() => void>();
  private readonly opts: Required<SocketOptions>;

  constructor(options: SocketOptions) {
    this.opts = {
      create: (url) => new WebSocket(url) as unknown as WebSocketLike,
      upgradeRequired: reloadForUpgrade,
      random: Math.random,
      now: Date.now,
      baseDelayMs: 500,
      maxDelayMs: 30_000,
      pingEveryMs: 25_000,
      pongTimeoutMs: 10_000,
      ...options,
    };
  }

  get status(): StatusInfo {
    return this.info;
  }

  get isOpen(): boolean {
    return this.ws?.readyState === OPEN;
  }

  onFrame(listener: (frame: ServerFrame) => void): () => void {
    this.frameListeners.add(listener);
    return () => this.frameListeners.delete(listener);
  }

  onStatus(listener: (info: StatusInfo) => void): () => void {
    this.statusListeners.add(listener);
    return () => this.statusListeners.delete(listener);
  }

  /** Called on every (re)connect, once the socket is open and `sync` is sent: what the server must be told
   * afresh on each connection (this page's activity) is sent from here. */
  onOpen(listener: () => void): () => void {
    this.openListeners.add(listener);
    return () => this.openListeners.delete(listener);
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    if (this.browserOffline) this.setStatus({ status: "offline", attempt: 0, retryAt: null, reason: "No network" });
    else void this.connect();
  }

  stop(): void {
    this.stopped = true;
    this.clearTimers();
    this.dropSocket();
    this.setStatus({ status: "closed", attempt: 0, retryAt: null });
  }

  /** Send a frame now; false when the socket is not open (the caller keeps it for later). */
  send(frame: ClientFrame): boolean {
    if (!this.ws || this.ws.readyState !== OPEN) return false;
    this.ws.send(JSON.stringify(frame));
    return true;
  }

  /** The browser says the network is gone: drop the socket rather than wait for TCP to notice. */
  browserWentOffline(): void {
    this.browserOffline = true;
    if (this.stopped) return;
    this.clearTimers();
    this.dropSocket();
    this.setStatus({ status: "offline", attempt: this.attempt, retryAt: null, reason: "No network" });
  }

  /** The network is back: try at once, with a fresh backoff. */
  browserWentOnline(): void {
    this.browserOffline = false;
    if (this.stopped) return;
    this.attempt = 0;
    this.reconnectNow();
  }

  /** Reconnect at once (a "retry now" button, a 1001 from the server). */
  reconnectNow(): void {
    if (this.stopped) return;
    this.clearTimers();
    this.dropSocket();
    void this.connect();
  }

  private async connect(): Promise<void> {
    const generation = ++this.generation;
    this.setStatus({ status: "connecting", attempt: this.attempt, retryAt: null });
    let token: string | null;
    try {
      token = await this.opts.getToken();
    } catch {
      token = null;
    }
    if (this.stopped || generation !== this.generation) return;
    if (!token) {
      this.scheduleRetry("Could not authenticate");
      return;
    }
    const ws = this.opts.create(this.opts.url(token));
    this.ws = ws;
    ws.onopen = () => this.handleOpen(ws);
    ws.onmessage = (event) => this.handleMessage(ws, event.data);
    ws.onclose = (event) => void this.handleClose(ws, event.code, event.reason);
    ws.onerror = () => undefined; // a close always follows
  }

  private handleOpen(ws: WebSocketLike): void {
    if (ws !== this.ws) return;
    this.attempt = 0;
    this.setStatus({ status: "syncing", attempt: 0, retryAt: null });
    this.sendSync();
    this.startHeartbeat();
    for (const listener of this.openListeners) listener();
  }

  /** Ask for everything after our cursors. `complete` lets the server report conversations joined or left
   * while away; it needs the whole list, which fits unless the store knows more than the limit. */
  private sendSync(): void {
    const cursors = this.opts.since();
    const complete = cursors.length <= SYNC_MAX_CONVERSATIONS;
    const since = Object.fromEntries(cursors.slice(0, SYNC_MAX_CONVERSATIONS));
    this.awaitingSync = this.send({ type: "sync", since, complete });
  }

  private handleMessage(ws: WebSocketLike, data: unknown): void {
    if (ws !== this.ws) return;
    this.armPongTimeout(false); // any frame proves the connection lives
    const frame = parseFrame(data);
    if (!frame) return;
    for (const listener of this.frameListeners) listener(frame);
    // After the listeners: the next page starts from the cursors the last one moved.
    if (frame.type === "sync.done") this.syncDone(frame.more === true);
    if (frame.type === "error" && frame.code === "rate_limited" && frame.ref === null) this.syncRefused();
  }

  private syncDone(more: boolean): void {
    this.awaitingSync = false;
    if (more) {
      this.sendSync();
      return;
    }
    this.authFailures = 0;
    this.setStatus({ status: "online", attempt: 0, retryAt: null });
  }

  /** A refusal names no frame but a send's client_id: while a `sync` is unanswered, it may be the one. */
  private syncRefused(): void {
    if (!this.awaitingSync || this.syncRetryTimer) return;
    this.syncRetryTimer = setTimeout(() => {
      this.syncRetryTimer = null;
      if (this.awaitingSync) this.sendSync();
    }, SYNC_RETRY_MS);
  }

  private async handleClose(ws: WebSocketLike, code: number, reason: string): Promise<void> {
    if (ws !== this.ws) return;
    this.ws = null;
    this.clearTimers();
    if (this.stopped) return;
    if (code === CLOSE_SUSPENDED) {
      this.stopped = true;
      this.setStatus({ status: "suspended", attempt: 0, retryAt: null, reason: reason || "Account suspended" });
      return;
    }
    if (code === CLOSE_UPGRADE_REQUIRED) {
      this.stopped = true;
      this.setStatus({ status: "outdated", attempt: 0, retryAt: null, reason: "A new version of Parley is out" });
      this.opts.upgradeRequired();
      return;
    }
    if (this.browserOffline) {
      this.setStatus({ status: "offline", attempt: this.attempt, retryAt: null, reason: "No network" });
      return;
    }
    if (code === CLOSE_UNAUTHENTICATED && this.authFailures === 0) {
      this.authFailures += 1;
      const token = await this.opts.refreshToken().catch(() => null);
      if (this.stopped) return;
      if (token) {
        void this.connect();
        return;
      }
    }
    if (code === CLOSE_TOO_MANY_SOCKETS) {
      this.attempt = Math.max(this.attempt, TOO_MANY_SOCKETS_ATTEMPT);
      this.scheduleRetry(TOO_MANY_SOCKETS);
      return;
    }
    if (code === CLOSE_GOING_AWAY && this.attempt === 0) {
      this.attempt = 1; // once at once; if that fails too, back off
      void this.connect();
      return;
    }
    this.scheduleRetry(code === CLOSE_CLIENT ? "Connection lost" : "Disconnected");
  }

  private scheduleRetry(reason: string): void {
    const delay = backoffDelay(this.attempt, this.opts.random, this.opts.baseDelayMs, this.opts.maxDelayMs);
    this.attempt += 1;
    this.setStatus({ status: "offline", attempt: this.attempt, retryAt: this.opts.now() + delay, reason });
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      void this.connect();
    }, delay);
  }

  private startHeartbeat(): void {
    this.pingTimer = setInterval(() => {
      if (this.send({ type: "ping" })) this.armPongTimeout(true);
    }, this.opts.pingEveryMs);
  }

  private armPongTimeout(arm: boolean): void {
    if (this.pongTimer) clearTimeout(this.pongTimer);
    this.pongTimer = null;
    if (!arm) return;
    this.pongTimer = setTimeout(() => {
      const ws = this.ws;
      if (!ws) return;
      ws.close(CLOSE_CLIENT, "heartbeat");
      void this.handleClose(ws, CLOSE_CLIENT, "heartbeat"); // don't wait for a dead TCP close
    }, this.opts.pongTimeoutMs);
  }

  private dropSocket(): void {
    this.generation += 1;
    const ws = this.ws;
    this.ws = null;
    if (!ws) return;
    ws.onopen = ws.onmessage = ws.onerror = null;
    ws.onclose = null;
    try {
      ws.close(CLOSE_CLIENT, "client");
    } catch {
      // already closed
    }
  }

  private clearTimers(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.syncRetryTimer) clearTimeout(this.syncRetryTimer);
    if (this.pingTimer) clearInterval(this.pingTimer);
    if (this.pongTimer) clearTimeout(this.pongTimer);
    this.retryTimer = this.syncRetryTimer = this.pingTimer = this.pongTimer = null;
    this.awaitingSync = false;
  }

  private setStatus(info: StatusInfo): void {
    this.info = info;
    for (const listener of this.statusListeners) listener(info);
  }
}
