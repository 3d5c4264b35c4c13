// The app's live state: conversations, timelines, typing, presence and reads, fed by REST and the
// socket, and the outbox and drafts, kept in IndexedDB. React reads it with useSyncExternalStore; every
// update makes a new snapshot. Events are applied by ./events (pure); this file does the I/O around them.
import { ApiError } from "../api/client";
import type { Endpoints } from "../api/endpoints";
import type { Conversation, Me, Message, NotificationLevel, NotificationSettings, PublicUser, ThreadPage, UserRef } from "../api/types";
import {
  eventConversation,
  isOrderedEvent,
  type ClientFrame,
  type MembershipReport,
  type MySettingsFrame,
  type OrderedEvent,
  type PresenceStatus,
  type ServerFrame,
} from "../realtime/protocol";
import type { StatusInfo } from "../realtime/socket";
import { memberStatus } from "../lib/names";
import { Drafts } from "./drafts";
import { applyEvent, myRole, withoutConversation, withRefresh, withSnapshot, type Effect, type SyncState } from "./events";
import { mentionCount, readTo, syncedTo, unreadCount, type Ledger } from "./ledger";
import {
  addPending,
  emptyTimeline,
  highestSeq,
  lowestSeq,
  newestReplySeq,
  receive,
  replyRunOf,
  setSendState,
  type ChatMessage,
  type ReplyRun,
  type Timeline,
} from "./messages";
import { memoryStore, type LocalStore, type OutboxRecord } from "./persist";
import { applyPin, fromRest, withMessage, withoutMessage, withoutSender, type Pinned } from "./pins";
import { followedFrom, threadChangeConcernsMe, withoutThread, withThreadRead, type Followed } from "./threads";

export interface SocketPort {
  readonly status: StatusInfo;
  send(frame: ClientFrame): boolean;
  onFrame(listener: (frame: ServerFrame) => void): () => void;
  onStatus(listener: (info: StatusInfo) => void): () => void;
  start(): void;
  stop(): void;
}

export interface ChatState extends SyncState {
  me: Me | null;
  /** conversation → user → typing expires at (epoch ms) */
  typing: Record<number, Record<number, number>>;
  presence: Record<number, PresenceStatus>;
  /** People seen as senders or fetched by id: names for who reacted, in channels too. */
  users: Record<number, UserRef>;
  /** People who changed their display name while this page was open (`user.updated`): their name now, over
   * the one a message or a list carries (a replayed message keeps the name it was sent under). */
  renamed: Record<number, UserRef>;
  /** conversation → its pinned messages, newest pin first (read when the conversation is opened) */
  pins: Record<number, Pinned[]>;
  connection: StatusInfo;
  active: number | null;
  loadError: string | null;
  /** The thread open beside the conversation: its root and what its REST read said. */
  thread: OpenThread | null;
  /** The threads I follow, by root id, with their unread counts. */
  followed: Followed;
  /** My notification level per kind of conversation (what a conversation's `default` means); null until read. */
  prefs: NotificationSettings | null;
}

export interface OpenThread extends ReplyRun {
  conversation: number;
  root: Message;
  following: boolean | null;
  lastRead: number;
  loaded: boolean;
  /** Older replies than the run's first exist. */
  hasMore: boolean;
  loadingOlder: boolean;
  loadingNewer: boolean;
  /** Opened at this reply (`?reply=<seq>`, a search hit or a mention), or null: at the newest. */
  at: number | null;
  error: string | null;
}

const openingThread = (root: Message, at: number | null): OpenThread => ({
  conversation: root.conversation,
  root,
  following: null,
  lastRead: 0,
  loaded: false,
  hasMore: false,
  from: 0,
  newerAfter: null,
  loadingOlder: false,
  loadingNewer: false,
  at,
  error: null,
});

/** A reply asked for that is not there (a 404: deleted for good, or not of that thread): null. */
const notThere = (error: unknown): null => {
  if (error instanceof ApiError && error.status === 404) return null;
  throw error;
};

export interface StoreDeps {
  http: Endpoints;
  socket: SocketPort;
  /** Where the outbox and drafts are kept (IndexedDB in the browser). */
  local?: Promise<LocalStore>;
  uuid?: () => string;
  now?: () => number;
  isVisible?: () => boolean;
  /** Visible and focused: a @here arriving now mentions me. */
  isLooking?: () => boolean;
  ackTimeoutMs?: number;
  resendDelayMs?: number;
  typingTtlMs?: number;
}

export interface SendOptions {
  replyTo?: string | null;
  /** Reply in this message's thread. */
  threadRoot?: string | null;
  attachments?: Message["attachments"];
  /** The body is the conversation's draft: the write that puts the message in the outbox deletes it. */
  fromDraft?: boolean;
}

export const PAGE = 50;
/** Summaries of threads I follow arrive in bursts (every reply's): the list is read again once they settle. */
const FOLLOWED_RELOAD_MS = 500;
const USERS_PER_REQUEST = 20; // the users list's page size
/** The most conversations `sync` can name (docs/protocol.md): the list is read up to this many. */
const CONVERSATIONS_MAX = 1000;
/** Error codes after which the server did not take the message but will (docs/protocol.md): send it again. */
const TRANSIENT = new Set(["unavailable", "rate_limited"]);
/** Refusals whose reason is better put in the app's words than the server's. */
const REFUSALS: Record<string, string> = {
  mention_not_allowed: "only owners and admins may use @all or @here in this conversation",
};
/** What an edit, a deletion or a reaction the server refused says, where its `detail` is not for people. */
const ACTION_REFUSALS: Record<string, string> = {
  rate_limited: "Not changed: too many changes at once. Wait a moment, then try again.",
};
const OFFLINE_ACTION = "Not changed: you are offline. Try again once connected.";

type ActionFrame = Extract<ClientFrame, { type: "message.edit" | "message.delete" | "reaction.add" | "reaction.remove" }>;
/** A REST read that lags the events is tried again at most this many times. */
const REFRESH_TRIES = 3;
/** The failure recorded when no answer came in time; such a message is sent again after a reconnect. */
export const NO_ANSWER = "no_answer";

export function sortConversations(conversations: Record<number, Conversation>): Conversation[] {
  return Object.values(conversations).sort(
    (a, b) => b.last_activity_at.localeCompare(a.last_activity_at) || b.id - a.id,
  );
}

/** Someone's presence as last heard, or undefined while the socket is lost (no network, or retrying after a
 * drop): presence is not replayed, so what was heard before may no longer hold (it is read again once back). */
export function presenceOf(state: Pick<ChatState, "presence" | "connection">, user: PublicUser): PresenceStatus | undefined {
  const { status, attempt } = state.connection;
  if (status === "offline" || status === "suspended" || attempt > 0) return undefined;
  return state.presence[user.id] ?? memberStatus(user);
}

