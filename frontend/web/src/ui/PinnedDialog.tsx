// The conversation's pinned messages, from its header: newest pin first, each with who wrote it, a preview,
// and Unpin for those the pin policy lets pin.
import { useState } from "react";
import { ApiError } from "../api/client";
import { displayName, formatTime } from "../lib/names";
import { plainPreview } from "../lib/preview";
import type { Pinned } from "../state/pins";
import { ModalDialog } from "./Dialog";
import { Name } from "./Name";

interface Props {
  pins: Pinned[] | undefined;
  mayUnpin: boolean;
  onUnpin: (pinned: Pinned) => Promise<void>;
  onClose: () => void;
}

export function PinnedDialog({ pins, mayUnpin, onUnpin, onClose }: Props) {
  const [error, setError] = useState<string | null>(null);
  const unpin = (pinned: Pinned) =>
    void onUnpin(pinned).catch((e: unknown) => setError(e instanceof ApiError ? e.message : "Could not unpin it."));
  return (
    <ModalDialog id="pinned" title="Pinned messages" className="pinned-dialog" onClose={onClose}>
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
      {!pins && <p className="muted" role="status">Loading…</p>}
      {pins?.length === 0 && <p className="muted">Nothing is pinned here yet.</p>}
      {pins && pins.length > 0 && (
        <ul className="pinned-list" data-testid="pinned-list">
          {pins.map((pinned) => (
            <li key={pinned.message.id}>
              <div className="message-meta">
                <strong>
                      <Name>{displayName(pinned.message.sender)}</Name>
                    </strong>{" "}
                <time dateTime={pinned.message.created_at} className="muted">
                  {formatTime(pinned.message.created_at)}
                </time>
              </div>
              <p className="pinned-body">{plainPreview(pinned.message.body, 200)}</p>
              {mayUnpin && (
                <button type="button" className="link" onClick={() => unpin(pinned)}>
                  Unpin<span className="visually-hidden"> {plainPreview(pinned.message.body, 40)}</span>
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
    </ModalDialog>
  );
}
