import { lazy, memo, Suspense, useEffect, useMemo, useRef, useState, type FocusEvent, type KeyboardEvent, type MouseEvent, type ReactNode } from "react";
import { formatTime, peopleNames } from "../lib/names";
import { charactersOver } from "../lib/limits";
import { renderMarkdown } from "../lib/markdown";
import { plainPreview } from "../lib/preview";
import { mentionsMe } from "../state/events";
import type { ChatMessage } from "../state/messages";
import type { Message, UserRef } from "../api/types";
import { navigate } from "../lib/router";
import { Avatar } from "./Avatar";
import { Icon } from "./Icon";
import { Attachments } from "./Attachments";
import { LinkPreviews } from "./LinkPreviews";
import { Name, NameList } from "./Name";
import { ReportDialog } from "./ReportDialog";
import { TooLong } from "./TooLong";
import { useReactions } from "./useMessageActions";

const EmojiDialog = lazy(() => import("./EmojiDialog"));

/** A touch screen has no hover, and iOS gives none to an element without a click handler: a tap on a message
 * selects it, which shows its actions there (styles.css). Selected by the tap's click, not by the focus its
 * press gives: shown at the press, the toolbar would be under the finger when the browser decides what the
 * tap clicked, and run whichever action lay there. A tap on a control inside is that control's. */
function isOnControl(e: MouseEvent<HTMLLIElement>) {
  return !!(e.target as Element).closest("a, button, input, textarea, select, dialog");
}

/** What a message shows under its text: whether it was edited, its files, its links' previews. */
export function MessageExtras({ message }: { message: Message }) {
  if (message.deleted) return null;
  return (
    <>
      {message.edited_at && <span className="muted edited"> (edited)</span>}
      <Attachments items={message.attachments} />
      <LinkPreviews items={message.previews} />
    </>
  );
}

export const QUICK_REACTIONS = ["👍", "❤️", "😂", "🎉", "😮", "😢"];

interface Props {
  message: ChatMessage;
  parent: ChatMessage | undefined;
  meId: number;
  /** My username: my mentions are marked more strongly. */
  meUsername: string;
  /** A member's name for "who reacted"; stable while the names it knows stay the same. */
  nameOf: (userId: number) => string;
  /** A sender's name as the page shows it (lib/names shownName); stable until someone is renamed. */
  named: (person: UserRef) => string;
  compact: boolean;
  /** Opened from a search hit: shown marked. */
  highlighted?: boolean;
  /** "Seen" or "Seen by …" under my newest message. */
  seenBy: ReactNode;
  pinned: boolean;
  /** The conversation's pin policy lets me pin and unpin (with `onPin`). */
  mayPin: boolean;
  /** Where a forward's link back leads, when I may see its original. */
  original: string | null;
  /** Pinning and forwarding; absent where they are not offered (in a thread). */
  onPin?: (m: ChatMessage, pinned: boolean) => void;
  onForward?: (m: ChatMessage) => void;
  /** Quote it in a reply; absent where quoting is not offered (in a thread). */
  onReply?: (m: ChatMessage) => void;
  /** Open its thread; absent for a reply in a thread (threads do not nest). */
  onOpenThread?: (m: ChatMessage) => void;
  /** Replies in its thread I have not read (a thread I follow). */
  threadUnread?: number;
  onEdit: (m: ChatMessage, body: string) => void;
  onDelete: (m: ChatMessage) => void;
  /** Settles as the store's action does (refused, or answered). */
  onReact: (m: ChatMessage, emoji: string) => Promise<void>;
  onRetry: (m: ChatMessage) => void;
  onDiscard: (m: ChatMessage) => void;
}