export class ChatStore {
  private state: ChatState;
  private readonly listeners = new Set<() => void>();
  private readonly arrivals = new Set<(message: Message) => void>();
  /** Live messages of conversations the store did not know yet (the first of a new one): handed to the arrival
   * listeners once the conversation is loaded. */
  private readonly unheralded = new Map<number, Message[]>();
  /** client_id → the timer of its send on its way (waiting for its ack, or to be sent again): one per
   * conversation at most (sendNext). */
  private readonly ackTimers = new Map<string, ReturnType<typeof setTimeout>>();
  /** client_ids whose outbox record IndexedDB holds: only those go on the socket. */
  private readonly onDisk = new Set<string>();
  /** Edits, deletions and reactions on their way, by the ref they were sent with → how to report a refusal. */
  private readonly actions = new Map<string, (refusal: Error) => void>();
  /** client_id → the code its send failed with (kept in IndexedDB with the record). */
  private readonly failures = new Map<string, string>();
  /** client_ids of messages sent from their conversation's draft, until their outbox record is written. */
  private readonly fromDrafts = new Set<string>();
  /** The outbox's latest write to IndexedDB. Its writes commit in order: once it is done, every earlier one is. */
  private outboxWritten: Promise<void> = Promise.resolve();
  private readonly unsubscribe: (() => void)[] = [];
  /** Conversations being read from REST → the events that arrived meanwhile. */
  private readonly loading = new Map<number, OrderedEvent[]>();
  /** Conversations to read again from REST once the sync is done. */
  private readonly refreshes = new Set<number>();
  /** Conversation → how many reads in a row lagged its events. */
  private readonly staleRefreshes = new Map<number, number>();
  private readonly usersAsked = new Set<number>();
  private readonly deps: Required<StoreDeps>;
  private followedReload: ReturnType<typeof setTimeout> | null = null;
  private listLoaded = false;
  /** Setting key ("prefs", "level:<id>", "thread:<root>", "follow:<root>") → when an event last said it
   * (settingsHeardCount). Kept only while a REST read of settings begun before it is on its way (the only
   * reader of it): otherwise a page open all day held one entry per thread and conversation it heard of. */
  private settingsHeard = new Map<string, number>();
  /** Root → whether the last `thread_follow.updated` of it said I follow it; kept as settingsHeard is. */
  private followingHeard = new Map<string, boolean>();
  private settingsHeardCount = 0;
  /** The settingsHeardCount each REST read of settings on its way began at (readingSettings). */
  private settingsReads: number[] = [];
  private syncedOnce = false;
  private stopped = false;
  private signedIn: (user: number) => void = () => undefined;
  /** Each conversation's draft; usable at once, kept in IndexedDB once start() says whose they are. */
  readonly drafts: Drafts;

  constructor(deps: StoreDeps) {
    this.deps = {
      local: Promise.resolve(memoryStore()),
      uuid: () => crypto.randomUUID(),
      now: Date.now,
      isVisible: () => typeof document === "undefined" || document.visibilityState === "visible",
      isLooking: () => typeof document === "undefined" || (document.visibilityState === "visible" && document.hasFocus()),
      ackTimeoutMs: 15_000,
      resendDelayMs: 2_000,
      typingTtlMs: 6_000,
      ...deps,
    };
    this.drafts = new Drafts(this.deps.local, new Promise((resolve) => (this.signedIn = resolve)));
    this.state = {
      me: null,
      conversations: {},
      ledgers: {},
      timelines: {},
      typing: {},
      presence: {},
      reads: {},
      users: {},
      renamed: {},
      pins: {},
      connection: deps.socket.status,
      active: null,
      loadError: null,
      thread: null,
      followed: {},
      prefs: null,
    };
  }

  // --- subscription (useSyncExternalStore)
  getState = (): ChatState => this.state;

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  private set(update: Partial<ChatState>): void {
    const before = this.state;
    this.state = { ...this.state, ...update };
    if (update.timelines) this.persistOutboxes(before.timelines, update.timelines);
    for (const listener of this.listeners) listener();
  }

  private setTimeline(id: number, update: (t: Timeline) => Timeline): void {
    const current = this.state.timelines[id] ?? emptyTimeline();
    this.set({ timelines: { ...this.state.timelines, [id]: update(current) } });
  }

  private setConversation(id: number, update: (c: Conversation, ledger: Ledger) => [Conversation, Ledger]): void {
    const current = this.state.conversations[id];
    const ledger = this.state.ledgers[id];
    if (!current || !ledger) return;
    const [conversation, nextLedger] = update(current, ledger);
    this.set({
      conversations: { ...this.state.conversations, [id]: conversation },
      ledgers: { ...this.state.ledgers, [id]: nextLedger },
    });
  }

  /** Messages as they arrive live, once each: not what a sync replays, not my own echo, not REST pages. For
   * desktop notifications (../lib/attention decides which deserve one). */
  onArrival(listener: (message: Message) => void): () => void {
    this.arrivals.add(listener);
    return () => this.arrivals.delete(listener);
  }

  private announce(message: Message): void {
    for (const listener of this.arrivals) listener(message);
  }

  // --- life cycle
  async start(me: Me): Promise<void> {
    this.set({ me });
    this.signedIn(me.id);
    this.unsubscribe.push(
      this.deps.socket.onFrame((frame) => this.handleFrame(frame)),
      this.deps.socket.onStatus((connection) => this.set({ connection })),
    );
    await Promise.all([this.restoreOutbox(me), this.loadConversations(), this.loadFollowedThreads(), this.loadPrefs()]);
    if (!this.stopped) this.deps.socket.start();
  }

  stop(): void {
    this.stopped = true;
    for (const off of this.unsubscribe.splice(0)) off();
    for (const timer of this.ackTimers.values()) clearTimeout(timer);
    this.ackTimers.clear();
    if (this.followedReload) clearTimeout(this.followedReload);
    void this.drafts.flush();
    this.deps.socket.stop();
  }

  /** Logging out: forget this user's outbox and drafts on this computer. */
  async forgetLocal(): Promise<void> {
    const me = this.state.me;
    if (me) await (await this.deps.local).forget(me.id).catch(() => undefined);
  }

  /** Every known conversation's cursor, the most recently active first: what `sync` continues from. */
  since = (): [string, number][] =>
    sortConversations(this.state.conversations).flatMap(({ id }) => {
      const ledger = this.state.ledgers[id];
      return ledger ? [[String(id), ledger.cursor] as [string, number]] : [];
    });

  /** Every page of my conversations (up to CONVERSATIONS_MAX). */
  private async listAll(): Promise<Conversation[]> {
    const all: Conversation[] = [];
    for (let page = 1; all.length < CONVERSATIONS_MAX; page += 1) {
      const result = await this.deps.http.conversations(page);
      all.push(...result.results);
      if (!result.next) break;
    }
    return all;
  }

