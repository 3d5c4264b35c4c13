import { effectiveLevel } from "../lib/attention";
import { conversationTitle, directPeer, displayName, formatTime, shownName } from "../lib/names";
import { plainPreview } from "../lib/preview";
import { navigate } from "../lib/router";
import { presenceOf, sortConversations } from "../state/store";
import { unreadThreadsIn } from "../state/threads";
import { Avatar } from "./Avatar";
import { useApp, useChat } from "./context";
import { Icon } from "./Icon";
import { Name } from "./Name";

function Link({ to, className, children, label, current }: {
  to: string;
  className?: string;
  children: React.ReactNode;
  label?: string;
  current?: boolean;
}) {
  return (
    <a
      href={to}
      className={className}
      aria-label={label}
      aria-current={current ? "page" : undefined}
      onClick={(e) => {
        if (e.metaKey || e.ctrlKey || e.shiftKey || e.button !== 0) return;
        e.preventDefault();
        navigate(to);
      }}
    >
      {children}
    </a>
  );
}

export { Link };

interface SidebarProps {
  activeId: number | null;
  onShowShortcuts: () => void;
  onShowSearch: () => void;
  /** Shown under the actions: the offer to turn notifications on. */
  offer?: React.ReactNode;
  /** The address shown in the main panel, to mark its link current. */
  currentPath?: string;
}

export function Sidebar({ activeId, onShowShortcuts, onShowSearch, offer, currentPath }: SidebarProps) {
  const { me } = useApp();
  const { conversations, presence, connection, loadError, followed, prefs, renamed } = useChat();
  const list = sortConversations(conversations);
  const mentionTotal = list.reduce((sum, c) => sum + (effectiveLevel(c, prefs) === "none" ? 0 : (c.unread_mentions ?? 0)), 0);

  return (
    <nav className="sidebar" aria-label="Conversations">
      <header className="sidebar-header">
        <span className="brand">Parley</span>
        <button type="button" className="icon" aria-label="Keyboard shortcuts" onClick={onShowShortcuts}>
          <Icon name="help" size={20} />
        </button>
        <button type="button" className="icon" aria-label="Search messages" aria-keyshortcuts="Control+K Meta+K" onClick={onShowSearch}>
          <Icon name="search" size={20} />
        </button>
        <Link to="/settings" className="me-link" label={`Settings for ${displayName(me)}`}>
          <Avatar name={displayName(me)} url={me.avatar_url} />
        </Link>
      </header>
      <div className="sidebar-actions">
        <Link to="/new/direct" className="button">New message</Link>
        <Link to="/new/group" className="button">New group</Link>
        <Link to="/channels" className="button">Channels</Link>
        <Link to="/mentions" className="button mentions-link" current={currentPath === "/mentions"}>
          Mentions
          {mentionTotal > 0 && (
            <>
              {" "}
              <span className="badge" data-testid="mentions-total">{mentionTotal > 99 ? "99+" : mentionTotal}</span>
              <span className="visually-hidden"> unread</span>
            </>
          )}
        </Link>
      </div>
      {offer}
      {loadError && <p className="form-error" role="alert">{loadError}</p>}
      <ul className="conversation-list">
        {list.length === 0 && !loadError && <li className="muted empty-list">No conversations yet.</li>}
        {list.map((c) => {
          const title = conversationTitle(c, me);
          const peer = c.kind === "direct" ? directPeer(c, me) : undefined;
          const status = peer ? presenceOf({ presence, connection }, peer) : undefined;
          const last = c.last_message;
          const said = last && (last.deleted ? "Message deleted" : plainPreview(last.body, 60) || (last.attachments.length ? "Attachment" : ""));
          // "You: …", "Grace: …" (by name in a group or channel), the text alone from the other person of a direct one
          const mine = last?.sender.id === me.id;
          const sender = last && !mine && c.kind !== "direct" ? shownName(last.sender, renamed) : null;
          const preview = last ? (
            <>
              {mine && "You: "}
              {sender && (
                <>
                  <Name>{sender}</Name>:{" "}
                </>
              )}
              <bdi>{said}</bdi>
            </>
          ) : (
            "No messages yet"
          );
          // Where nothing notifies (muted, level none) the counts are left out; mentions are counted apart.
          const level = effectiveLevel(c, prefs);
          const unread = c.unread_count > 0 && level !== "none";
          const mentions = level === "none" ? 0 : (c.unread_mentions ?? 0);
          const unreadThreads = unreadThreadsIn(followed, c.id);
          return (
            <li key={c.id}>
              <Link
                to={`/c/${c.id}`}
                className={`conversation-item${unread ? " unread" : ""}`}
                current={c.id === activeId}
              >
                <Avatar name={title} presence={status} url={peer?.avatar_url} />
                {/* The link's name is its visible text, with what only the avatar and badge show spelled out. */}
                <span className="conversation-text">
                  <span className="conversation-top">
                    <span className="conversation-title">
                      <Name>{title}</Name>
                      {status && <span className="visually-hidden">, {status},</span>}
                    </span>{" "}
                    <time className="muted">{formatTime(last?.created_at ?? c.last_activity_at)}</time>
                  </span>{" "}
                  <span className="conversation-bottom">
                    <span className="preview">{preview}</span>
                    {unread && (
                      <>
                        <span className="visually-hidden">, </span>
                        <span className="badge" data-testid="unread-badge">
                          {c.unread_count > 99 ? "99+" : c.unread_count}
                        </span>
                        <span className="visually-hidden"> unread</span>
                      </>
                    )}
                    {mentions > 0 && (
                      <>
                        <span className="visually-hidden">, </span>
                        <span className="badge mention-badge" data-testid="mention-badge">
                          @{mentions > 99 ? "99+" : mentions}
                        </span>
                        <span className="visually-hidden">{mentions === 1 ? " mention" : " mentions"}</span>
                      </>
                    )}
                    {unreadThreads > 0 && (
                      <>
                        <span className="visually-hidden">, </span>
                        <span className="thread-marker" data-testid="unread-threads-marker">
                          <Icon name="thread" size={14} />
                          <span className="visually-hidden">
                            {unreadThreads} {unreadThreads === 1 ? "thread" : "threads"} with unread replies
                          </span>
                        </span>
                      </>
                    )}
                  </span>
                </span>
              </Link>
            </li>
          );
        })}
      </ul>
    </nav>
  );
}