export const MessageItem = memo(function MessageItem(props: Props) {
  const { message: m, parent, meId, meUsername, nameOf, named, compact, highlighted, seenBy, pinned, mayPin, original } = props;
  const [editing, setEditing] = useState(false);
  const [draft, setDraft] = useState(m.body);
  const [picking, setPicking] = useState(false);
  const [reporting, setReporting] = useState(false);
  const [selected, setSelected] = useState(false);
  const selectOnTap = (e: MouseEvent<HTMLLIElement>) => {
    if (isOnControl(e)) return;
    e.currentTarget.focus({ preventScroll: true });
    setSelected(true);
  };
  const unselectOnLeave = (e: FocusEvent<HTMLLIElement>) => {
    if (!e.currentTarget.contains(e.relatedTarget as Node | null)) setSelected(false);
  };
  const { reactions, toggle: react } = useReactions(m, meId, props.onReact);
  const reactButton = useRef<HTMLButtonElement>(null);
  const closePicker = () => {
    setPicking(false);
    reactButton.current?.focus();
  };
  // An edit saved or cancelled from the keyboard gives focus back to Edit (the box goes: it fell to the page).
  const editButton = useRef<HTMLButtonElement>(null);
  const refocusEdit = useRef(false);
  const stopEditing = () => {
    refocusEdit.current = true;
    setEditing(false);
  };
  useEffect(() => {
    if (editing || !refocusEdit.current) return;
    refocusEdit.current = false;
    editButton.current?.focus();
  }, [editing]);
  // Deleted from its own Delete button, the message keeps focus once its actions go with the deletion.
  const item = useRef<HTMLLIElement>(null);
  const deleting = useRef(false);
  useEffect(() => {
    if (!m.deleted || !deleting.current) return;
    deleting.current = false;
    const active = document.activeElement;
    if (!active || active === document.body) item.current?.focus({ preventScroll: true });
  }, [m.deleted]);
  const mine = m.sender.id === meId;
  const stored = m.state === "sent";
  const broadcast = !!(m.mentions_all || m.mentions_here);
  const html = useMemo(
    () => (m.deleted ? "" : renderMarkdown(m.body, { me: meUsername, broadcast })),
    [m.deleted, m.body, meUsername, broadcast],
  );
  const callsMe = !mine && !m.deleted && mentionsMe(m, meId);

  const saveOnKey = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if (e.key === "Escape") stopEditing();
    if (e.key === "Enter" && !e.shiftKey) {
      e.preventDefault();
      if (charactersOver(draft) > 0) return; // said under the box; kept open to shorten
      if (draft.trim() && draft !== m.body) props.onEdit(m, draft);
      stopEditing();
    }
  };

  return (
    <li
      ref={item}
      className={`message${mine ? " mine" : ""}${compact ? " compact" : ""}${highlighted ? " highlighted" : ""}${callsMe ? " mentions-me" : ""} state-${m.state}`}
      data-testid="message"
      data-state={m.state}
      data-seq={stored ? m.seq : undefined}
      data-selected={selected || undefined}
      tabIndex={-1}
      onClick={selectOnTap}
      onBlur={unselectOnLeave}
    >
      {!compact && (
        <div className="message-meta">
          <strong>{mine ? "You" : <Name>{named(m.sender)}</Name>}</strong>{" "}
          <time dateTime={m.created_at} className="muted">
            {formatTime(m.created_at)}
          </time>
        </div>
      )}
      {m.reply_to && (
        <blockquote className="reply-quote">
          {parent ? (
            <>
              <strong>
                <Name>{named(parent.sender)}</Name>
              </strong>{" "}
              {parent.deleted ? "Message deleted" : <bdi>{plainPreview(parent.body, 100)}</bdi>}
            </>
          ) : (
            "Reply to an earlier message"
          )}
        </blockquote>
      )}
      {m.forwarded_from && !m.deleted && (
        <p className="forwarded muted" data-testid="forwarded">
          <Icon name="forward" size={14} /> Forwarded from <Name>{m.forwarded_from.sender_name}</Name>
          {original && (
            <>
              {" · "}
              <a
                href={original}
                onClick={(e) => {
                  e.preventDefault();
                  navigate(original);
                }}
              >
                View original
              </a>
            </>
          )}
        </p>
      )}
      {pinned && !m.deleted && (
        <p className="pinned-mark muted">
          <Icon name="pin" size={14} /> Pinned
        </p>
      )}
      {m.deleted ? (
        <p className="muted deleted">This message was deleted.</p>
      ) : editing ? (
        <>
          <textarea
            className="edit-box"
            aria-label="Edit message (Enter saves, Escape cancels)"
            aria-describedby={`too-long-${m.id}`}
            aria-invalid={charactersOver(draft) > 0}
            value={draft}
            autoFocus
            onChange={(e) => setDraft(e.target.value)}
            onKeyDown={saveOnKey}
          />
          <TooLong text={draft} id={`too-long-${m.id}`} />
        </>
      ) : (
        // Safe: markdown-it runs with html:false (tags are escaped) and refuses script URLs. dir="auto": a message
        // in Arabic or Hebrew reads right to left, from the right (it was laid out left to right).
        <div className="message-body" data-testid="message-body" dir="auto" dangerouslySetInnerHTML={{ __html: html }} />
      )}
      {callsMe && !editing && <span className="visually-hidden">(mentions you)</span>}
      <MessageExtras message={m} />
      {m.state === "pending" && <span className="send-state muted">Sending…</span>}
      {m.state === "failed" && (
        <span className="send-state failed" role="alert">
          Not sent{m.error ? `: ${m.error.replace(/\.$/, "")}` : ""}.{" "}
          <button type="button" className="link" onClick={() => props.onRetry(m)}>
            Retry
          </button>{" "}
          <button type="button" className="link" onClick={() => props.onDiscard(m)}>
            Discard
          </button>
        </span>
      )}
      {stored && !m.deleted && reactions.length > 0 && (
        <div className="reactions">
          {reactions.map((r, index) => {
            const tip = `reaction-${m.id}-${index}`;
            return (
              <span key={r.emoji} className="reaction-wrap">
                <button
                  type="button"
                  className="reaction"
                  aria-pressed={r.users.includes(meId)}
                  aria-label={`${r.emoji} ${r.count}, ${r.users.includes(meId) ? "remove your reaction" : "react"}`}
                  aria-describedby={tip}
                  onClick={() => react(r.emoji)}
                >
                  {r.emoji} {r.count}
                </button>
                <span role="tooltip" id={tip} className="tooltip">
                  <NameList names={peopleNames(r.users, meId, nameOf)} and /> reacted with {r.emoji}
                </span>
              </span>
            );
          })}
        </div>
      )}
      {m.thread && m.thread.reply_count > 0 && props.onOpenThread && (
        <ThreadSummary message={m} unread={props.threadUnread ?? 0} nameOf={nameOf} onOpen={props.onOpenThread} />
      )}
      {seenBy && (
        <div className="seen muted" data-testid="seen-by">
          {seenBy}
        </div>
      )}
      {stored && !m.deleted && !editing && (
        <div className="message-actions" role="toolbar" aria-label="Message actions">
          {props.onReply && (
            <button type="button" className="icon" aria-label="Reply" onClick={() => props.onReply?.(m)}>
              <Icon name="reply" />
            </button>
          )}
          {props.onOpenThread && (
            <button type="button" className="icon" aria-label="Open thread" onClick={() => props.onOpenThread?.(m)}>
              <Icon name="thread" />
            </button>
          )}
          <button
            ref={reactButton}
            type="button"
            className="icon"
            aria-label="Add reaction"
            aria-haspopup="dialog"
            onClick={() => setPicking(true)}
          >
            <Icon name="smile" />
          </button>
          {props.onForward && (
            <button type="button" className="icon" aria-label="Forward" aria-haspopup="dialog" onClick={() => props.onForward?.(m)}>
              <Icon name="forward" />
            </button>
          )}
          {mayPin && props.onPin && (
            <button
              type="button"
              className="icon"
              aria-label={pinned ? "Unpin message" : "Pin message"}
              onClick={() => props.onPin?.(m, !pinned)}
            >
              <Icon name="pin" />
            </button>
          )}
          {!mine && (
            <button type="button" className="icon" aria-label="Report" aria-haspopup="dialog" onClick={() => setReporting(true)}>
              <Icon name="flag" />
            </button>
          )}
          {mine && !m.forwarded_from && (
            <button
              ref={editButton}
              type="button"
              className="icon"
              aria-label="Edit"
              onClick={() => {
                setDraft(m.body);
                setEditing(true);
              }}
            >
              <Icon name="edit" />
            </button>
          )}
          {mine && (
            <button
              type="button"
              className="icon"
              aria-label="Delete"
              onClick={() => {
                if (!window.confirm("Delete this message?")) return;
                deleting.current = true;
                props.onDelete(m);
              }}
            >
              <Icon name="trash" />
            </button>
          )}
        </div>
      )}
      {reporting && <ReportDialog message={m} senderName={named(m.sender)} onClose={() => setReporting(false)} />}
      {picking && (
        <Suspense fallback={null}>
          <EmojiDialog
            title="Add a reaction"
            quick={QUICK_REACTIONS}
            quickLabel={(emoji) => `React with ${emoji}`}
            onPick={(emoji) => {
              react(emoji);
              closePicker();
            }}
            onClose={closePicker}
          />
        </Suspense>
      )}
    </li>
  );
});

const AVATARS_SHOWN = 3;

/** Under a thread's root: how many replies, who replied (the latest first), when, and what I have not read. */
function ThreadSummary(props: {
  message: ChatMessage;
  unread: number;
  nameOf: (userId: number) => string;
  onOpen: (m: ChatMessage) => void;
}) {
  const { message, unread, nameOf } = props;
  const thread = message.thread;
  if (!thread) return null;
  const count = thread.reply_count;
  return (
    <button type="button" className="thread-summary link" data-testid="thread-summary" onClick={() => props.onOpen(message)}>
      <span className="thread-avatars">
        {thread.participants.slice(0, AVATARS_SHOWN).map((id) => (
          <Avatar key={id} name={nameOf(id)} />
        ))}
      </span>
      <span className="thread-count">
        {count} {count === 1 ? "reply" : "replies"}
      </span>
      {unread > 0 && (
        <span className="badge" data-testid="thread-unread">
          {unread} new
        </span>
      )}
      {thread.last_reply_at && (
        <span className="muted thread-last">
          Last reply <time dateTime={thread.last_reply_at}>{formatTime(thread.last_reply_at)}</time>
        </span>
      )}
    </button>
  );
}
