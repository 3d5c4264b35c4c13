// The app's live state: conversations, timelines, typing, presence and reads, fed by REST and the
// socket. React reads it with useSyncExternalStore; every update makes a new snapshot.
import { ApiError } from "../api/client";
import type { Endpoints } from "../api/endpoints";
import type { Conversation, Me, Message, UserRef } from "../api/types";
import type { ClientFrame, ServerFrame } from "../realtime/protocol";
import type { StatusInfo } from "../realtime/socket";
import {
  addPending,
  applyReaction,
  emptyTimeline,
  highestSeq,
  lowestSeq,
  markDeleted,
  receive,
  setSendState,
  type ChatMessage,
  type Timeline,
} from "./messages";

export interface SocketPort {
  readonly status: StatusInfo;
  send(frame: ClientFrame): boolean;
  onFrame(listener: (frame: ServerFrame) => void): () => void;
  onStatus(listener: (info: StatusInfo) => void): () => void;
  start(): void;
  stop(): void;
}

export interface ChatState {
  me: Me | null;
  conversations: Record<number, Conversation>;
  timelines: Record<number, Timeline>;
  /** conversation → user → typing expires at (epoch ms) */
  typing: Record<number, Record<number, number>>;
  presence: Record<number, "online" | "offline">;
  /** conversation → user → highest seq read */
  reads: Record<number, Record<number, number>>;
  /** People seen as senders or fetched by id: names for who reacted, in channels too. */
  users: Record<number, UserRef>;
  connection: StatusInfo;
  active: number | null;
  loadError: string | null;
}

export interface StoreDeps {
  http: Endpoints;
  socket: SocketPort;
  uuid?: () => string;
  now?: () => number;
  isVisible?: () => boolean;
  ackTimeoutMs?: number;
  typingTtlMs?: number;
}

export interface SendOptions {
  replyTo?: string | null;
  attachments?: Message["attachments"];
}

const PAGE = 50;
const USERS_PER_REQUEST = 20; // the users list's page size

export function sortConversations(conversations: Record<number, Conversation>): Conversation[] {
  return Object.values(conversations).sort(
    (a, b) => b.last_activity_at.localeCompare(a.last_activity_at) || b.id - a.id,
  );
}

export class ChatStore {
  private state: ChatState;
  private readonly listeners = new Set<() => void>();
  private readonly ackTimers = new Map<string, ReturnType<typeof setTimeout>>();
  private readonly unsubscribe: (() => void)[] = [];
  private syncedOnce = false;
  private readonly usersAsked = new Set<number>();
  private readonly deps: Required<StoreDeps>;

  constructor(deps: StoreDeps) {
    this.deps = {
      uuid: () => crypto.randomUUID(),
      now: Date.now,
      isVisible: () => typeof document === "undefined" || document.visibilityState === "visible",
      ackTimeoutMs: 15_000,
      typingTtlMs: 6_000,
      ...deps,
    };
    this.state = {
      me: null,
      conversations: {},
      timelines: {},
      typing: {},
      presence: {},
      reads: {},
      users: {},
      connection: deps.socket.status,
      active: null,
      loadError: null,
    };
  }

  // --- subscription (useSyncExternalStore)
  getState = (): ChatState => this.state;

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  private set(update: Partial<ChatState>): void {
    this.state = { ...this.state, ...update };
    for (const listener of this.listeners) listener();
  }

  private setTimeline(id: number, update: (timeline: Timeline) => Timeline): void {
    const current = this.state.timelines[id] ?? emptyTimeline();
    this.set({ timelines: { ...this.state.timelines, [id]: update(current) } });
  }

  private setConversation(id: number, update: (c: Conversation) => Conversation): void {
    const current = this.state.conversations[id];
    if (current) this.set({ conversations: { ...this.state.conversations, [id]: update(current) } });
  }

  // --- life cycle
  async start(me: Me): Promise<void> {
    this.set({ me });
    this.unsubscribe.push(
      this.deps.socket.onFrame((frame) => this.handleFrame(frame)),
      this.deps.socket.onStatus((connection) => this.set({ connection })),
    );
    await this.loadConversations();
    this.deps.socket.start();
  }

  stop(): void {
    for (const off of this.unsubscribe.splice(0)) off();
    for (const timer of this.ackTimers.values()) clearTimeout(timer);
    this.ackTimers.clear();
    this.deps.socket.stop();
  }

  /** The highest seq seen per conversation: what `sync` asks the server to continue from. */
  since = (): Record<string, number> => {
    const since: Record<string, number> = {};
    for (const c of Object.values(this.state.conversations)) {
      since[String(c.id)] = Math.max(c.last_seq, highestSeq(this.state.timelines[c.id]));
    }
    return since;
  };

