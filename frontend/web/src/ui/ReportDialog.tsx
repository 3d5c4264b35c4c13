// Reporting someone else's message to the moderators (docs/moderation.md): why, in at most 1,000 characters,
// sent over REST; the dialog says it was sent, or the server's refusal in its own words (reported already).
import { useEffect, useRef, useState } from "react";
import { plainPreview } from "../lib/preview";
import type { ChatMessage } from "../state/messages";
import { ModalDialog } from "./Dialog";
import { useApp } from "./context";
import { useActionFeedback } from "./useActionFeedback";

/** The longest reason the server takes (characters, as it counts them). */
export const REASON_MAX = 1000;

const characters = (n: number) => `${n.toLocaleString("en")} character${n === 1 ? "" : "s"}`;

interface Props {
  message: ChatMessage;
  senderName: string;
  onClose: () => void;
}

export function ReportDialog({ message, senderName, onClose }: Props) {
  const { http } = useApp();
  const [reason, setReason] = useState("");
  const [busy, setBusy] = useState(false);
  const [sent, setSent] = useState(false);
  const feedback = useActionFeedback();
  const left = REASON_MAX - [...reason.trim()].length;
  const box = useRef<HTMLTextAreaElement>(null);
  // Into the reason at once: after the dialog opens as a modal (its effect runs after this one's would), which
  // would otherwise put focus on its Close button.
  useEffect(() => {
    const frame = requestAnimationFrame(() => box.current?.focus());
    return () => cancelAnimationFrame(frame);
  }, []);

  const send = async () => {
    setBusy(true);
    const done = await feedback.run(
      () => http.report(message.id, reason.trim()),
      "Report sent. The moderators will look at it.",
      "Could not send the report; try again.",
    );
    setBusy(false);
    setSent(done);
  };

  return (
    <ModalDialog id="report" title="Report message" className="report-dialog" onClose={onClose}>
      <blockquote className="reply-quote">
        <strong>{senderName}</strong> {plainPreview(message.body, 140)}
      </blockquote>
      {sent ? (
        // Focus moves here from the form that goes: Enter or Space closes, and focus is back on Report.
        <button type="button" autoFocus onClick={onClose}>
          Done
        </button>
      ) : (
        <form
          className="stack"
          onSubmit={(e) => {
            e.preventDefault();
            void send();
          }}
        >
          <label className="field">
            <span>Why are you reporting it?</span>
            <textarea
              value={reason}
              rows={4}
              ref={box}
              required
              aria-describedby="report-help"
              aria-invalid={left < 0}
              onChange={(e) => setReason(e.target.value)}
            />
          </label>
          <p id="report-help" className="muted">
            Only the moderators see it.{" "}
            {left >= 0 ? `${characters(left)} left.` : `${characters(-left)} too long: a reason holds at most 1,000.`}
          </p>
          <button type="submit" disabled={busy || !reason.trim() || left < 0}>
            Send report
          </button>
        </form>
      )}
      {feedback.lines()}
    </ModalDialog>
  );
}
