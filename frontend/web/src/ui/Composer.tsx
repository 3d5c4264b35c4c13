import { useEffect, useRef, useState, type ClipboardEvent, type KeyboardEvent } from "react";
import type { PublicUser } from "../api/types";
import { COMPOSER_ID } from "../lib/focus";
import { displayName } from "../lib/names";
import { plainPreview } from "../lib/preview";
import type { ChatMessage } from "../state/messages";
import { useApp } from "./context";
import { Icon } from "./Icon";
import type { useUploads } from "./useUploads";

interface Props {
  conversation: number;
  members: PublicUser[];
  replyTo: ChatMessage | null;
  onCancelReply: () => void;
  uploads: ReturnType<typeof useUploads>;
}

const TYPING_REPEAT_MS = 3000;
const TYPING_IDLE_MS = 4000;

/** The @word being typed just before the caret, if any. */
function mentionAt(text: string, caret: number): { start: number; query: string } | null {
  const match = /(^|\s)@([\w.+-]*)$/.exec(text.slice(0, caret));
  if (!match) return null;
  return { start: caret - (match[2]?.length ?? 0) - 1, query: (match[2] ?? "").toLowerCase() };
}

export function Composer({ conversation, members, replyTo, onCancelReply, uploads }: Props) {
  const { store, me } = useApp();
  const [text, setText] = useState("");
  const [mention, setMention] = useState<{ start: number; query: string } | null>(null);
  const [highlight, setHighlight] = useState(0);
  const input = useRef<HTMLTextAreaElement>(null);
  const fileInput = useRef<HTMLInputElement>(null);
  const typing = useRef<{ sentAt: number; idle: ReturnType<typeof setTimeout> | null }>({ sentAt: 0, idle: null });

  const candidates = mention
    ? members
        .filter((m) => m.id !== me.id)
        .filter((m) => m.username.toLowerCase().startsWith(mention.query) || displayName(m).toLowerCase().startsWith(mention.query))
        .slice(0, 6)
    : [];
  const menuOpen = candidates.length > 0;

  const stopTyping = () => {
    const state = typing.current;
    if (state.idle) clearTimeout(state.idle);
    state.idle = null;
    if (state.sentAt) store.typing(conversation, "stop");
    state.sentAt = 0;
  };

  useEffect(() => () => stopTyping(), []); // eslint-disable-line react-hooks/exhaustive-deps

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

  function send() {
    const body = text.trim();
    const attachments = uploads.ready;
    if ((!body && !attachments.length) || uploads.busy) return;
    store.send(conversation, body || attachments.map((a) => `📎 ${a.name}`).join("\n"), {
      replyTo: replyTo?.id ?? null,
      attachments,
    });
    setText("");
    setMention(null);
    uploads.clear();
    onCancelReply();
    stopTyping();
  }

  function pick(user: PublicUser) {
    if (!mention) return;
    const caret = input.current?.selectionStart ?? text.length;
    const insert = `@${user.username} `;
    const next = text.slice(0, mention.start) + insert + text.slice(caret);
    setText(next);
    setMention(null);
    requestAnimationFrame(() => {
      const position = mention.start + insert.length;
      input.current?.setSelectionRange(position, position);
      input.current?.focus();
    });
  }

  function onKeyDown(e: KeyboardEvent<HTMLTextAreaElement>) {
    if (menuOpen) {
      if (e.key === "ArrowDown" || e.key === "ArrowUp") {
        e.preventDefault();
        const step = e.key === "ArrowDown" ? 1 : -1;
        setHighlight((h) => (h + step + candidates.length) % candidates.length);
        return;
      }
      if (e.key === "Enter" || e.key === "Tab") {
        e.preventDefault();
        const chosen = candidates[highlight] ?? candidates[0];
        if (chosen) pick(chosen);
        return;
      }
      if (e.key === "Escape") {
        setMention(null);
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
            Replying to <strong>{displayName(replyTo.sender)}</strong>: {plainPreview(replyTo.body, 60)}
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
      {menuOpen && (
        <ul className="mentions" role="listbox" id="mention-list" aria-label="Mention someone">
          {candidates.map((user, index) => (
            <li
              key={user.id}
              role="option"
              id={`mention-${user.id}`}
              aria-selected={index === highlight}
              onMouseDown={(e) => {
                e.preventDefault();
                pick(user);
              }}
            >
              <strong>{displayName(user)}</strong> <span className="muted">@{user.username}</span>
            </li>
          ))}
        </ul>
      )}
      <p id="composer-hint" className="visually-hidden">
        Enter sends, Shift+Enter starts a new line, @ mentions someone.
      </p>
      <div className="composer-row">
        <button type="button" className="icon attach" aria-label="Attach files" onClick={() => fileInput.current?.click()}>
          <Icon name="attach" />
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
          aria-describedby="composer-hint"
          rows={1}
          value={text}
          aria-controls={menuOpen ? "mention-list" : undefined}
          aria-autocomplete="list"
          aria-activedescendant={menuOpen && candidates[highlight] ? `mention-${candidates[highlight].id}` : undefined}
          onChange={(e) => {
            setText(e.target.value);
            setMention(mentionAt(e.target.value, e.target.selectionStart));
            setHighlight(0);
            if (e.target.value) noteTyping();
            else stopTyping();
          }}
          onKeyDown={onKeyDown}
          onPaste={onPaste}
          onBlur={() => setMention(null)}
        />
        <button type="button" className="primary send" onClick={send} disabled={uploads.busy} aria-label="Send message">
          Send
        </button>
      </div>
    </div>
  );
}