  async loadConversations(): Promise<void> {
    try {
      const all: Conversation[] = [];
      for (let page = 1; page <= 10; page += 1) {
        const result = await this.deps.http.conversations(page);
        all.push(...result.results);
        if (!result.next) break;
      }
      this.mergeConversations(all);
      this.set({ loadError: null });
    } catch (error) {
      this.set({ loadError: error instanceof ApiError ? error.message : "Could not load your conversations." });
    }
  }

  /** Server copies win, except that what we have seen live is never rolled back. */
  private mergeConversations(list: Conversation[]): void {
    const conversations: Record<number, Conversation> = {};
    for (const fresh of list) {
      const known = this.state.conversations[fresh.id];
      const newer = known && known.last_seq > fresh.last_seq ? known : null;
      conversations[fresh.id] = newer
        ? { ...fresh, last_seq: newer.last_seq, last_message: newer.last_message, last_activity_at: newer.last_activity_at }
        : fresh;
    }
    this.set({ conversations });
  }

  upsertConversation(conversation: Conversation): void {
    this.set({ conversations: { ...this.state.conversations, [conversation.id]: conversation } });
  }

  removeConversation(id: number): void {
    const conversations = Object.fromEntries(
      Object.entries(this.state.conversations).filter(([key]) => Number(key) !== id),
    );
    this.set({ conversations, active: this.state.active === id ? null : this.state.active });
  }

  // --- the open conversation
  async open(id: number | null): Promise<void> {
    this.set({ active: id });
    if (id === null) return;
    if (!this.state.timelines[id]?.loaded) await this.loadLatest(id);
    this.markRead(id);
  }

  async loadLatest(id: number): Promise<void> {
    const page = await this.deps.http.messages(id, { limit: PAGE });
    this.rememberUsers(page.results.map((m) => m.sender));
    this.setTimeline(id, (t) => ({
      ...receive(t, page.results),
      hasMore: t.loaded ? t.hasMore : page.has_more,
      loaded: true,
    }));
  }

  async loadOlder(id: number): Promise<void> {
    const timeline = this.state.timelines[id];
    if (!timeline?.loaded || !timeline.hasMore || timeline.loadingOlder) return;
    const before = lowestSeq(timeline);
    if (before === undefined) return;
    this.setTimeline(id, (t) => ({ ...t, loadingOlder: true }));
    try {
      const page = await this.deps.http.messages(id, { before_seq: before, limit: PAGE });
      this.rememberUsers(page.results.map((m) => m.sender));
      this.setTimeline(id, (t) => ({ ...receive(t, page.results), hasMore: page.has_more, loadingOlder: false }));
    } catch {
      this.setTimeline(id, (t) => ({ ...t, loadingOlder: false }));
    }
  }

  /** Tell the server we read the open conversation up to its newest message. */
  markRead(id: number): void {
    const conversation = this.state.conversations[id];
    if (!conversation || !this.deps.isVisible()) return;
    const seq = Math.max(conversation.last_seq, highestSeq(this.state.timelines[id]));
    if (seq <= conversation.last_read_seq && conversation.unread_count === 0) return;
    this.setConversation(id, (c) => ({ ...c, last_read_seq: Math.max(c.last_read_seq, seq), unread_count: 0 }));
    if (seq > 0 && !this.deps.socket.send({ type: "read", conversation: id, seq })) {
      void this.deps.http.markRead(id, seq).catch(() => undefined);
    }
  }

  // --- sending
  send(conversation: number, body: string, options: SendOptions = {}): string {
    const me = this.state.me;
    const clientId = this.deps.uuid();
    if (!me) return clientId;
    const message: ChatMessage = {
      id: `local-${clientId}`,
      conversation,
      seq: Number.MAX_SAFE_INTEGER,
      sender: { id: me.id, username: me.username, display_name: me.display_name },
      body,
      client_id: clientId,
      reply_to: options.replyTo ?? null,
      created_at: new Date(this.deps.now()).toISOString(),
      edited_at: null,
      deleted: false,
      attachments: options.attachments ?? [],
      reactions: [],
      state: "pending",
    };
    this.setTimeline(conversation, (t) => addPending(t, message));
    this.transmit(message);
    return clientId;
  }

  /** Send a failed message again, with the same client_id so the server can't store it twice. */
  retry(conversation: number, clientId: string): void {
    const message = this.state.timelines[conversation]?.outbox.find((m) => m.client_id === clientId);
    if (!message) return;
    this.setTimeline(conversation, (t) => setSendState(t, clientId, "pending"));
    this.transmit(message);
  }

