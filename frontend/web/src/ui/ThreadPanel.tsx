import { useEffect, useLayoutEffect, useRef, useState, type KeyboardEvent } from "react";
import { formatTime } from "../lib/names";
import { renderMarkdown } from "../lib/markdown";
import { threadReplies } from "../state/messages";
import { charactersOver } from "../lib/limits";
import type { UserRef } from "../api/types";
import type { OpenThread } from "../state/store";
import { useApp, useChat } from "./context";
import { Icon } from "./Icon";
import { MessageExtras, MessageItem } from "./MessageItem";
import { TooLong } from "./TooLong";
import { useMessageActions } from "./useMessageActions";
import { useNewMessageAnnouncement } from "./useNewMessageAnnouncement";

interface Props {
  thread: OpenThread;
  nameOf: (userId: number) => string;
  named: (person: UserRef) => string;
  /** Close it (the conversation takes the thread out of the address, which closes it). */
  onClose: () => void;
}

/** Whether a key pressed inside the thread panel closes it: Escape, but not from a text box (there it cancels
 * an edit, or is typed on the way to closing) nor from a dialog opened in the panel (a picture, Report),
 * which Escape closes alone: its keydown reaches the panel too. */
export function escapeClosesThread(e: { key: string; target: EventTarget | null }): boolean {
  const target = e.target instanceof Element ? e.target : null;
  return e.key === "Escape" && target?.tagName !== "TEXTAREA" && target?.closest("dialog") == null;
}

/** A thread beside its conversation: the root, its replies (in seq order, unsent ones last) and a box to
 * reply in it. Escape or the close button closes it. Opened at a reply (`thread.at`), it shows the replies
 * around it, that one highlighted and scrolled to, and loads older ones scrolling up and newer ones scrolling
 * down until it meets the newest. */