  async loadConversations(): Promise<void> {
    try {
      const all = await this.listAll();
      let state: SyncState = this.state;
      const added = all.filter((fresh) => !(fresh.id in state.ledgers));
      for (const fresh of added) state = withSnapshot(state, fresh);
      this.listLoaded = true;
      this.set({ ...state, loadError: null });
      // Read while the socket was open (the app was opened offline): what arrived while the list was on its
      // way was not applied, so sync these from their cursors (the first sync after a page load does it).
      const since = Object.fromEntries(added.map((c) => [c.id, c.last_seq]));
      if (added.length) this.deps.socket.send({ type: "sync", since });
    } catch (error) {
      this.set({ loadError: error instanceof ApiError ? error.message : "Could not load your conversations." });
    }
  }

  /** A conversation the store did not know (joined, added, or opened by its address): read it from REST,
   * apply what arrived meanwhile, and `sync` it from there. */
  async loadConversation(id: number): Promise<void> {
    if (this.loading.has(id) || id in this.state.ledgers) return;
    this.loading.set(id, []);
    try {
      this.upsertConversation(await this.deps.http.conversation(id));
    } finally {
      this.loading.delete(id);
    }
  }

  /** A conversation read from REST (just created, joined, opened by its address, its settings changed). A
   * new one starts from it and is synced from its `last_seq`, after the events that arrived meanwhile; for
   * a known one only my settings are taken, the rest is what events said. */
  upsertConversation(fresh: Conversation): void {
    const id = fresh.id;
    const me = this.state.me; // set whenever a conversation is known (start)
    if (me && id in this.state.ledgers) {
      const { muted, notification_level, all_mention_policy } = fresh;
      this.setConversation(id, (c, ledger) => [
        { ...c, muted, role: myRole(ledger, fresh, me.id), notification_level, all_mention_policy },
        ledger,
      ]);
      return;
    }
    const waiting = this.loading.get(id) ?? [];
    this.loading.delete(id);
    this.set(withSnapshot(this.state, fresh));
    const first = this.unheralded.get(id) ?? [];
    this.unheralded.delete(id);
    for (const message of first) this.announce(message);
    for (const event of waiting) this.applyOrdered(event);
    // From the cursor, never from before it: a replay leaves out the edits and deletion of a message whose
    // message.new it sends, and that message.new would be dropped here as applied.
    this.deps.socket.send({ type: "sync", since: { [id]: this.state.ledgers[id]?.cursor ?? fresh.last_seq } });
  }

  /** Left, or removed by someone else: the conversation, its timeline, draft and unsent messages go. */
  removeConversation(id: number): void {
    this.drafts.drop(id);
    this.set({ ...withoutConversation(this.state, id), active: this.state.active === id ? null : this.state.active });
  }

  // --- the open conversation
  /** Open a conversation. Its history is loaded unless held; offline, what is held shows (the outbox too)
   * and the history loads once the socket is back. A refusal (not a member) is thrown. */
  async open(id: number | null): Promise<void> {
    this.set({ active: id });
    if (id === null) return;
    const timeline = this.state.timelines[id];
    if (!timeline?.loaded || timeline.newerAfter !== null) {
      try {
        await (timeline?.newerAfter != null ? this.showLatest(id) : this.loadLatest(id));
      } catch (error) {
        if (error instanceof ApiError) throw error;
        return; // no network: see onSynced
      }
    }
    this.markRead(id);
  }

  /** Open a conversation at a message (a search hit, a mention, a notification): the history around it, unless
   * it is held already. It is marked read only when what is shown reaches the newest message (a notification's
   * is the newest, typically), as loadNewer does once it meets the present; otherwise the newest messages may
   * not have been seen. */
  async openAt(id: number, seq: number): Promise<void> {
    this.set({ active: id });
    const held = this.state.timelines[id];
    const lowest = lowestSeq(held);
    if (held?.loaded && lowest !== undefined && lowest <= seq && (held.newerAfter ?? Infinity) >= seq) {
      if (held.newerAfter === null) this.markRead(id);
      return;
    }
    const page = await this.deps.http.messages(id, { around: seq, limit: PAGE });
    this.rememberUsers(page.results.map((m) => m.sender));
    this.setTimeline(id, (t) => {
      const opened = receive({ ...emptyTimeline(), outbox: t.outbox, patches: t.patches, loaded: true }, page.results);
      return { ...opened, hasMore: page.has_more, newerAfter: page.has_more_newer ? highestSeq(opened) : null };
    });
    if (!page.has_more_newer) this.markRead(id);
  }

  /** After openAt: the next page of newer messages, until the history meets the present. */
  async loadNewer(id: number): Promise<void> {
    const timeline = this.state.timelines[id];
    if (!timeline || timeline.newerAfter === null || timeline.loadingNewer) return;
    const after = timeline.newerAfter;
    this.setTimeline(id, (t) => ({ ...t, loadingNewer: true }));
    try {
      const page = await this.deps.http.messages(id, { after_seq: after, limit: PAGE });
      this.rememberUsers(page.results.map((m) => m.sender));
      const top = Math.max(after, ...page.results.map((m) => m.seq));
      this.setTimeline(id, (t) => ({ ...receive(t, page.results), newerAfter: page.has_more ? top : null, loadingNewer: false }));
      if (!page.has_more) this.markRead(id);
    } catch {
      this.setTimeline(id, (t) => ({ ...t, loadingNewer: false }));
    }
  }

  /** Leave a history opened at a message for the newest messages. */
  async showLatest(id: number): Promise<void> {
    this.setTimeline(id, (t) => ({ ...emptyTimeline(), outbox: t.outbox, patches: t.patches }));
    await this.loadLatest(id);
  }