  discard(conversation: number, clientId: string): void {
    this.setTimeline(conversation, (t) => ({ ...t, outbox: t.outbox.filter((m) => m.client_id !== clientId) }));
  }

  private transmit(message: ChatMessage): void {
    const sent = this.deps.socket.send({
      type: "message.send",
      conversation: message.conversation,
      body: message.body,
      client_id: message.client_id,
      reply_to: message.reply_to,
      attachments: message.attachments.map((a) => a.id),
    });
    if (!sent) return; // stays pending; sent again once the socket is back (see onSynced)
    const previous = this.ackTimers.get(message.client_id);
    if (previous) clearTimeout(previous);
    this.ackTimers.set(
      message.client_id,
      setTimeout(() => this.fail(message.conversation, message.client_id, "No answer from the server"), this.deps.ackTimeoutMs),
    );
  }

  private fail(conversation: number, clientId: string, error: string): void {
    this.clearAck(clientId);
    this.setTimeline(conversation, (t) => setSendState(t, clientId, "failed", error));
  }

  private clearAck(clientId: string): void {
    const timer = this.ackTimers.get(clientId);
    if (timer) clearTimeout(timer);
    this.ackTimers.delete(clientId);
  }

  // --- other actions
  edit(messageId: string, body: string): void {
    this.deps.socket.send({ type: "message.edit", message: messageId, body });
  }

  remove(messageId: string): void {
    this.deps.socket.send({ type: "message.delete", message: messageId });
  }

  react(message: ChatMessage, emoji: string): void {
    const me = this.state.me;
    if (!me) return;
    const mine = message.reactions?.some((r) => r.emoji === emoji && r.users.includes(me.id));
    this.deps.socket.send({ type: mine ? "reaction.remove" : "reaction.add", message: message.id, emoji });
  }

  /** Fetch the people in `ids` not known yet (once per session each), so that they can be named. */
  resolveUsers(ids: number[]): void {
    const unknown = [...new Set(ids)].filter((id) => !this.state.users[id] && !this.usersAsked.has(id));
    for (let i = 0; i < unknown.length; i += USERS_PER_REQUEST) {
      const batch = unknown.slice(i, i + USERS_PER_REQUEST);
      batch.forEach((id) => this.usersAsked.add(id));
      void this.deps.http.usersByIds(batch).then(
        (page) => this.rememberUsers(page.results.map((u) => ({ id: u.id, username: u.username, display_name: u.display_name ?? "" }))),
        () => undefined,
      );
    }
  }

  private rememberUsers(users: UserRef[]): void {
    const known = this.state.users;
    const news = users.filter((u) => known[u.id]?.display_name !== u.display_name || known[u.id]?.username !== u.username);
    if (news.length) this.set({ users: { ...known, ...Object.fromEntries(news.map((u) => [u.id, u])) } });
  }

  typing(conversation: number, state: "start" | "stop"): void {
    this.deps.socket.send({ type: "typing", conversation, state });
  }

  // --- frames from the server
  handleFrame(frame: ServerFrame): void {
    switch (frame.type) {
      case "message.ack":
        this.clearAck(frame.client_id);
        this.onMessage(frame.message);
        break;
      case "message.new":
        this.onMessage(frame.message);
        break;
      case "message.updated":
        if (this.state.timelines[frame.message.conversation]) {
          this.setTimeline(frame.message.conversation, (t) => receive(t, [frame.message]));
        }
        this.refreshPreview(frame.message);
        break;
      case "message.deleted":
        this.setTimeline(frame.conversation, (t) => markDeleted(t, frame.id));
        this.setConversation(frame.conversation, (c) =>
          c.last_message?.id === frame.id ? { ...c, last_message: { ...c.last_message, deleted: true, body: "" } } : c,
        );
        break;
      case "reaction":
        this.setTimeline(frame.conversation, (t) => applyReaction(t, frame.message, frame.user, frame.emoji, frame.state));
        break;
      case "typing":
        this.onTyping(frame.conversation, frame.user, frame.state);
        break;
      case "read":
        this.onRead(frame.conversation, frame.user, frame.up_to);
        break;
      case "presence":
        this.set({ presence: { ...this.state.presence, [frame.user]: frame.status } });
        break;
      case "membership":
        this.onMembership(frame.conversation, frame.user, frame.state);
        break;
      case "sync.done":
        void this.onSynced();
        break;
      case "error":
        this.onError(frame.code, frame.detail, frame.ref);
        break;
      case "pong":
        break;
    }
  }

