import { lazy, Suspense, useEffect, useRef, useState, type ClipboardEvent, type KeyboardEvent } from "react";
import { flushSync } from "react-dom";
import type { PublicUser } from "../api/types";
import { closedShortcodeAt, replaceRange, tokenAt, type Token } from "../lib/completion";
import { charactersOver } from "../lib/limits";
import { COMPOSER_ID } from "../lib/focus";
import { displayName } from "../lib/names";
import { plainPreview } from "../lib/preview";
import type { ChatMessage } from "../state/messages";
import { useApp } from "./context";
import { Icon } from "./Icon";
import { Name } from "./Name";
import { TooLong } from "./TooLong";
import type { useUploads } from "./useUploads";

const EmojiDialog = lazy(() => import("./EmojiDialog"));
// The emoji search module (and through it the emoji database) loads at the first ":" typed.
const emoji = () => import("../lib/emoji");

interface Suggestion {
  key: string;
  insert: string;
  label: React.ReactNode;
}

interface Props {
  conversation: number;
  /** Who may be mentioned; none given (a channel's are not held): asked of the server as one types. */
  members?: PublicUser[];
  /** @here and @all may be offered: a group or channel whose policy lets me use them. */
  broadcast?: boolean;
  replyTo: ChatMessage | null;
  onCancelReply: () => void;
  uploads: ReturnType<typeof useUploads>;
}

const TYPING_REPEAT_MS = 3000;
const TYPING_IDLE_MS = 4000;

const BROADCASTS = [
  { name: "here", help: "notify the members who are here now" },
  { name: "all", help: "notify every member" },
];

