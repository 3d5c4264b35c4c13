// Forwarding a message: pick one of my other conversations; the copy is sent there like a message, with the
// message's files, which the dialog names.
import { useState } from "react";
import { ApiError } from "../api/client";
import type { Conversation, Me } from "../api/types";
import { conversationTitle, filesLine } from "../lib/names";
import { plainPreview } from "../lib/preview";
import type { ChatMessage } from "../state/messages";
import { ModalDialog } from "./Dialog";
import { Icon } from "./Icon";

interface Props {
  message: ChatMessage;
  conversations: Conversation[];
  me: Me;
  onForward: (conversation: Conversation) => Promise<unknown>;
  onClose: () => void;
}

export function ForwardDialog({ message, conversations, me, onForward, onClose }: Props) {
  const [status, setStatus] = useState<{ text: string; failed: boolean } | null>(null);
  const [busy, setBusy] = useState(false);
  const targets = conversations.filter((c) => c.id !== message.conversation);

  const forwardTo = async (conversation: Conversation) => {
    setBusy(true);
    try {
      await onForward(conversation);
      setStatus({ text: `Forwarded to ${conversationTitle(conversation, me)}.`, failed: false });
    } catch (e) {
      setStatus({ text: e instanceof ApiError ? e.message : "Could not forward it; try again.", failed: true });
    } finally {
      setBusy(false);
    }
  };

  return (
    <ModalDialog id="forward" title="Forward message" className="forward-dialog" onClose={onClose}>
      <blockquote className="reply-quote">{plainPreview(message.body, 140)}</blockquote>
      {message.attachments.length > 0 && (
        <p className="forwarded muted" data-testid="forward-files">
          <Icon name="file" size={14} /> {filesLine(message.attachments)}
        </p>
      )}
      {targets.length === 0 ? (
        <p className="muted">You have no other conversation to forward it to.</p>
      ) : (
        <ul className="forward-targets" aria-label="Forward to">
          {targets.map((conversation) => (
            <li key={conversation.id}>
              <button type="button" disabled={busy} onClick={() => void forwardTo(conversation)}>
                {conversationTitle(conversation, me)}
              </button>
            </li>
          ))}
        </ul>
      )}
      <p className={status?.failed ? "form-error" : "muted"} role="status">
        {status?.text}
      </p>
    </ModalDialog>
  );
}