  private onMessage(message: Message): void {
    this.rememberUsers([message.sender]);
    const id = message.conversation;
    const mine = message.sender.id === this.state.me?.id;
    if (this.state.timelines[id] || mine) this.setTimeline(id, (t) => receive(t, [message]));
    this.clearTyping(id, message.sender.id);
    const conversation = this.state.conversations[id];
    if (!conversation) {
      void this.deps.http.conversation(id).then((c) => this.upsertConversation(c), () => undefined);
      return;
    }
    if (message.seq <= conversation.last_seq && conversation.last_message?.id !== message.id) return;
    const reading = this.state.active === id && this.deps.isVisible();
    const counts = !mine && !reading && message.seq > conversation.last_read_seq;
    this.setConversation(id, (c) => ({
      ...c,
      last_seq: Math.max(c.last_seq, message.seq),
      last_message: !c.last_message || message.seq >= c.last_message.seq ? message : c.last_message,
      last_activity_at: message.created_at > c.last_activity_at ? message.created_at : c.last_activity_at,
      unread_count: counts ? c.unread_count + 1 : c.unread_count,
      last_read_seq: mine ? Math.max(c.last_read_seq, message.seq) : c.last_read_seq,
    }));
    if (reading && !mine) this.markRead(id);
  }

  private refreshPreview(message: Message): void {
    this.setConversation(message.conversation, (c) =>
      c.last_message?.id === message.id ? { ...c, last_message: message } : c,
    );
  }

  private onTyping(conversation: number, user: number, state: "start" | "stop"): void {
    if (state === "stop") {
      this.clearTyping(conversation, user);
      return;
    }
    const until = this.deps.now() + this.deps.typingTtlMs;
    this.set({ typing: { ...this.state.typing, [conversation]: { ...this.state.typing[conversation], [user]: until } } });
    setTimeout(() => {
      if (this.state.typing[conversation]?.[user] === until) this.clearTyping(conversation, user);
    }, this.deps.typingTtlMs);
  }

  private clearTyping(conversation: number, user: number): void {
    const current = this.state.typing[conversation];
    if (!current || !(user in current)) return;
    const next = Object.fromEntries(Object.entries(current).filter(([key]) => Number(key) !== user));
    this.set({ typing: { ...this.state.typing, [conversation]: next } });
  }

  private onRead(conversation: number, user: number, seq: number): void {
    const reads = this.state.reads[conversation] ?? {};
    if ((reads[user] ?? 0) >= seq) return;
    this.set({ reads: { ...this.state.reads, [conversation]: { ...reads, [user]: seq } } });
    if (user === this.state.me?.id) {
      this.setConversation(conversation, (c) =>
        seq >= c.last_seq ? { ...c, last_read_seq: seq, unread_count: 0 } : { ...c, last_read_seq: Math.max(c.last_read_seq, seq) },
      );
    }
  }

  /** The frame may carry only a summary of the conversation: fetch the full one when it is new to us. */
  private onMembership(conversation: Partial<Conversation> & { id: number }, user: number, state: "added" | "removed"): void {
    const known = this.state.conversations[conversation.id];
    if (state === "removed" && user === this.state.me?.id) {
      this.removeConversation(conversation.id);
    } else if (known && Array.isArray(conversation.members)) {
      this.upsertConversation({ ...known, ...conversation });
    } else {
      void this.deps.http.conversation(conversation.id).then((full) => this.upsertConversation(full), () => undefined);
    }
  }

  private onError(code: string, detail: string, ref: string | null): void {
    if (!ref || code === "conflict") return; // conflict: the first send is still in flight
    for (const timeline of Object.values(this.state.timelines)) {
      const pending = timeline.outbox.find((m) => m.client_id === ref);
      if (pending) this.fail(pending.conversation, ref, detail || code);
    }
  }

  /** After every (re)connect: resend the outbox; after a reconnect also catch up on what sync skips. */
  private async onSynced(): Promise<void> {
    for (const timeline of Object.values(this.state.timelines)) {
      for (const message of timeline.outbox) if (message.state === "pending") this.transmit(message);
    }
    const first = !this.syncedOnce;
    this.syncedOnce = true;
    // After a reconnect: new conversations and unread counts; after the first connect only if the list
    // could not be loaded before it (the app was opened offline).
    if (first && !this.state.loadError) return;
    await this.loadConversations();
    const active = this.state.active;
    if (active !== null && this.state.timelines[active]?.loaded) {
      await this.loadLatest(active).catch(() => undefined); // edits and deletions aren't replayed
      this.markRead(active);
    }
  }
}
