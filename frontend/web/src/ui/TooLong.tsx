import { BODY_MAX_LENGTH, charactersOver } from "../lib/limits";

/** Said under a message box whose text is longer than a message may be (it is not sent until it fits), and
 * announced as it appears. Empty otherwise, so the live region is there before it has something to say. */
export function TooLong({ text, id }: { text: string; id: string }) {
  const over = charactersOver(text);
  return (
    <p id={id} className="form-error live-note" role="status">
      {over > 0 &&
        `${over.toLocaleString()} character${over === 1 ? "" : "s"} too long: a message holds at most ${BODY_MAX_LENGTH.toLocaleString()}.`}
    </p>
  );
}
