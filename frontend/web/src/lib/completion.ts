// What is being typed just before the caret in the message box: an @mention or an emoji :shortcode.
export interface Token {
  kind: "mention" | "emoji";
  /** Where the token starts (its @ or :). */
  start: number;
  /** What follows the @ or :, lower-cased. */
  query: string;
}

const MENTION = /(?:^|\s)@([\w.+-]*)$/;
// Two characters at least, after a space or the start: "10:30" and "a:b" are not emoji.
const SHORTCODE = /(?:^|[\s(]):([a-z0-9_+-]{2,})$/i;
const CLOSED_SHORTCODE = /(?:^|[\s(]):([a-z0-9_+-]+):$/i;

export function tokenAt(text: string, caret: number): Token | null {
  const before = text.slice(0, caret);
  const mention = MENTION.exec(before);
  if (mention) return { kind: "mention", start: caret - (mention[1]?.length ?? 0) - 1, query: (mention[1] ?? "").toLowerCase() };
  const emoji = SHORTCODE.exec(before);
  if (emoji?.[1]) return { kind: "emoji", start: caret - emoji[1].length - 1, query: emoji[1].toLowerCase() };
  return null;
}

/** A whole `:shortcode:` just typed (its closing colon before the caret), to be swapped for its emoji. */
export function closedShortcodeAt(text: string, caret: number): { start: number; code: string } | null {
  const match = CLOSED_SHORTCODE.exec(text.slice(0, caret));
  if (!match?.[1]) return null;
  return { start: caret - match[1].length - 2, code: match[1].toLowerCase() };
}

/** `text` with [start, end) replaced by `insert`, and where the caret goes: just after the insert. */
export function replaceRange(text: string, start: number, end: number, insert: string): { text: string; caret: number } {
  return { text: text.slice(0, start) + insert + text.slice(end), caret: start + insert.length };
}
