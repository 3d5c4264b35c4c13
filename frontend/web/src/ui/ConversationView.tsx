import { Fragment, useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState, type DragEvent } from "react";
import { ApiError } from "../api/client";
import type { Message, UserRef } from "../api/types";
import { finePointer, focusComposer } from "../lib/focus";
import { conversationTitle, directPeer, displayName, presenceLabel, seenBy, shownName } from "../lib/names";
import { conversationPath, navigate, threadPath, useQueryParam } from "../lib/router";
import { firstNewMessage, mainTimeline, type ChatMessage, type NewOnOpening } from "../state/messages";
import { mayPin, originalPath, type Pinned } from "../state/pins";
import { PAGE, presenceOf, sortConversations } from "../state/store";
import { unreadThreadsIn } from "../state/threads";
import { BackLink } from "./BackLink";
import { Composer } from "./Composer";
import { ConversationNotifications, levelOf } from "./ConversationNotifications";
import { useApp, useChat } from "./context";
import { EditConversationDialog } from "./EditConversationDialog";
import { ForwardDialog } from "./ForwardDialog";
import { MessageItem } from "./MessageItem";
import { MembersDialog } from "./MembersDialog";
import { PinnedDialog } from "./PinnedDialog";
import { manages } from "../lib/roles";
import { ThreadPanel } from "./ThreadPanel";
import { Icon } from "./Icon";
import { Name, NameList } from "./Name";
import { useMessageActions } from "./useMessageActions";
import { useBlock } from "./useBlock";
import { useNewMessageAnnouncement } from "./useNewMessageAnnouncement";
import { useUploads } from "./useUploads";

const LEVEL_LABELS = { default: "default", all: "all messages", mentions: "mentions only", none: "muted" } as const;
const SMALL_GROUP = 8; // "seen by" is shown in direct messages and groups up to this size
const COMPACT_WITHIN_MS = 5 * 60 * 1000;