  async loadLatest(id: number): Promise<void> {
    const page = await this.deps.http.messages(id, { limit: PAGE });
    this.rememberUsers(page.results.map((m) => m.sender));
    this.setTimeline(id, (t) => ({
      ...receive({ ...t, loaded: true }, page.results),
      hasMore: t.loaded ? t.hasMore : page.has_more,
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

  /** Tell the server we read the conversation up to its newest message (a `read` must name an event's
   * seq: a message's is one). Not while a sync replays: once it is done. Not while the history shown was
   * opened at an older message and has not met the newest yet (openAt): whatever else happens meanwhile (a
   * live message, a reconnect, the tab shown again), the newest messages have not been seen. */
  markRead(id: number): void {
    const conversation = this.state.conversations[id];
    if (!conversation || !this.deps.isVisible() || this.state.connection.status === "syncing") return;
    if (this.state.timelines[id]?.newerAfter != null) return;
    const seq = Math.max(conversation.last_message?.seq ?? 0, highestSeq(this.state.timelines[id]));
    if (seq <= conversation.last_read_seq && conversation.unread_count === 0 && !conversation.unread_mentions) return;
    this.setConversation(id, (c, ledger) => {
      const read = readTo(ledger, seq).ledger;
      return [{ ...c, last_read_seq: read.myRead, unread_count: unreadCount(read), unread_mentions: mentionCount(read) }, read];
    });
    if (seq > 0 && !this.deps.socket.send({ type: "read", conversation: id, seq })) {
      void this.deps.http.markRead(id, seq).catch(() => undefined);
    }
  }

  // --- threads
  /** Open a message's thread beside its conversation: its root and newest replies are read, and it is
   * marked read. */
  async openThread(root: Message): Promise<void> {
    this.set({ thread: openingThread(root, null) });
    try {
      const page = await this.deps.http.thread(root.id, { limit: PAGE });
      if (this.state.thread?.root.id !== root.id) return;
      this.showThreadPage(page, replyRunOf(page.results.map((m) => m.seq), page.has_more, false));
      this.markThreadRead();
    } catch (error) {
      if (this.state.thread?.root.id !== root.id) return;
      const detail = error instanceof ApiError ? error.message : "Could not load this thread.";
      this.set({ thread: { ...this.state.thread, error: detail } });
    }
  }

  /** Open a thread known only by its root's id (a mention or a notification of a reply in it), at the reply
   * `at` if given (a search hit, a mention): the replies around it, paged older upwards and newer downwards
   * (loadOlderReplies, loadNewerReplies), and read only once they reach the newest. A reply no longer there
   * (deleted for good, or of another thread) opens it at the newest. */
  async openThreadById(rootId: string, at: number | null = null): Promise<void> {
    const open = this.state.thread;
    if (open?.root.id === rootId && (at === null || open.at === at || this.replyShown(open, at))) {
      if (open.at !== at && at !== null) this.set({ thread: { ...open, at } });
      return;
    }
    try {
      const around = at === null ? null : await this.deps.http.thread(rootId, { around: at, limit: PAGE }).catch(notThere);
      const page = around ?? (await this.deps.http.thread(rootId, { limit: PAGE }));
      const seqs = page.results.map((m) => m.seq);
      this.set({ thread: openingThread(page.root, around ? at : null) });
      this.showThreadPage(page, replyRunOf(seqs, page.has_more, around ? !!page.has_more_newer : false));
      this.markThreadRead();
    } catch {
      // gone, or no longer mine: the conversation shows without it
    }
  }

  /** Whether the open thread shows its reply `seq` (read, and in the run shown). */
  private replyShown(open: OpenThread, seq: number): boolean {
    const inRun = open.loaded && seq >= open.from && (open.newerAfter === null || seq <= open.newerAfter);
    return inRun && !!this.state.timelines[open.conversation]?.messages.some((m) => m.seq === seq && m.thread_root === open.root.id);
  }

  closeThread(): void {
    this.set({ thread: null });
  }

  /** The page of replies before the first shown. */
  async loadOlderReplies(): Promise<void> {
    const open = this.state.thread;
    if (!open?.loaded || !open.hasMore || open.loadingOlder) return;
    const root = open.root.id;
    this.set({ thread: { ...open, loadingOlder: true } });
    try {
      const page = await this.deps.http.thread(root, { limit: PAGE, before_seq: open.from });
      const now = this.state.thread;
      if (now?.root.id !== root) return;
      const from = replyRunOf(page.results.map((m) => m.seq), page.has_more, false).from;
      this.showThreadPage(page, { from, newerAfter: now.newerAfter });
    } finally {
      const now = this.state.thread;
      if (now?.root.id === root) this.set({ thread: { ...now, loadingOlder: false } });
    }
  }

  /** Opened at a reply: the next page of newer replies, until they meet the newest (then it is read, and live
   * replies show as they come). */
  async loadNewerReplies(): Promise<void> {
    const open = this.state.thread;
    if (!open?.loaded || open.newerAfter === null || open.loadingNewer) return;
    const { root, newerAfter: after } = { root: open.root.id, newerAfter: open.newerAfter };
    this.set({ thread: { ...open, loadingNewer: true } });
    try {
      const page = await this.deps.http.thread(root, { limit: PAGE, after_seq: after });
      const now = this.state.thread;
      if (now?.root.id !== root || now.newerAfter !== after) return;
      const newerAfter = replyRunOf([after, ...page.results.map((m) => m.seq)], false, page.has_more).newerAfter;
      this.showThreadPage(page, { from: now.from, newerAfter });
      this.markThreadRead();
    } finally {
      const now = this.state.thread;
      if (now?.root.id === root) this.set({ thread: { ...now, loadingNewer: false } });
    }
  }

  /** Leave a thread opened at a reply for its newest replies (where a reply I send goes). */
  private async showLatestReplies(): Promise<void> {
    const open = this.state.thread;
    if (!open) return;
    const page = await this.deps.http.thread(open.root.id, { limit: PAGE });
    if (this.state.thread?.root.id !== open.root.id) return;
    this.showThreadPage(page, replyRunOf(page.results.map((m) => m.seq), page.has_more, false));
    this.markThreadRead();
  }

  private showThreadPage(page: ThreadPage, run: ReplyRun): void {
    const open = this.state.thread;
    if (!open) return;
    this.rememberUsers([page.root.sender, ...page.results.map((m) => m.sender)]);
    this.setTimeline(open.conversation, (t) => receive(t, page.results));
    this.set({
      thread: {
        ...open,
        ...run,
        root: page.root,
        following: page.following ?? null,
        lastRead: Math.max(open.lastRead, page.last_read_seq),
        loaded: true,
        hasMore: run.from > 0,
      },
    });
  }

  /** Tell the server I read the open thread up to its newest reply held. */
  markThreadRead(): void {
    const open = this.state.thread;
    // Opened at an older reply and not paged to the newest: the newest have not been seen.
    if (!open?.loaded || open.newerAfter !== null || !this.deps.isVisible()) return;
    const seq = newestReplySeq(this.state.timelines[open.conversation], open.root.id);
    const unread = this.state.followed[open.root.id]?.unread_count ?? 0;
    if (seq <= open.lastRead && unread === 0) return;
    this.set({
      thread: { ...open, lastRead: Math.max(open.lastRead, seq) },
      followed: withThreadRead(this.state.followed, open.root.id, seq),
    });
    if (seq > 0) void this.deps.http.markThreadRead(open.root.id, seq).catch(() => undefined);
  }

  async followThread(following: boolean): Promise<void> {
    const open = this.state.thread;
    if (!open) return;
    await this.deps.http.followThread(open.root.id, following);
    this.showFollowing(open.root.id, following);
    if (following) await this.loadFollowedThreads(); // its unread count
  }

  /** I follow a thread, or not (here, or on another device): its button, and an unfollowed one leaves my
   * threads (with its unread replies). */
  private showFollowing(root: string, following: boolean): void {
    const open = this.state.thread;
    if (open?.root.id === root) this.set({ thread: { ...open, following } });
    if (!following && root in this.state.followed) this.set({ followed: withoutThread(this.state.followed, root) });
  }

  loadFollowedThreads(): Promise<void> {
    return this.readingSettings((asked) => this.applyFollowedThreads(asked));
  }

  private async applyFollowedThreads(asked: number): Promise<void> {
    const page = await this.deps.http.followedThreads().catch(() => null);
    if (!page) return;
    this.rememberUsers(page.results.map((t) => t.root.sender));
    const open = this.state.thread;
    let followed = followedFrom(page.results);
    // What this tab read meanwhile stays read, and what another device read (`thread.read`) unless newer
    // replies came.
    if (open?.newerAfter === null) followed = withThreadRead(followed, open.root.id, open.lastRead);
    for (const [root, held] of Object.entries(this.state.followed)) {
      const fresh = followed[root];
      if (!fresh || !this.heardSince(`thread:${root}`, asked)) continue;
      if ((fresh.root.thread?.last_reply_seq ?? 0) <= held.last_read_seq) followed = withThreadRead(followed, root, held.last_read_seq);
    }
    // A thread followed or unfollowed on another device (`thread_follow.updated`) after this read began.
    for (const [root, following] of this.followingHeard) {
      if (!this.heardSince(`follow:${root}`, asked)) continue;
      const held = this.state.followed[root];
      if (!following) followed = withoutThread(followed, root);
      else if (!followed[root] && held) followed = { ...followed, [root]: held };
    }
    this.set({ followed });
  }

  /** After a reconnect: whether I follow the open thread (another device may have changed it meanwhile). */
  private async refreshOpenThreadFollowing(): Promise<void> {
    const root = this.state.thread?.root.id;
    if (!root) return;
    await this.readingSettings(async (asked) => {
      const page = await this.deps.http.thread(root, { limit: 1 }).catch(() => null);
      const open = this.state.thread;
      if (!page || open?.root.id !== root || this.heardSince(`follow:${root}`, asked)) return;
      this.set({ thread: { ...open, following: page.following ?? null } });
    });
  }

  private onThreadUpdated(root: string, summary: Message["thread"]): void {
    const me = this.state.me;
    if (!me) return;
    const open = this.state.thread;
    if (open?.root.id === root) {
      // Taking part follows a thread one has not decided about (docs/api.md, "Threads").
      const joined = !!summary && (summary.participants.includes(me.id) || open.root.sender.id === me.id);
      const following = open.following === null && joined ? true : open.following;
      this.set({ thread: { ...open, root: { ...open.root, thread: summary }, following } });
      this.markThreadRead();
    }
    const held = Object.values(this.state.timelines)
      .flatMap((t) => t.messages)
      .find((m) => m.id === root);
    const rootIsMine = held?.sender.id === me.id || this.state.followed[root]?.root.sender.id === me.id;
    if (!threadChangeConcernsMe(this.state.followed, { root, summary, rootIsMine }, me.id)) return;
    if (this.followedReload) clearTimeout(this.followedReload);
    this.followedReload = setTimeout(() => {
      this.followedReload = null;
      void this.loadFollowedThreads();
    }, FOLLOWED_RELOAD_MS);
  }

  // --- sending
  send(conversation: number, body: string, options: SendOptions = {}): string {
    const me = this.state.me;
    const clientId = this.deps.uuid();
    if (!me) return clientId;
    const thread = this.state.thread;
    if (options.threadRoot) {
      // A reply shows the thread's newest replies (where it goes), if the thread was opened at an older one.
      if (thread?.root.id === options.threadRoot && thread.newerAfter !== null) void this.showLatestReplies().catch(() => undefined);
    } else if (this.state.timelines[conversation]?.newerAfter != null) {
      // Sending shows the newest messages (where the message goes): read, as on opening.
      void this.showLatest(conversation).then(() => this.markRead(conversation), () => undefined);
    }
    const message: ChatMessage = {
      id: `local-${clientId}`,
      conversation,
      seq: Number.MAX_SAFE_INTEGER,
      sender: { id: me.id, username: me.username, display_name: me.display_name },
      body,
      client_id: clientId,
      mentions: [], // resolved by the server: the ack's message carries them
      mentions_here: false,
      mentions_all: false,
      reply_to: options.replyTo ?? null,
      thread_root: options.threadRoot ?? null,
      thread: null,
      created_at: new Date(this.deps.now()).toISOString(),
      edited_at: null,
      deleted: false,
      attachments: options.attachments ?? [],
      previews: [],
      reactions: [],
      state: "pending",
    };
    if (options.fromDraft) {
      this.drafts.sent(conversation);
      this.fromDrafts.add(clientId);
    }
    this.setTimeline(conversation, (t) => addPending(t, message));
    void this.outboxWritten.then(() => this.onceOnDisk(conversation, clientId));
    return clientId;
  }

  /** A new message may go on the socket once the outbox on disk holds it: a reload or a crash before then
   * finds it there (or still the draft), never acknowledged and gone. */
  private onceOnDisk(conversation: number, clientId: string): void {
    if (!this.outboxEntry(conversation, clientId)) return; // discarded meanwhile
    this.onDisk.add(clientId);
    this.sendNext(conversation);
  }

  /** A conversation's messages go on the socket one at a time, in the order they were written, each once the
   * one before it is settled (acknowledged, or refused for good): sent together, one the server asked for
   * again later (rate_limited, unavailable) was overtaken by those behind it, and stored after them. */
  private sendNext(conversation: number): void {
    const outbox = this.state.timelines[conversation]?.outbox ?? [];
    if (outbox.some((m) => this.ackTimers.has(m.client_id))) return; // one on its way already
    const next = outbox.find((m) => m.state === "pending");
    if (next && this.onDisk.has(next.client_id)) this.transmit(next);
  }

  /** Send a failed message again, with the same client_id so the server can't store it twice; after any
   * message of its conversation still on its way. */
  retry(conversation: number, clientId: string): void {
    if (!this.outboxEntry(conversation, clientId)) return;
    this.setTimeline(conversation, (t) => setSendState(t, clientId, "pending"));
    this.sendNext(conversation);
  }

  discard(conversation: number, clientId: string): void {
    this.clearAck(clientId);
    this.setTimeline(conversation, (t) => ({ ...t, outbox: t.outbox.filter((m) => m.client_id !== clientId) }));
    this.sendNext(conversation);
  }

  private outboxEntry(conversation: number, clientId: string): ChatMessage | undefined {
    return this.state.timelines[conversation]?.outbox.find((m) => m.client_id === clientId);
  }

  private transmit(message: ChatMessage): void {
    const sent = this.deps.socket.send({
      type: "message.send",
      conversation: message.conversation,
      body: message.body,
      client_id: message.client_id,
      reply_to: message.reply_to,
      ...(message.thread_root ? { thread_root: message.thread_root } : {}),
      attachments: message.attachments.map((a) => a.id),
    });
    if (!sent) return; // stays pending; sent again once the socket is back (see onSynced)
    this.armAck(message, this.deps.ackTimeoutMs, () =>
      this.fail(message.conversation, message.client_id, NO_ANSWER, "No answer from the server"),
    );
  }

  private armAck(message: ChatMessage, delay: number, then: () => void): void {
    this.clearAck(message.client_id);
    this.ackTimers.set(
      message.client_id,
      setTimeout(() => {
        this.ackTimers.delete(message.client_id);
        then();
      }, delay),
    );
  }

  private fail(conversation: number, clientId: string, code: string, detail: string): void {
    this.clearAck(clientId);
    this.failures.set(clientId, code);
    this.setTimeline(conversation, (t) => setSendState(t, clientId, "failed", detail));
    this.sendNext(conversation);
  }

  private clearAck(clientId: string): void {
    const timer = this.ackTimers.get(clientId);
    if (timer) clearTimeout(timer);
    this.ackTimers.delete(clientId);
  }

  /** The outbox in IndexedDB follows the outboxes in memory: entries added or changed are written, entries
   * gone (acknowledged, echoed by another tab, found in history, discarded, or of a dropped conversation)
   * deleted. */
  private persistOutboxes(before: Record<number, Timeline>, after: Record<number, Timeline>): void {
    const me = this.state.me;
    if (!me) return;
    for (const id of new Set([...Object.keys(before), ...Object.keys(after)].map(Number))) {
      const old = before[id]?.outbox ?? [];
      const now = after[id]?.outbox ?? [];
      if (old === now) continue;
      const kept = new Set(now.map((m) => m.client_id));
      const gone = old.filter((m) => !kept.has(m.client_id));
      for (const m of gone) this.dropEntry(me.id, m.client_id);
      for (const m of now) if (!old.includes(m)) this.persistEntry(id, m.client_id);
      if (gone.length > 0) this.sendNext(id); // acknowledged, echoed or found in history: the next one's turn
    }
  }

  private persistEntry(conversation: number, clientId: string): void {
    const me = this.state.me;
    const message = this.outboxEntry(conversation, clientId);
    if (!me || !message) return;
    const code = this.failures.get(clientId);
    const record: OutboxRecord = {
      user: me.id,
      client_id: clientId,
      conversation,
      body: message.body,
      reply_to: message.reply_to,
      thread_root: message.thread_root,
      attachments: message.attachments,
      created_at: message.created_at,
      failure: message.state === "failed" && code ? { code, detail: message.error ?? code } : null,
    };
    const clearDraft = this.fromDrafts.delete(clientId);
    this.outboxWritten = this.deps.local.then((local) => local.putOutbox(record, { clearDraft })).catch(() => undefined);
  }

  private dropEntry(user: number, clientId: string): void {
    this.clearAck(clientId);
    this.onDisk.delete(clientId);
    this.failures.delete(clientId);
    void this.deps.local.then((local) => local.deleteOutbox(user, clientId)).catch(() => undefined);
  }

  /** After a reload or a crash: what was sent but never acknowledged is pending again (sent after the first
   * sync, with the same client_id); what the server refused stays failed, with its reason. */
  private async restoreOutbox(me: Me): Promise<void> {
    const records = await this.deps.local.then((local) => local.outbox(me.id)).catch(() => []);
    if (records.length === 0) return;
    const timelines = { ...this.state.timelines };
    for (const record of records) {
      const retried = !record.failure || record.failure.code === NO_ANSWER;
      if (record.failure) this.failures.set(record.client_id, record.failure.code);
      const message: ChatMessage = {
        id: `local-${record.client_id}`,
        conversation: record.conversation,
        seq: Number.MAX_SAFE_INTEGER,
        sender: { id: me.id, username: me.username, display_name: me.display_name },
        body: record.body,
        client_id: record.client_id,
        mentions: [],
        mentions_here: false,
        mentions_all: false,
        reply_to: record.reply_to,
        thread_root: record.thread_root ?? null,
        thread: null,
        created_at: record.created_at,
        edited_at: null,
        deleted: false,
        attachments: record.attachments,
        previews: [],
        reactions: [],
        state: retried ? "pending" : "failed",
        error: retried ? undefined : record.failure?.detail,
      };
      const timeline = timelines[record.conversation] ?? emptyTimeline();
      this.onDisk.add(record.client_id);
      if (!timeline.outbox.some((m) => m.client_id === record.client_id)) {
        timelines[record.conversation] = { ...timeline, outbox: [...timeline.outbox, message] };
      }
    }
    this.set({ timelines });
  }

  // --- notification settings
  loadPrefs(): Promise<void> {
    return this.readingSettings(async (asked) => {
      const prefs = await this.deps.http.notificationSettings().catch(() => null);
      if (prefs && !this.heardSince("prefs", asked)) this.set({ prefs });
    });
  }

  async updatePrefs(change: Partial<NotificationSettings>): Promise<void> {
    const prefs = await this.deps.http.updateNotificationSettings(change);
    this.set({ prefs });
  }

  /** My notification level in a conversation (its bell): shown at once, then saved (my other tabs and
   * devices hear it as `notification_level.updated`). Refused or unanswered, it is put back as it was, unless
   * chosen again meanwhile, and the error is thrown for the bell to say. */
  async updateLevel(id: number, change: { notification_level: NotificationLevel }): Promise<void> {
    const before = this.state.conversations[id];
    const chosen = change.notification_level;
    this.showLevel(id, chosen === "none", chosen);
    let fresh: Conversation;
    try {
      fresh = await this.deps.http.updateConversation(id, change);
    } catch (e) {
      if (before && this.state.conversations[id]?.notification_level === chosen) {
        this.showLevel(id, before.muted, before.notification_level);
      }
      throw e;
    }
    this.upsertConversation(fresh);
  }

  /** One of my devices (this tab, another, another browser) saved a setting of mine: every socket of mine
   * hears it (docs/protocol.md), so badge, title, bell and unread threads follow on all of them. */
  private onMySettings(frame: MySettingsFrame): void {
    if (frame.type === "notification_preferences.updated") {
      this.heardSetting("prefs");
      this.set({ prefs: frame.preferences });
    } else if (frame.type === "thread_follow.updated") {
      this.heardSetting(`follow:${frame.root}`);
      if (this.settingsReads.length) this.followingHeard.set(frame.root, frame.following);
      this.showFollowing(frame.root, frame.following);
      // Listed with its unread count by GET threads/ (once it has replies).
      if (frame.following && !(frame.root in this.state.followed)) void this.loadFollowedThreads();
    } else if (frame.type === "thread.read") {
      this.heardSetting(`thread:${frame.root}`);
      const thread = this.state.followed[frame.root];
      // A reply held here past what was read there stays unread.
      if (!thread || (thread.root.thread?.last_reply_seq ?? 0) > frame.up_to) return;
      this.set({ followed: withThreadRead(this.state.followed, frame.root, frame.up_to) });
    } else {
      this.heardSetting(`level:${frame.conversation}`);
      this.showLevel(frame.conversation, frame.muted, frame.notification_level);
    }
  }

  /** Settings heard by event are newer than a REST read of them begun before: `heardSince` tells. */
  private heardSetting(key: string): void {
    ++this.settingsHeardCount;
    if (!this.settingsReads.length) return;
    this.settingsHeard.delete(key); // kept in the order heard, oldest first (endSettingsRead)
    this.settingsHeard.set(key, this.settingsHeardCount);
  }

  /** A REST read of settings, given the count it began at: heardSince(key, asked) tells what an event said
   * after. Once it is done (used or not), what was heard before every read still on its way began is dropped. */
  private async readingSettings(read: (asked: number) => Promise<void>): Promise<void> {
    const asked = this.settingsHeardCount;
    this.settingsReads.push(asked);
    try {
      await read(asked);
    } finally {
      this.endSettingsRead(asked);
    }
  }

  private endSettingsRead(asked: number): void {
    this.settingsReads.splice(this.settingsReads.indexOf(asked), 1);
    const floor = this.settingsReads[0] ?? this.settingsHeardCount; // they began in this order
    for (const [key, count] of this.settingsHeard) {
      if (count > floor) break;
      this.settingsHeard.delete(key);
      if (key.startsWith("follow:")) this.followingHeard.delete(key.slice("follow:".length));
    }
  }

  private heardSince(key: string, count: number): boolean {
    return (this.settingsHeard.get(key) ?? 0) > count;
  }

  private showLevel(id: number, muted: boolean, notification_level: NotificationLevel | undefined): void {
    this.setConversation(id, (c, ledger) => [{ ...c, muted, notification_level }, ledger]);
  }

  // --- other actions
  edit(messageId: string, body: string): Promise<void> {
    return this.act({ type: "message.edit", message: messageId, body });
  }

  remove(messageId: string): Promise<void> {
    return this.act({ type: "message.delete", message: messageId });
  }

  react(message: ChatMessage, emoji: string): Promise<void> {
    const me = this.state.me;
    if (!me) return Promise.resolve();
    const mine = message.reactions?.some((r) => r.emoji === emoji && r.users.includes(me.id));
    return this.act({ type: mine ? "reaction.remove" : "reaction.add", message: message.id, emoji });
  }

  /** An edit, a deletion or a reaction, sent with a ref so that a refusal names it; what it changes arrives
   * as an event, for everyone. Rejected with the reason when the server refuses it, or at once when the
   * socket is not open (it is not kept to be sent later); resolved once no refusal came in the ack's time. */
  private act(frame: ActionFrame): Promise<void> {
    const ref = this.deps.uuid();
    return new Promise((resolve, reject) => {
      if (!this.deps.socket.send({ ...frame, client_id: ref })) {
        reject(new Error(OFFLINE_ACTION));
        return;
      }
      const settled = setTimeout(() => {
        this.actions.delete(ref);
        resolve();
      }, this.deps.ackTimeoutMs);
      this.actions.set(ref, (refusal) => {
        clearTimeout(settled);
        this.actions.delete(ref);
        reject(refusal);
      });
    });
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
    const news = users.filter(
      (u) => !this.state.renamed[u.id] && (known[u.id]?.display_name !== u.display_name || known[u.id]?.username !== u.username),
    );
    if (news.length) this.set({ users: { ...known, ...Object.fromEntries(news.map((u) => [u.id, u])) } });
  }

  /** Read a conversation's pinned list; `pin` events keep it current from then on. */
  async loadPins(id: number): Promise<void> {
    const pins = await this.deps.http.pins(id);
    this.set({ pins: { ...this.state.pins, [id]: fromRest(pins) } });
  }

  /** Pin or unpin; the list changes with the `pin` event every member gets. Rejects with the refusal. */
  async setPinned(messageId: string, pinned: boolean): Promise<void> {
    await (pinned ? this.deps.http.pin(messageId) : this.deps.http.unpin(messageId));
  }

  /** Forward a message into another conversation of mine (sent, and acknowledged, like a message). */
  async forward(messageId: string, conversation: number): Promise<Message> {
    return this.deps.http.forward(messageId, { conversation, client_id: this.deps.uuid() });
  }

  typing(conversation: number, state: "start" | "stop"): void {
    this.deps.socket.send({ type: "typing", conversation, state });
  }

  // --- frames from the server
  handleFrame(frame: ServerFrame): void {
    if (isOrderedEvent(frame)) {
      this.applyOrdered(frame);
      return;
    }
    switch (frame.type) {
      case "membership":
        this.onMembershipReport(frame);
        break;
      case "message.ack":
        this.clearAck(frame.client_id);
        this.setTimeline(frame.message.conversation, (t) => receive(t, [frame.message]));
        break;
      case "typing":
        this.onTyping(frame.conversation, frame.user, frame.state);
        break;
      case "presence":
        this.set({ presence: { ...this.state.presence, [frame.user]: frame.status } });
        break;
      case "sync.done":
        this.onSyncDone(frame.conversations, frame.more);
        break;
      case "error":
        this.onError(frame.code, frame.detail, frame.ref);
        break;
      case "user.updated":
        this.onRenamed(frame.user);
        break;
      case "notification_level.updated":
      case "notification_preferences.updated":
      case "thread.read":
      case "thread_follow.updated":
        this.onMySettings(frame);
        break;
    }
  }

  /** Someone I share a conversation with (or I) took a new display name or picture: shown wherever they are
   * named or pictured. The picture lives on members and `me` (a message's sender carries none). */
  private onRenamed(update: UserRef & { avatar_url?: string | null }): void {
    const { avatar_url, ...user } = update;
    const picture = avatar_url === undefined ? {} : { avatar_url };
    const rename = <P extends { id: number; display_name?: string }>(person: P): P =>
      person.id === user.id ? { ...person, display_name: user.display_name, ...picture } : person;
    const conversations = Object.fromEntries(
      Object.entries(this.state.conversations).map(([id, c]) => [id, c.members.some((m) => m.id === user.id) ? { ...c, members: c.members.map(rename) } : c]),
    );
    const me = this.state.me && rename(this.state.me);
    this.set({ renamed: { ...this.state.renamed, [user.id]: user }, users: { ...this.state.users, [user.id]: user }, conversations, me });
  }

  private applyOrdered(event: OrderedEvent): void {
    const me = this.state.me;
    if (!me) return;
    const waiting = this.loading.get(eventConversation(event));
    if (waiting) {
      waiting.push(event);
      return;
    }
    const live = this.state.connection.status === "online";
    const present = live && this.deps.isLooking();
    const id = eventConversation(event);
    if (event.type === "message.new" && live && !(id in this.state.ledgers) && event.message.sender.id !== me.id) {
      this.unheralded.set(id, [...(this.unheralded.get(id) ?? []), event.message].slice(-5));
    }
    const { state, effects } = applyEvent(this.state, event, me.id, present);
    const fresh = state !== this.state;
    if (fresh) {
      this.set(state);
      this.updatePins(event);
    }
    for (const effect of effects) this.run(effect);
    if (event.type === "message.new") {
      this.onNewMessage(event.message, me.id);
      if (fresh && live && event.message.sender.id !== me.id) this.announce(event.message);
    }
    if (event.type === "thread.updated") this.onThreadUpdated(event.root, event.thread);
    if (event.type === "user.erased" && fresh) this.onRenamed({ ...event.user, avatar_url: null }); // "Deleted user", no picture; replayed too
  }

  /** A newly applied event's change to the conversation's pinned list, once that list is loaded. */
  private updatePins(event: OrderedEvent): void {
    const id = eventConversation(event);
    const list = this.state.pins[id];
    if (!list) return;
    let next = list;
    if (event.type === "pin") next = applyPin(list, event);
    else if (event.type === "message.deleted") next = withoutMessage(list, event.id);
    else if (event.type === "message.updated") next = withMessage(list, event.message);
    else if (event.type === "user.erased" && event.messages === "deleted") next = withoutSender(list, event.user.id);
    if (next !== list) this.set({ pins: { ...this.state.pins, [id]: next } });
  }

  private onNewMessage(message: Message, me: number): void {
    this.rememberUsers([message.sender]);
    const id = message.conversation;
    this.clearTyping(id, message.sender.id);
    if (message.sender.id === me) this.clearAck(message.client_id);
    else if (message.thread_root) {
      if (this.state.thread?.root.id === message.thread_root) this.markThreadRead();
    } else if (this.state.active === id) this.markRead(id);
  }

  private run(effect: Effect): void {
    const id = effect.conversation;
    switch (effect.kind) {
      case "load":
        // Before the list is loaded, the list brings it (and a failed load is retried after the sync).
        if (this.listLoaded) void this.loadConversation(id).catch(() => undefined);
        break;
      case "drop":
        this.removeConversation(id);
        break;
      case "refresh":
        this.refreshes.add(id);
        if (this.state.connection.status !== "syncing") this.runRefreshes();
        break;
    }
  }

  /** `sync` with `complete: true` reports conversations joined or left while away. */
  private onMembershipReport(report: MembershipReport): void {
    const id = report.conversation.id;
    if (report.user !== this.state.me?.id) return;
    if (report.state === "added") this.run({ kind: "load", conversation: id });
    else if (id in this.state.conversations) this.run({ kind: "drop", conversation: id });
  }

  private onSyncDone(cursors: Record<string, number>, more: boolean): void {
    let ledgers = this.state.ledgers;
    let conversations = this.state.conversations;
    for (const [key, cursor] of Object.entries(cursors)) {
      const id = Number(key);
      const ledger = ledgers[id];
      const conversation = conversations[id];
      if (!ledger || !conversation) continue;
      const synced = syncedTo(ledger, cursor);
      ledgers = { ...ledgers, [id]: synced };
      conversations = { ...conversations, [id]: { ...conversation, last_seq: synced.cursor } };
    }
    if (more) {
      this.set({ ledgers, conversations });
      return;
    }
    // The socket says "online" right after its listeners: the store is caught up already.
    this.set({ ledgers, conversations, connection: { ...this.state.connection, status: "online" } });
    this.onSynced();
  }

  /** After the last page of a sync: send the outbox again (what was on its way went with the old socket),
   * then what only REST can tell. */
  private onSynced(): void {
    for (const [id, timeline] of Object.entries(this.state.timelines)) {
      for (const message of timeline.outbox) {
        if (message.state === "pending" || this.failures.get(message.client_id) === NO_ANSWER) {
          this.clearAck(message.client_id);
          this.setTimeline(message.conversation, (t) => setSendState(t, message.client_id, "pending"));
        }
      }
      this.sendNext(Number(id));
    }
    if (!this.listLoaded || this.state.loadError) void this.loadConversations(); // opened offline
    else if (this.syncedOnce) void this.refreshFromList();
    if (this.syncedOnce) {
      // Replies may have come, and my settings changed on another device, while away.
      void this.loadFollowedThreads();
      void this.refreshOpenThreadFollowing();
      void this.loadPrefs();
    }
    this.syncedOnce = true;
    this.runRefreshes();
    const active = this.state.active;
    if (active === null) return;
    if (this.state.timelines[active]?.loaded) this.markRead(active);
    else void this.loadLatest(active).then(() => this.markRead(active), () => undefined); // opened offline
  }

  /** Neither presence nor my own settings are replayed (docs/protocol.md): after a reconnect both are read
   * again from the list, but a level an event told of meanwhile stays. */
  private refreshFromList(): Promise<void> {
    return this.readingSettings((asked) => this.applyList(asked));
  }

  private async applyList(asked: number): Promise<void> {
    const all = await this.listAll().catch(() => null);
    if (!all) return;
    const presence = { ...this.state.presence };
    for (const member of all.flatMap((c) => c.members)) presence[member.id] = memberStatus(member);
    const conversations = { ...this.state.conversations };
    for (const { id, muted, notification_level } of all) {
      const held = conversations[id];
      if (held && !this.heardSince(`level:${id}`, asked)) conversations[id] = { ...held, muted, notification_level };
    }
    this.set({ presence, conversations });
  }

  private runRefreshes(): void {
    for (const id of this.refreshes) {
      this.refreshes.delete(id);
      void this.deps.http.conversation(id).then((fresh) => this.refreshed(fresh), () => undefined);
    }
  }

  private refreshed(fresh: Conversation): void {
    const me = this.state.me;
    if (!me) return;
    const { state, current } = withRefresh(this.state, fresh, me.id);
    this.set(state);
    const tries = (this.staleRefreshes.get(fresh.id) ?? 0) + 1;
    this.staleRefreshes.set(fresh.id, current ? 0 : tries);
    // REST lagged the events (history not stored yet): ask again a little later.
    if (!current && tries < REFRESH_TRIES) {
      setTimeout(() => this.run({ kind: "refresh", conversation: fresh.id }), this.deps.resendDelayMs);
    }
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

  /** A refused edit, deletion or reaction: its caller hears why. A refused send: `conflict` (the first is still
   * in flight) waits for its ack; `unavailable` and `rate_limited` (not taken, take it later) are sent again
   * shortly; anything else failed for good. */
  private onError(code: string, detail: string, ref: string | null): void {
    if (!ref) return;
    const refuse = this.actions.get(ref);
    if (refuse) {
      refuse(new Error(ACTION_REFUSALS[code] ?? detail));
      return;
    }
    if (code === "conflict") return;
    for (const timeline of Object.values(this.state.timelines)) {
      const pending = timeline.outbox.find((m) => m.client_id === ref);
      if (!pending) continue;
      if (TRANSIENT.has(code)) this.armAck(pending, this.deps.resendDelayMs, () => this.retry(pending.conversation, ref));
      else this.fail(pending.conversation, ref, code, REFUSALS[code] ?? (detail || code));
    }
  }
}
