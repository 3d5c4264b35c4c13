// The emoji picker (emoji-picker-element, a web component) in a modal dialog. Loaded on demand: neither
// the picker nor its data is part of the first screen.
import Picker from "emoji-picker-element/picker";
import type { EmojiClickEvent } from "emoji-picker-element/shared";
import { useEffect, useRef, useState, type RefObject } from "react";
import { EMOJI_DATA_URL, normalizeEmoji } from "../lib/emoji";
import { onBackdrop, useModal } from "./Dialog";
import { Icon } from "./Icon";

interface Props {
  title: string;
  /** A row of one-click choices above the picker. */
  quick?: readonly string[];
  quickLabel?: (emoji: string) => string;
  onPick: (emoji: string) => void;
  onClose: () => void;
  /** Where focus goes once it is closed; by default the control that opened it. */
  returnTo?: RefObject<HTMLElement | null>;
}

export default function EmojiDialog({ title, quick = [], quickLabel = (e) => e, onPick, onClose, returnTo }: Props) {
  const dialog = useRef<HTMLDialogElement>(null);
  const slot = useRef<HTMLDivElement>(null);
  const pick = useRef(onPick);
  useEffect(() => {
    pick.current = onPick;
  });

  // Offline, the picker is not made: it would fetch its data (or check it for an update), fail, and log the
  // failure ("Failed to fetch") for good. It is made once the browser is back online.
  const [online, setOnline] = useState(() => navigator.onLine);
  useEffect(() => {
    if (online) return;
    const back = () => setOnline(true);
    window.addEventListener("online", back);
    return () => window.removeEventListener("online", back);
  }, [online]);

  useEffect(() => {
    const element = dialog.current;
    const container = slot.current;
    if (!element || !container || !online) return;
    const picker = new Picker({ dataSource: EMOJI_DATA_URL });
    // A theme pinned in Settings wins over the system's (the picker follows prefers-color-scheme itself).
    const pinned = document.documentElement.dataset.theme;
    if (pinned) picker.classList.add(pinned);
    picker.addEventListener("emoji-click", (event: EmojiClickEvent) => {
      if (event.detail.unicode) pick.current(normalizeEmoji(event.detail.unicode));
    });
    container.append(picker);
    return () => picker.remove();
  }, [online]);
  useModal(dialog, true, returnTo); // shown once the picker is in it

  return (
    <dialog
      ref={dialog}
      className="dialog emoji-dialog"
      aria-labelledby="emoji-dialog-title"
      onClose={onClose}
      onClick={(e) => onBackdrop(e) && onClose()}
    >
      <div className="dialog-header">
        <h2 id="emoji-dialog-title">{title}</h2>
        <button type="button" className="icon" aria-label="Close" onClick={onClose}>
          <Icon name="close" />
        </button>
      </div>
      {quick.length > 0 && (
        <div className="quick-emoji">
          {quick.map((emoji) => (
            <button key={emoji} type="button" className="icon" aria-label={quickLabel(emoji)} onClick={() => onPick(emoji)}>
              {emoji}
            </button>
          ))}
        </div>
      )}
      {!online && (
        <p className="muted emoji-offline" role="status" style={{ maxWidth: "22rem" }}>
          Emoji cannot load while you are offline. They will as soon as you are back online.
        </p>
      )}
      <div ref={slot} />
    </dialog>
  );
}
