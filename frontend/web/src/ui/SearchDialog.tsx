import { useEffect, useMemo, useRef, useState, type KeyboardEvent } from "react";
import { ApiError } from "../api/client";
import type { SearchHit } from "../api/types";
import { conversationTitle, displayName, formatTime } from "../lib/names";
import { messagePath, navigate } from "../lib/router";
import { groupByConversation, SEARCH_FILTERS, snippetParts, withFilter } from "../lib/snippet";
import { useApp, useChat } from "./context";
import { useModal } from "./Dialog";
import { Icon } from "./Icon";
import { useDebounced } from "./useDebounced";
import { Name } from "./Name";

interface Results {
  query: string;
  hits: SearchHit[];
  cursor: string | null;
  error: string | null;
}

const optionId = (hit: SearchHit) => `search-hit-${hit.message.id}`;

function Snippet({ snippet }: { snippet: string }) {
  return (
    <span className="search-snippet">
      {snippetParts(snippet).map((part, index) => (part.marked ? <mark key={index}>{part.text}</mark> : part.text))}
    </span>
  );
}

/** Search messages (Ctrl/⌘ K): a modal <dialog> with a combobox over a listbox of hits grouped by
 * conversation; ↑ ↓ move through the hits, Enter opens the conversation at the message, Esc closes. */
export function SearchDialog({ open, onClose }: { open: boolean; onClose: () => void }) {
  const { http, me } = useApp();
  const { conversations } = useChat();
  const dialog = useRef<HTMLDialogElement>(null);
  const input = useRef<HTMLInputElement>(null);
  const [query, setQuery] = useState("");
  const [includePublic, setIncludePublic] = useState(false);
  const [answer, setAnswer] = useState<Results | null>(null);
  const [active, setActive] = useState(0);
  const debounced = useDebounced(query.trim(), 250);

  useModal(dialog, open);
  useEffect(() => {
    if (open) input.current?.select();
  }, [open]);

  useEffect(() => {
    if (!debounced) return;
    let current = true;
    http
      .searchMessages({ q: debounced, public: includePublic })
      .then((page) => {
        if (!current) return;
        setAnswer({ query: debounced, hits: page.results, cursor: page.next_cursor, error: null });
        setActive(0);
      })
      .catch((e: unknown) => {
        if (!current) return;
        const error = e instanceof ApiError ? e.message : "Search is not available offline.";
        setAnswer({ query: debounced, hits: [], cursor: null, error });
      });
    return () => {
      current = false;
    };
  }, [debounced, includePublic, http]);

  // What the box holds now was answered (an older answer is not shown under newer words).
  const results = debounced && answer?.query === debounced ? answer : null;
  const groups = useMemo(() => groupByConversation(results?.hits ?? []), [results]);
  const ordered = groups.flatMap((group) => group.hits); // the order the list shows them in
  const activeHit = ordered[Math.min(active, ordered.length - 1)];

  useEffect(() => {
    if (activeHit) document.getElementById(optionId(activeHit))?.scrollIntoView({ block: "nearest" });
  }, [activeHit]);

  const loadMore = () => {
    if (!results?.cursor) return;
    void http.searchMessages({ q: results.query, public: includePublic, cursor: results.cursor }).then((page) =>
      setAnswer({ ...results, hits: [...results.hits, ...page.results], cursor: page.next_cursor }),
    );
  };

  const choose = (hit: SearchHit) => {
    onClose();
    // A public channel one is not in opens in the channel list, where one can join it; a reply, in its thread.
    navigate(conversations[hit.conversation.id] ? messagePath({ ...hit.message, conversation: hit.conversation.id }) : "/channels");
  };

  const onKeyDown = (e: KeyboardEvent<HTMLInputElement>) => {
    if (!ordered.length) return;
    const step = { ArrowDown: 1, ArrowUp: -1 }[e.key];
    if (step !== undefined) {
      e.preventDefault();
      setActive(Math.max(0, Math.min(ordered.length - 1, active + step)));
    } else if (e.key === "Enter" && activeHit) {
      e.preventDefault();
      choose(activeHit);
    }
  };

  const addFilter = (insert: string) => {
    setQuery((q) => withFilter(q, insert));
    input.current?.focus();
  };

  const titleOf = (conversation: SearchHit["conversation"]) => {
    const known = conversations[conversation.id];
    return known ? conversationTitle(known, me) : conversation.title || "Direct message";
  };

  let status = "";
  if (results?.error) status = results.error;
  else if (results) {
    const n = results.hits.length;
    status = n ? `${n}${results.cursor ? "+" : ""} message${n === 1 ? "" : "s"} found` : "No messages match.";
  }

  return (
    <dialog ref={dialog} className="dialog search-dialog" aria-labelledby="search-title" onClose={onClose}>
      <div className="dialog-header">
        <h2 id="search-title">Search messages</h2>
        <button type="button" className="icon" aria-label="Close" onClick={onClose}>
          <Icon name="close" />
        </button>
      </div>
      <label htmlFor="search-input" className="visually-hidden">
        Search for
      </label>
      <input
        id="search-input"
        ref={input}
        type="search"
        role="combobox"
        aria-expanded={ordered.length > 0}
        aria-controls="search-results"
        aria-autocomplete="list"
        aria-activedescendant={activeHit ? optionId(activeHit) : undefined}
        aria-describedby="search-help"
        autoComplete="off"
        placeholder='Words, "a phrase", OR, -leave out'
        value={query}
        onChange={(e) => setQuery(e.target.value)}
        onKeyDown={onKeyDown}
      />
      <p id="search-help" className="muted search-help">
        ↑ ↓ to choose, Enter to open the conversation at the message.
      </p>
      <div className="search-chips" role="group" aria-label="Filters">
        {SEARCH_FILTERS.map((filter) => (
          <button key={filter.label} type="button" className="search-chip" title={filter.description} onClick={() => addFilter(filter.insert)}>
            {filter.label}
          </button>
        ))}
        <button type="button" className="search-chip" aria-pressed={includePublic} onClick={() => setIncludePublic(!includePublic)}>
          Public channels
        </button>
      </div>
      <p className="muted search-status" role="status">
        {status}
      </p>
      {groups.length > 0 && (
      <div id="search-results" role="listbox" aria-label="Messages found" className="search-results">
        {groups.map((group) => (
          <div key={group.conversation.id} role="group" aria-labelledby={`search-group-${group.conversation.id}`}>
            <div role="presentation" id={`search-group-${group.conversation.id}`} className="search-group-title">
              {titleOf(group.conversation)}
            </div>
            {group.hits.map((hit) => (
              <div
                key={hit.message.id}
                id={optionId(hit)}
                role="option"
                aria-selected={hit === activeHit}
                className={`search-hit${hit === activeHit ? " active" : ""}`}
                onMouseDown={(e) => e.preventDefault()}
                onClick={() => choose(hit)}
              >
                <span className="search-hit-meta">
                  <strong>
                      <Name>{displayName(hit.message.sender)}</Name>
                    </strong>{" "}
                  <time dateTime={hit.message.created_at} className="muted">
                    {formatTime(hit.message.created_at)}
                  </time>
                </span>
                <Snippet snippet={hit.snippet} />
              </div>
            ))}
          </div>
        ))}
      </div>
      )}
      {results?.cursor && (
        <button type="button" className="link" onClick={loadMore}>
          More results
        </button>
      )}
    </dialog>
  );
}