export function ConversationView({ id }: { id: number }) {
  const { store, http, me } = useApp();
  const state = useChat();
  const conversation = state.conversations[id];
  const blocking = useBlock(conversation?.kind === "direct" ? directPeer(conversation, me)?.id : undefined);
  const timeline = state.timelines[id];
  const [replyTo, setReplyTo] = useState<ChatMessage | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [actionError, setActionError] = useState<string | null>(null);
  const [showPins, setShowPins] = useState(false);
  const [showMembers, setShowMembers] = useState(false);
  const [showEdit, setShowEdit] = useState(false);
  const [showNotifications, setShowNotifications] = useState(false);
  const bell = useRef<HTMLButtonElement>(null);
  const [forwarding, setForwarding] = useState<ChatMessage | null>(null);
  const pins = state.pins[id];
  // Opened without a network (the page was loaded offline): opened again once the socket is back.
  const [unreachable, setUnreachable] = useState(false);
  const [attempt, setAttempt] = useState(0);
  const online = state.connection.status === "online";
  if (unreachable && online) {
    setUnreachable(false);
    setError(null);
    setAttempt(attempt + 1);
  }
  const [dragging, setDragging] = useState(false);
  const uploads = useUploads();
  const scroller = useRef<HTMLDivElement>(null);
  const stick = useRef(true);
  const anchor = useRef<{ height: number; top: number } | null>(null);
  // `?m=<seq>`: opened at a message (a search hit), shown highlighted; scrolled to once it is shown.
  const focusSeq = Number(useQueryParam("m")) || null;
  // `?thread=<root id>`: opened at a reply in a thread (a mention, a notification): that thread beside it.
  const threadParam = useQueryParam("thread");
  // `&reply=<seq>`: at that reply of the thread (a search hit, a mention), shown highlighted in it.
  const replyParam = Number(useQueryParam("reply")) || null;
  const scrolledTo = useRef<number | null>(null);
  // What was new to me when the conversation opened (after my read marker, up to its newest event then): under
  // a "New messages" line that stays while it is open (they are read on opening, or once scrolled to the
  // newest when more than a page); later ones come live, as read.
  const [newOnOpening, setNewOnOpening] = useState<NewOnOpening | null>(null);
  const [openedFor, setOpenedFor] = useState<number | null>(null); // its history read (not one held from before)
  const scrolledToNew = useRef<number | null>(null);

  useEffect(() => {
    let cancelled = false;
    (async () => {
      // The conversation (when the list has not brought it yet) and its messages, at the same time.
      const known = store.getState().conversations[id];
      setNewOnOpening(focusSeq === null && known ? { after: known.last_read_seq, upTo: known.last_seq } : null);
      scrolledToNew.current = null;
      // More new messages than a page: the newest page would not reach the first of them, so open there; it
      // is read once scrolled to the newest (openAt), not on opening.
      const atFirstNew = focusSeq === null && !!known && known.unread_count > PAGE;
      const openedAt = atFirstNew ? known.last_read_seq + 1 : focusSeq;
      const history = openedAt === null ? store.open(id) : store.openAt(id, openedAt);
      stick.current = openedAt === null;
      scrolledTo.current = null;
      await Promise.all([known ? null : http.conversation(id).then((c) => store.upsertConversation(c)), history]);
      if (!cancelled) setOpenedFor(id);
      if (openedAt === null) store.markRead(id); // open() could not, if its messages came before the conversation
    })().catch((e: unknown) => {
      if (cancelled) return;
      setUnreachable(!(e instanceof ApiError));
      setError(e instanceof ApiError ? e.message : "Could not open this conversation: it opens once you are back online.");
    });
    return () => {
      cancelled = true;
      if (store.getState().active === id) void store.open(null);
      if (store.getState().thread?.conversation === id) store.closeThread();
    };
  }, [id, focusSeq, store, http, attempt]);

  // The open thread is in the address, so that Back closes it (on a phone it covers the conversation) and a
  // reload keeps it: the address opens and closes it, whoever changed the address.
  useEffect(() => {
    if (threadParam) void store.openThreadById(threadParam, replyParam);
    else if (store.getState().thread?.conversation === id) store.closeThread();
  }, [threadParam, replyParam, store, id]);
  const threadPushed = useRef<string | null>(null); // the thread whose address this view added to the history
  const showThread = useCallback(
    (root: Message) => {
      void store.openThread(root);
      threadPushed.current = root.id;
      navigate(threadPath(id, root.id), { replace: new URLSearchParams(window.location.search).has("thread") });
    },
    [store, id],
  );
  const closeThread = useCallback(() => {
    const pushedHere = threadPushed.current !== null && threadPushed.current === threadParam;
    threadPushed.current = null;
    if (pushedHere) window.history.back(); // as Back would: the entry before it is this conversation
    else navigate(conversationPath(id), { replace: true });
  }, [id, threadParam]);

  useEffect(() => {
    store.loadPins(id).catch(() => undefined); // the header shows no count until it can be read
  }, [id, store, attempt]);

  // Once it has opened, focus goes into the conversation: the message box with a mouse, else the title
  // (a touch keyboard would cover the messages).
  const loaded = conversation !== undefined;
  useEffect(() => {
    if (!loaded) return;
    if (!(finePointer() && focusComposer())) document.getElementById("conversation-title")?.focus();
  }, [loaded]);

  // Names for "who reacted": members (groups, direct messages), then senders and people fetched by id.
  const members = conversation?.members;
  const known = useMemo(() => {
    const names = new Map<number, string>();
    const people = [...Object.values(state.users), ...(members ?? []), ...Object.values(state.renamed)];
    for (const person of people) names.set(person.id, displayName(person));
    return names;
  }, [state.users, members, state.renamed]);
  const nameOf = useCallback((userId: number) => known.get(userId) ?? "someone", [known]);
  const named = useCallback((person: UserRef) => shownName(person, state.renamed), [state.renamed]);
  useEffect(() => {
    const reactors = timeline?.messages.flatMap((m) => m.reactions?.flatMap((r) => r.users) ?? []) ?? [];
    const repliers = timeline?.messages.flatMap((m) => m.thread?.participants ?? []) ?? [];
    store.resolveUsers([...reactors, ...repliers].filter((userId) => userId !== me.id && !known.has(userId)));
  }, [timeline?.messages, known, store, me.id]);

  // Removed from it (or left it in another tab) while it is open: leave it, and say so on the page that shows
  // instead (it went without a word, as if it had never been).
  const shown = useRef<string | null>(null);
  // Left of my own accord (the header's Leave; the socket's word of it may come before the answer): home
  // without the notice of one removed, "You are no longer a member of …".
  const leaving = useRef(false);
  useEffect(() => {
    if (conversation) shown.current = conversationTitle(conversation, me);
    else if (leaving.current) navigate("/", { replace: true });
    else if (shown.current !== null) navigate("/", { replace: true, state: { leftConversation: shown.current } });
  }, [conversation, me]);

  const messages = timeline ? mainTimeline(timeline) : [];
  const lastKey = messages[messages.length - 1]?.client_id;
  const announcement = useNewMessageAnnouncement(messages, openedFor === id, me.id);
  const firstKey = messages[0]?.id;

  // Keep the reading position: pinned to the bottom for new messages, steady when older ones load. A message
  // I have just sent is shown wherever I was reading: it goes at the bottom, and I expect to see it go.
  const last = messages[messages.length - 1];
  const justSent = last?.state === "pending" && last.sender.id === me.id;
  useLayoutEffect(() => {
    const el = scroller.current;
    if (!el) return;
    if (anchor.current) {
      el.scrollTop = el.scrollHeight - anchor.current.height + anchor.current.top;
      anchor.current = null;
    } else if (stick.current || justSent) {
      el.scrollTop = el.scrollHeight;
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps -- on a new last message, not when it is acked
  }, [messages.length, lastKey, firstKey]);

  // Opened with more new messages than fit: at the first of them, its line at the top, not at the newest.
  const firstNew = newOnOpening && firstNewMessage(messages, newOnOpening, me.id);
  const newLoaded = openedFor === id && !!firstNew;
  useLayoutEffect(() => {
    const el = scroller.current;
    const line = el?.querySelector<HTMLElement>("[data-testid=new-messages]");
    if (!el || !line || !newLoaded || scrolledToNew.current === id) return;
    scrolledToNew.current = id;
    const top = el.scrollTop + line.getBoundingClientRect().top - el.getBoundingClientRect().top;
    if (top < el.scrollHeight - el.clientHeight) {
      el.scrollTop = top;
      stick.current = false;
    } else if (stick.current) {
      el.scrollTop = el.scrollHeight; // they fit: still at the newest, the line itself having added its height
    }
  }, [newLoaded, id]);

  // Once the history around it is loaded: a message that came live before (a mention, a notification) may be
  // held already, in a timeline that the loaded page then replaces.
  const focusShown = focusSeq !== null && !!timeline?.loaded && messages.some((m) => m.seq === focusSeq);
  useLayoutEffect(() => {
    if (!focusShown || scrolledTo.current === focusSeq) return;
    scrolledTo.current = focusSeq;
    scroller.current?.querySelector(`[data-seq="${focusSeq}"]`)?.scrollIntoView({ block: "center" });
  }, [focusShown, focusSeq]);

  const loadOlder = useCallback(() => {
    const el = scroller.current;
    if (el) anchor.current = { height: el.scrollHeight, top: el.scrollTop };
    void store.loadOlder(id).finally(() => {
      anchor.current = null;
    });
  }, [id, store]);

  const loadNewer = useCallback(() => void store.loadNewer(id), [id, store]);

  function onScroll() {
    const el = scroller.current;
    if (!el) return;
    const fromBottom = el.scrollHeight - el.scrollTop - el.clientHeight;
    stick.current = fromBottom < 80 && timeline?.newerAfter === null;
    if (el.scrollTop < 150 && timeline?.hasMore && !timeline.loadingOlder) loadOlder();
    if (fromBottom < 150 && timeline?.newerAfter !== null && !timeline?.loadingNewer) loadNewer();
  }

  const onReply = useCallback((m: ChatMessage) => setReplyTo(m), []);
  const onOpenThread = showThread;
  const actions = useMessageActions(setActionError);
  const onPin = useCallback(
    (m: ChatMessage, pinned: boolean) => {
      setActionError(null);
      store.setPinned(m.id, pinned).catch((e: unknown) => {
        setActionError(e instanceof ApiError ? e.message : "Could not change the pin; try again.");
      });
    },
    [store],
  );
  const onUnpin = useCallback((pinned: Pinned) => store.setPinned(pinned.message.id, false), [store]);
  const onForward = useCallback((m: ChatMessage) => setForwarding(m), []);
  const pinnedIds = useMemo(() => new Set(pins?.map((pinned) => pinned.message.id)), [pins]);

  if (error) {
    return (
      <section className="panel">
        <header className="panel-header">
          <BackLink />
          <h1>Conversation unavailable</h1>
        </header>
        <p className="panel-body form-error" role="alert">{error}</p>
      </section>
    );
  }
  if (!conversation) return <p className="panel-body muted" role="status">Loading…</p>;

  const title = conversationTitle(conversation, me);
  const notifyLevel = levelOf(conversation);
  const peer = conversation.kind === "direct" ? directPeer(conversation, me) : undefined;
  const peerStatus = peer ? presenceOf(state, peer) : undefined;
  const memberName = (userId: number) => {
    const member = conversation.members.find((m) => m.id === userId);
    return member ? displayName(member) : "Someone";
  };

  const typingUsers = Object.entries(state.typing[id] ?? {})
    .filter(([user]) => Number(user) !== me.id)
    .map(([user]) => memberName(Number(user)));

  // "Seen by" under my newest stored message.
  const showSeen = conversation.kind === "direct" || (conversation.kind === "group" && conversation.member_count <= SMALL_GROUP);
  const myLast = [...(timeline?.messages ?? [])].reverse().find((m) => m.sender.id === me.id && !m.deleted && !m.thread_root);
  const readers = showSeen && myLast ? seenBy(state.reads[id] ?? {}, myLast.seq, conversation.members, me.id) : null;
  const seenLine =
    readers &&
    (conversation.kind === "direct" ? (
      "Seen"
    ) : (
      <>
        Seen by <NameList names={readers} />
      </>
    ));

  const byId = new Map(timeline?.messages.map((m) => [m.id, m]));
  const mayPinHere = mayPin(conversation);
  // Owners and admins rename a group or channel and say who may pin: from the moment they become one (live).
  const mayEdit = conversation.kind !== "direct" && manages(conversation);
  // No longer one: the Edit dialog closes, and does not come back by itself if they become one again.
  if (showEdit && !mayEdit) setShowEdit(false);
  const isMine = (conversationId: number) => conversationId in state.conversations;
  const subtitle =
    conversation.kind === "direct"
      ? peerStatus
        ? presenceLabel(peerStatus)
        : "Status unknown until you are back online"
      : `${conversation.member_count} member${conversation.member_count === 1 ? "" : "s"}`;

  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    setDragging(false);
    if (e.dataTransfer.files.length) uploads.add([...e.dataTransfer.files]);
  };

  const unreadThreads = unreadThreadsIn(state.followed, id);
  const firstUnreadThread = Object.values(state.followed).find((t) => t.root.conversation === id && t.unread_count > 0);
  const openThread = state.thread?.conversation === id ? state.thread : null;

  return (
    <div className={`conversation-split${openThread ? " with-thread" : ""}`}>
      <section
        className={`conversation${dragging ? " dragging" : ""}`}
        aria-labelledby="conversation-title"
        onDragOver={(e) => {
          if ([...e.dataTransfer.types].includes("Files")) {
            e.preventDefault();
            setDragging(true);
          }
        }}
        onDragLeave={(e) => {
          if (e.currentTarget === e.target) setDragging(false);
        }}
        onDrop={onDrop}
      >
        <header className="panel-header">
          <BackLink />
          <div className="conversation-heading">
            <h1 id="conversation-title" tabIndex={-1}>{title}</h1>
            <span className="muted" data-testid="conversation-subtitle">
              {peerStatus && <span className={`dot presence-${peerStatus}`} aria-hidden="true" />}{" "}
              {conversation.kind === "direct" ? (
                subtitle
              ) : (
                <button type="button" className="link members-button" aria-haspopup="dialog" onClick={() => setShowMembers(true)}>
                  {subtitle}
                </button>
              )}
            </span>
          </div>
          {unreadThreads > 0 && firstUnreadThread && (
            <button
              type="button"
              className="link unread-threads"
              data-testid="unread-threads"
              onClick={() => showThread(firstUnreadThread.root)}
            >
              <span className="badge">{unreadThreads}</span> unread {unreadThreads === 1 ? "thread" : "threads"}
            </button>
          )}
          <button type="button" className="link pins-button" aria-haspopup="dialog" onClick={() => setShowPins(true)}>
            <Icon name="pin" size={16} /> <span className="pins-label">Pinned{pins ? ` (${pins.length})` : ""}</span>
          </button>
          {mayEdit && (
            <button type="button" className="link edit-button" aria-haspopup="dialog" onClick={() => setShowEdit(true)}>
              <Icon name="edit" size={16} /> <span className="edit-label">Edit</span>
              <span className="visually-hidden"> conversation</span>
            </button>
          )}
          <button
            type="button"
            className="icon"
            aria-expanded={showNotifications}
            aria-controls="conversation-notifications"
            ref={bell}
            aria-label={`Notification settings (${LEVEL_LABELS[notifyLevel]})`}
            title={`Notifications: ${LEVEL_LABELS[notifyLevel]}`}
            onClick={() => setShowNotifications(!showNotifications)}
          >
            <Icon name={notifyLevel === "none" ? "bellOff" : "bell"} />
          </button>
          {peer &&
            (blocking.blocked ? (
              <button
                type="button"
                className="link"
                onClick={() => void blocking.unblock().catch(() => setActionError(`Could not unblock ${title}; try again.`))}
              >
                Unblock
              </button>
            ) : (
              <button
                type="button"
                className="link"
                onClick={() =>
                  window.confirm(`Block ${title}? Neither of you will be able to send messages here; they are not told.`) &&
                  void blocking.block().catch(() => setActionError(`Could not block ${title}; try again.`))
                }
              >
                Block
              </button>
            ))}
          {conversation.kind !== "direct" && (
            <button
              type="button"
              className="link"
              onClick={() => {
                if (!window.confirm(`Leave ${title}?`)) return;
                setActionError(null);
                leaving.current = true;
                // Refused or unanswered (offline), it says so: the click used to do nothing visible.
                http.leave(id).then(
                  () => {
                    store.removeConversation(id);
                    navigate("/");
                  },
                  (e: unknown) => {
                    leaving.current = false;
                    setActionError(
                      e instanceof ApiError ? `Could not leave ${title}: ${e.message}` : `Could not leave ${title}; check your connection and try again.`,
                    );
                  },
                );
              }}
            >
              Leave
            </button>
          )}
        </header>
        {showNotifications && (
          <ConversationNotifications
            conversation={conversation}
            id="conversation-notifications"
            onClose={() => {
              setShowNotifications(false);
              bell.current?.focus();
            }}
          />
        )}
        {actionError && (
          <p className="banner" role="alert">
            {actionError}
          </p>
        )}
        {peer && blocking.blocked && (
          <p className="banner" role="status">
            You blocked <Name>{title}</Name>: neither of you can send messages here. Unblock them here or in Settings → Security.
          </p>
        )}
        <div className="timeline" ref={scroller} onScroll={onScroll} tabIndex={0} role="region" aria-label="Messages">
          {timeline?.hasMore && timeline.loaded && (
            <button type="button" className="link load-older" onClick={loadOlder} disabled={timeline.loadingOlder}>
              {timeline.loadingOlder ? "Loading…" : "Load older messages"}
            </button>
          )}
          {timeline?.loaded && !timeline.hasMore && (
            <p className="muted timeline-start">
              This is the start of <Name>{title}</Name>.
            </p>
          )}
          {!timeline?.loaded && <p className="muted" role="status">Loading messages…</p>}
          <ol className="messages">
            {messages.map((m, index) => {
              const previous = messages[index - 1];
              const compact =
                m !== firstNew &&
                !!previous &&
                !m.reply_to &&
                previous.sender.id === m.sender.id &&
                !previous.deleted &&
                Date.parse(m.created_at) - Date.parse(previous.created_at) < COMPACT_WITHIN_MS;
              return (
                <Fragment key={m.client_id || m.id}>
                  {m === firstNew && (
                    <li className="new-messages" data-testid="new-messages">
                      New messages
                    </li>
                  )}
                  <MessageItem
                    message={m}
                    parent={m.reply_to ? byId.get(m.reply_to) : undefined}
                    meId={me.id}
                    meUsername={me.username}
                    nameOf={nameOf}
                    named={named}
                    compact={compact}
                    highlighted={m.seq === focusSeq}
                    seenBy={m === myLast ? seenLine : null}
                    pinned={pinnedIds.has(m.id)}
                    mayPin={mayPinHere}
                    original={m.forwarded_from ? originalPath(m.forwarded_from, isMine) : null}
                    onPin={onPin}
                    onForward={onForward}
                    onReply={onReply}
                    onOpenThread={m.state === "sent" ? onOpenThread : undefined}
                    threadUnread={state.followed[m.id]?.unread_count ?? 0}
                    {...actions}
                  />
                </Fragment>
              );
            })}
          </ol>
          {timeline && timeline.newerAfter !== null && (
            <button type="button" className="link load-newer" onClick={loadNewer} disabled={timeline.loadingNewer}>
              {timeline.loadingNewer ? "Loading…" : "Load newer messages"}
            </button>
          )}
        </div>
        <p className="visually-hidden" aria-live="polite" data-testid="new-message-announcement">
          {announcement}
        </p>
        <div className="typing" aria-live="polite" data-testid="typing-indicator">
          {typingUsers.length > 0 && (
            <>
              <NameList names={typingUsers} /> {typingUsers.length === 1 ? "is" : "are"} typing…
            </>
          )}
        </div>
        <Composer
          conversation={id}
          members={conversation.kind === "channel" ? undefined : conversation.members}
          broadcast={conversation.kind !== "direct" && (conversation.all_mention_policy !== "admins" || manages(conversation))}
          replyTo={replyTo}
          onCancelReply={() => setReplyTo(null)}
          uploads={uploads}
        />
        {showMembers && <MembersDialog conversation={conversation} title={title} onClose={() => setShowMembers(false)} />}
        {showEdit && mayEdit && (
          <EditConversationDialog conversation={conversation} title={title} onClose={() => setShowEdit(false)} />
        )}
        {showPins && (
          <PinnedDialog pins={pins} mayUnpin={mayPinHere} onUnpin={onUnpin} onClose={() => setShowPins(false)} />
        )}
        {forwarding && (
          <ForwardDialog
            message={forwarding}
            conversations={sortConversations(state.conversations)}
            me={me}
            onForward={(target) => store.forward(forwarding.id, target.id)}
            onClose={() => setForwarding(null)}
          />
        )}
        {dragging && <div className="drop-hint" aria-hidden="true">Drop files to attach</div>}
      </section>
      {openThread && <ThreadPanel thread={openThread} nameOf={nameOf} named={named} onClose={closeThread} />}
    </div>
  );
}