export function Composer({ conversation, members, broadcast = false, replyTo, onCancelReply, uploads }: Props) {
  const { store, me, http } = useApp();
  const drafts = store.drafts;
  // The draft left here (also before a reload) comes back; every change is kept as the new draft.
  const [text, setShownText] = useState(() => drafts.get(conversation));
  const setText = (next: string) => {
    setShownText(next);
    drafts.set(conversation, next);
  };
  const [token, setToken] = useState<Token | null>(null);
  // Emoji found for a query (searched asynchronously): shown only while that query is the one typed.
  const [emojiMatches, setEmojiMatches] = useState<{ query: string; found: Suggestion[] }>({ query: "", found: [] });
  const [highlight, setHighlight] = useState(0);
  const [waiting, setWaiting] = useState(false); // Enter was pressed while a file was uploading
  if (waiting && !uploads.busy) setWaiting(false); // the files are in: the note goes, and stays gone
  const [picking, setPicking] = useState(false);
  const input = useRef<HTMLTextAreaElement>(null);
  const fileInput = useRef<HTMLInputElement>(null);
  const typing = useRef<{ sentAt: number; idle: ReturnType<typeof setTimeout> | null }>({ sentAt: 0, idle: null });

  const mentionQuery = token?.kind === "mention" ? token.query : null;
  const emojiQuery = token?.kind === "emoji" ? token.query : null;
  // Members found by the server for a query: offered only while that query is the one typed.
  const [found, setFound] = useState<{ query: string; users: PublicUser[] }>({ query: "", users: [] });
  const askServer = members === undefined;
  useEffect(() => {
    if (!askServer || mentionQuery === null) return;
    let current = true;
    http.findMembers(conversation, mentionQuery).then(
      (users) => current && setFound({ query: mentionQuery, users }),
      () => undefined,
    );
    return () => {
      current = false;
    };
  }, [askServer, mentionQuery, conversation, http]);
  const candidates = members ?? (found.query === mentionQuery ? found.users : []);
  const suggestions: Suggestion[] =
    mentionQuery !== null
      ? [
          ...candidates
            .filter((m) => m.id !== me.id)
            .filter((m) => m.username.toLowerCase().startsWith(mentionQuery) || displayName(m).toLowerCase().startsWith(mentionQuery))
            .slice(0, 6)
            .map((user) => ({
              key: `user-${user.id}`,
              insert: `@${user.username} `,
              label: (
                <>
                  <strong>{displayName(user)}</strong> <span className="muted">@{user.username}</span>
                </>
              ),
            })),
          ...(broadcast ? BROADCASTS : [])
            .filter((b) => mentionQuery.length > 0 && b.name.startsWith(mentionQuery))
            .map((b) => ({
              key: `broadcast-${b.name}`,
              insert: `@${b.name} `,
              label: (
                <>
                  <strong>@{b.name}</strong> <span className="muted">{b.help}</span>
                </>
              ),
            })),
        ]
      : emojiQuery !== null && emojiMatches.query === emojiQuery
        ? emojiMatches.found
        : [];
  const menuOpen = suggestions.length > 0;

  useEffect(() => {
    if (emojiQuery === null) return;
    let current = true;
    void emoji()
      .then(({ searchEmoji }) => searchEmoji(emojiQuery, 6))
      .then(
        (found) =>
          current &&
          setEmojiMatches({
            query: emojiQuery,
            found: found.map((match) => ({
              key: `emoji-${match.emoji}`,
              insert: `${match.emoji} `,
              label: (
                <>
                  <span className="suggestion-emoji">{match.emoji}</span> :{match.shortcode}:
                </>
              ),
            })),
          }),
        () => current && setEmojiMatches({ query: emojiQuery, found: [] }),
      );
    return () => {
      current = false;
    };
  }, [emojiQuery]);

  const stopTyping = () => {
    const state = typing.current;
    if (state.idle) clearTimeout(state.idle);
    state.idle = null;
    if (state.sentAt) store.typing(conversation, "stop");
    state.sentAt = 0;
  };

  useEffect(() => () => stopTyping(), []); // eslint-disable-line react-hooks/exhaustive-deps

  useEffect(() => {
    let mounted = true;
    void drafts.ready().then(() => mounted && setShownText((shown) => shown || drafts.get(conversation)));
    return () => {
      mounted = false;
      void drafts.flush(conversation);
    };
  }, [drafts, conversation]);

  useEffect(() => {
    if (replyTo) input.current?.focus();
  }, [replyTo]);

  function noteTyping() {
    const state = typing.current;
    if (Date.now() - state.sentAt > TYPING_REPEAT_MS) {
      store.typing(conversation, "start");
      state.sentAt = Date.now();
    }
    if (state.idle) clearTimeout(state.idle);
    state.idle = setTimeout(stopTyping, TYPING_IDLE_MS);
  }

  const tooLong = charactersOver(text) > 0;

  function send() {
    const body = text.trim();
    const attachments = uploads.ready;
    setWaiting(uploads.busy); // Enter does nothing while a file uploads: say why (Send is only greyed out)
    if ((!body && !attachments.length) || uploads.busy || tooLong) return;
    store.send(conversation, body || attachments.map((a) => `📎 ${a.name}`).join("\n"), {
      replyTo: replyTo?.id ?? null,
      attachments,
      fromDraft: true,
    });
    setShownText(""); // the store took the draft
    setToken(null);
    uploads.clear();
    onCancelReply();
    stopTyping();
  }

  /** Replace [start, caret) with `insert` and put the caret after it, in one go: the text is rendered at
   * once (flushSync) and the caret placed right after, so a key typed straight after picking lands after
   * the insert (placed a frame later, the caret went back behind what was typed meanwhile). */
  function insertAt(start: number, insert: string, base = text) {
    const caret = input.current?.selectionStart ?? base.length;
    const next = replaceRange(base, start, caret, insert);
    flushSync(() => {
      setText(next.text);
      setToken(null);
    });
    input.current?.setSelectionRange(next.caret, next.caret);
    input.current?.focus();
  }

  function pick(suggestion: Suggestion) {
    if (token) insertAt(token.start, suggestion.insert);
  }

  /** A whole `:shortcode:` just typed becomes its emoji. */
  function swapShortcode(value: string, caret: number) {
    const closed = closedShortcodeAt(value, caret);
    if (!closed) return;
    void emoji()
      .then(({ emojiForShortcode }) => emojiForShortcode(closed.code))
      .then((found) => {
        if (found && input.current?.value === value) insertAt(closed.start, found, value);
      });
  }

  function onKeyDown(e: KeyboardEvent<HTMLTextAreaElement>) {
    if (menuOpen) {
      if (e.key === "ArrowDown" || e.key === "ArrowUp") {
        e.preventDefault();
        const step = e.key === "ArrowDown" ? 1 : -1;
        setHighlight((h) => (h + step + suggestions.length) % suggestions.length);
        return;
      }
      if (e.key === "Enter" || e.key === "Tab") {
        e.preventDefault();
        const chosen = suggestions[highlight] ?? suggestions[0];
        if (chosen) pick(chosen);
        return;
      }
      if (e.key === "Escape") {
        setToken(null);
        return;
      }
    }
    if (e.key === "Escape" && replyTo) onCancelReply();
    if (e.key === "Enter" && !e.shiftKey && !e.nativeEvent.isComposing) {
      e.preventDefault();
      send();
    }
  }

  function onPaste(e: ClipboardEvent<HTMLTextAreaElement>) {
    const files = [...e.clipboardData.files];
    if (files.length) {
      e.preventDefault();
      uploads.add(files);
    }
  }

  return (
    <div className="composer">
      {replyTo && (
        <div className="replying">
          <span>
            Replying to{" "}
            <strong>
              <Name>{displayName(replyTo.sender)}</Name>
            </strong>
            : <bdi>{plainPreview(replyTo.body, 60)}</bdi>
          </span>
          <button type="button" className="icon" aria-label="Cancel reply" onClick={onCancelReply}>
            <Icon name="close" size={16} />
          </button>
        </div>
      )}
      {uploads.uploads.length > 0 && (
        <ul className="uploads" aria-label="Attachments">
          {uploads.uploads.map((u) => (
            <li key={u.key} className={`upload upload-${u.status}`}>
              <span className="file-name">{u.name}</span>
              {u.status === "error" ? (
                <span className="form-error">{u.error}</span>
              ) : (
                <progress value={u.progress} max={1} aria-label={`Uploading ${u.name}`} data-testid="upload-progress" />
              )}
              <button type="button" className="icon" aria-label={`Remove ${u.name}`} onClick={() => uploads.remove(u.key)}>
                <Icon name="close" size={16} />
              </button>
            </li>
          ))}
        </ul>
      )}
      <p className="form-error live-note" role="status">
        {uploads.leftOut}
        {waiting && uploads.busy && "A file is still uploading: send once it is ready."}
      </p>
      {menuOpen && (
        <ul className="mentions" role="listbox" id="suggestion-list" aria-label={token?.kind === "emoji" ? "Emoji" : "Mention someone"}>
          {suggestions.map((suggestion, index) => (
            <li
              key={suggestion.key}
              role="option"
              id={`suggestion-${index}`}
              aria-selected={index === highlight}
              onMouseDown={(e) => {
                e.preventDefault();
                pick(suggestion);
              }}
            >
              {suggestion.label}
            </li>
          ))}
        </ul>
      )}
      <p className="visually-hidden" role="status">
        {menuOpen ? `${suggestions.length} suggestions: up and down arrows to choose, Enter to pick.` : ""}
      </p>
      <p id="composer-hint" className="visually-hidden">
        Enter sends, Shift+Enter starts a new line, @ mentions someone, a colon starts an emoji name.
      </p>
      <div className="composer-row">
        <button type="button" className="icon attach" aria-label="Attach files" onClick={() => fileInput.current?.click()}>
          <Icon name="attach" />
        </button>
        <button type="button" className="icon" aria-label="Insert emoji" aria-haspopup="dialog" onClick={() => setPicking(true)}>
          <Icon name="smile" />
        </button>
        <input
          ref={fileInput}
          type="file"
          multiple
          hidden
          data-testid="file-input"
          onChange={(e) => {
            uploads.add([...(e.target.files ?? [])]);
            e.target.value = "";
          }}
        />
        <textarea
          ref={input}
          id={COMPOSER_ID}
          className="composer-input"
          aria-label="Message"
          placeholder="Write a message…"
          aria-describedby="composer-hint composer-too-long"
          aria-invalid={tooLong}
          rows={1}
          value={text}
          aria-controls={menuOpen ? "suggestion-list" : undefined}
          aria-autocomplete="list"
          aria-activedescendant={menuOpen && suggestions[highlight] ? `suggestion-${highlight}` : undefined}
          onChange={(e) => {
            setText(e.target.value);
            setToken(tokenAt(e.target.value, e.target.selectionStart));
            setHighlight(0);
            swapShortcode(e.target.value, e.target.selectionStart);
            if (e.target.value) noteTyping();
            else stopTyping();
          }}
          onKeyDown={onKeyDown}
          onPaste={onPaste}
          onBlur={() => setToken(null)}
        />
        <button type="button" className="primary send" onClick={send} disabled={uploads.busy || tooLong} aria-label="Send message">
          Send
        </button>
      </div>
      <TooLong text={text} id="composer-too-long" />
      {picking && (
        <Suspense fallback={null}>
          <EmojiDialog
            title="Insert an emoji"
            onPick={(picked) => {
              setPicking(false);
              const at = input.current?.selectionStart ?? text.length;
              insertAt(at, picked);
            }}
            onClose={() => {
              setPicking(false);
              input.current?.focus();
            }}
            returnTo={input}
          />
        </Suspense>
      )}
    </div>
  );
}