export function ThreadPanel({ thread, nameOf, named, onClose }: Props) {
  const { store, me } = useApp();
  const state = useChat();
  const timeline = state.timelines[thread.conversation];
  const replies = timeline ? threadReplies(timeline, thread.root.id, thread) : [];
  // The root as events left it (edited, deleted), else as the thread's read brought it.
  const root = timeline?.messages.find((m) => m.id === thread.root.id) ?? thread.root;
  const heading = useRef<HTMLHeadingElement>(null);
  const scroller = useRef<HTMLDivElement>(null);

  useEffect(() => heading.current?.focus(), [thread.root.id]);
  // Keep the reading position: at the reply it was opened at, then steady while older replies load above
  // and newer ones below; at the newest, pinned to the bottom as replies come.
  const anchor = useRef<{ height: number; top: number; first: string | undefined } | null>(null);
  const scrolledTo = useRef<string | null>(null);
  const stick = useRef(false); // opened at a reply: at the bottom once scrolled there
  const target = thread.at !== null && thread.loaded ? `${thread.root.id} ${thread.at}` : null;
  const firstKey = replies[0]?.id;
  useLayoutEffect(() => {
    const el = scroller.current;
    if (!el) return;
    if (target !== null && scrolledTo.current !== target) {
      const reply = el.querySelector(`[data-seq="${thread.at}"]`);
      if (reply) {
        scrolledTo.current = target;
        reply.scrollIntoView({ block: "center" });
        return;
      }
    }
    if (anchor.current && replies[0]?.id !== anchor.current.first) {
      el.scrollTop = el.scrollHeight - anchor.current.height + anchor.current.top;
      anchor.current = null;
    } else if (thread.newerAfter === null && (target === null || stick.current)) {
      el.scrollTop = el.scrollHeight;
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps -- on a changed run of replies
  }, [replies.length, firstKey, target]);
  const loadOlder = () => {
    const el = scroller.current;
    if (el) anchor.current = { height: el.scrollHeight, top: el.scrollTop, first: replies[0]?.id };
    void store.loadOlderReplies().catch(() => undefined);
  };
  const loadNewer = () => void store.loadNewerReplies().catch(() => undefined);
  const onScroll = () => {
    const el = scroller.current;
    if (!el || !thread.loaded) return;
    const fromBottom = el.scrollHeight - el.scrollTop - el.clientHeight;
    stick.current = fromBottom < 80 && thread.newerAfter === null;
    if (el.scrollTop < 150 && thread.hasMore && !thread.loadingOlder) loadOlder();
    if (fromBottom < 150 && thread.newerAfter !== null && !thread.loadingNewer) loadNewer();
  };

  const announcement = useNewMessageAnnouncement(replies, thread.loaded, me.id);
  const [actionError, setActionError] = useState<string | null>(null);
  const actions = useMessageActions(setActionError);
  const close = () => {
    onClose();
    document.getElementById("conversation-title")?.focus();
  };

  const count = root.thread?.reply_count ?? replies.filter((m) => m.state === "sent" && !m.deleted).length;
  return (
    <aside
      className="thread-panel"
      aria-labelledby="thread-title"
      data-testid="thread-panel"
      onKeyDown={(e) => {
        if (escapeClosesThread(e)) close();
      }}
    >
      <header className="panel-header">
        <h2 id="thread-title" ref={heading} tabIndex={-1}>
          Thread
        </h2>
        <button
          type="button"
          className="link"
          aria-pressed={thread.following === true}
          onClick={() => void store.followThread(thread.following !== true).catch(() => undefined)}
        >
          {thread.following ? "Following" : "Follow"}
        </button>
        <button type="button" className="icon" aria-label="Close thread" onClick={close}>
          <Icon name="close" />
        </button>
      </header>
      <div className="thread-body" ref={scroller} onScroll={onScroll} role="region" aria-label="Thread replies" tabIndex={0}>
        <article className="thread-root" aria-label={`Thread started by ${named(root.sender)}`}>
          <div className="message-meta">
            <strong>{root.sender.id === me.id ? "You" : named(root.sender)}</strong>{" "}
            <time dateTime={root.created_at} className="muted">
              {formatTime(root.created_at)}
            </time>
          </div>
          {root.deleted ? (
            <p className="muted deleted">This message was deleted.</p>
          ) : (
            // Safe: markdown-it runs with html:false (tags are escaped) and refuses script URLs. dir="auto" as in
            // MessageItem: a root in Arabic or Hebrew reads right to left.
            <div className="message-body" dir="auto" dangerouslySetInnerHTML={{ __html: renderMarkdown(root.body, { me: me.username, broadcast: !!(root.mentions_all || root.mentions_here) }) }} />
          )}
          <MessageExtras message={root} />
        </article>
        <p className="muted thread-replies-count" data-testid="thread-reply-count">
          {count} {count === 1 ? "reply" : "replies"}
        </p>
        {(thread.error || actionError) && (
          <p className="form-error" role="alert">
            {thread.error || actionError}
          </p>
        )}
        {!thread.loaded && !thread.error && (
          <p className="muted" role="status">
            Loading replies…
          </p>
        )}
        {thread.hasMore && (
          <button type="button" className="link load-older" onClick={loadOlder} disabled={thread.loadingOlder}>
            {thread.loadingOlder ? "Loading…" : "Load older replies"}
          </button>
        )}
        <ol className="messages" aria-label="Replies">
          {replies.map((m) => (
            <MessageItem
              key={m.client_id || m.id}
              message={m}
              parent={undefined}
              meId={me.id}
              meUsername={me.username}
              nameOf={nameOf}
              named={named}
              compact={false}
              highlighted={thread.at !== null && m.seq === thread.at}
              seenBy={null}
              pinned={false}
              mayPin={false}
              original={null}
              {...actions}
            />
          ))}
        </ol>
        {thread.loaded && thread.newerAfter !== null && (
          <button type="button" className="link load-newer" onClick={loadNewer} disabled={thread.loadingNewer}>
            {thread.loadingNewer ? "Loading…" : "Load newer replies"}
          </button>
        )}
      </div>
      <p className="visually-hidden" aria-live="polite">
        {announcement}
      </p>
      <ThreadComposer key={thread.root.id} conversation={thread.conversation} root={thread.root.id} />
    </aside>
  );
}

function ThreadComposer({ conversation, root }: { conversation: number; root: string }) {
  const { store } = useApp();
  // The reply being written in this thread (a thread opened afterwards has its own: the panel keys this by
  // root), kept when the panel closes.
  const [text, setShownText] = useState(() => store.drafts.reply(root));
  const setText = (next: string) => {
    setShownText(next);
    store.drafts.setReply(root, next);
  };
  const tooLong = charactersOver(text) > 0;
  const send = () => {
    const body = text.trim();
    if (!body || tooLong) return;
    store.send(conversation, body, { threadRoot: root });
    setText("");
  };
  const onKeyDown = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if (e.key === "Enter" && !e.shiftKey && !e.nativeEvent.isComposing) {
      e.preventDefault();
      send();
    }
  };
  return (
    <div className="composer thread-composer">
      <div className="composer-row">
        <textarea
          className="composer-input"
          aria-label="Reply in thread"
          placeholder="Reply in thread…"
          rows={1}
          value={text}
          aria-describedby="thread-too-long"
          aria-invalid={tooLong}
          onChange={(e) => setText(e.target.value)}
          onKeyDown={onKeyDown}
        />
        <button type="button" className="primary send" onClick={send} disabled={tooLong}>
          Send to thread
        </button>
      </div>
      <TooLong text={text} id="thread-too-long" />
    </div>
  );
}
