// Messages that mention me (by name, @here or @all), newest first, from GET /api/v1/mentions/; each opens its
// conversation at the message, as a search hit does.
import { useEffect, useState } from "react";
import { ApiError } from "../api/client";
import type { MentionItem } from "../api/types";
import { conversationTitle, displayName, formatTime } from "../lib/names";
import { plainPreview } from "../lib/preview";
import { messagePath } from "../lib/router";
import { BackLink } from "./BackLink";
import { useApp, useChat } from "./context";
import { Link } from "./Sidebar";
import { Name } from "./Name";

interface Loaded {
  items: MentionItem[];
  cursor: string | null;
}

export function MentionsView() {
  const { http, me } = useApp();
  const { conversations } = useChat();
  const [loaded, setLoaded] = useState<Loaded | null>(null);
  const [loadingMore, setLoadingMore] = useState(false);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let current = true;
    http.mentions().then(
      (page) => current && setLoaded({ items: page.results, cursor: page.next_cursor }),
      (e: unknown) => current && setError(e instanceof ApiError ? e.message : "Could not load your mentions."),
    );
    return () => {
      current = false;
    };
  }, [http]);

  async function loadMore() {
    if (!loaded?.cursor) return;
    setLoadingMore(true);
    try {
      const page = await http.mentions({ cursor: loaded.cursor });
      setLoaded({ items: [...loaded.items, ...page.results], cursor: page.next_cursor });
    } catch (e) {
      setError(e instanceof ApiError ? e.message : "Could not load more mentions.");
    } finally {
      setLoadingMore(false);
    }
  }

  const titleOf = (conversation: MentionItem["conversation"]) => {
    const known = conversations[conversation.id];
    if (known) return conversationTitle(known, me);
    return conversation.title ? `${conversation.kind === "channel" ? "# " : ""}${conversation.title}` : "Direct message";
  };

  return (
    <section className="panel" aria-labelledby="mentions-heading">
      <header className="panel-header">
        <BackLink />
        <h1 id="mentions-heading">Mentions</h1>
      </header>
      <div className="panel-body stack">
        {!loaded && !error && (
          <p className="muted" role="status">
            Loading…
          </p>
        )}
        {error && (
          <p className="form-error" role="alert">
            {error}
          </p>
        )}
        {loaded?.items.length === 0 && <p className="muted">No one has mentioned you yet. When someone writes @{me.username}, it shows here.</p>}
        {loaded && loaded.items.length > 0 && (
          <ul className="mention-list" aria-label="Messages that mention you">
            {loaded.items.map(({ message, conversation }) => (
              <li key={message.id}>
                <Link to={messagePath(message)} className="mention-item">
                  <span className="mention-item-meta">
                    <strong>
                      <Name>{displayName(message.sender)}</Name>
                    </strong>{" "}
                    <span className="muted">
                      {message.thread_root ? "in a thread in" : "in"} {titleOf(conversation)}
                    </span>{" "}
                    <time dateTime={message.created_at} className="muted">
                      {formatTime(message.created_at)}
                    </time>
                  </span>{" "}
                  <span className="mention-item-body">
                    {message.deleted ? "Message deleted" : plainPreview(message.body, 200) || "Attachment"}
                  </span>
                </Link>
              </li>
            ))}
          </ul>
        )}
        {loaded?.cursor && (
          <button type="button" className="link" onClick={() => void loadMore()} disabled={loadingMore}>
            {loadingMore ? "Loading…" : "Older mentions"}
          </button>
        )}
      </div>
    </section>
  );
}
