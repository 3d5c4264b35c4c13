// The app's keyboard shortcuts: one table read by the key handler and by the help dialog. Each needs a
// modifier, so none fires while someone types (WCAG 2.1.4, character key shortcuts).
export type ShortcutAction =
  | "search"
  | "focus-composer"
  | "previous-conversation"
  | "next-conversation"
  | "show-shortcuts";

type KeyLike = Pick<KeyboardEvent, "key" | "code" | "altKey" | "ctrlKey" | "metaKey" | "shiftKey">;

interface Shortcut {
  action: ShortcutAction;
  keys: string[];
  description: string;
  matches: (e: KeyLike) => boolean;
}

const only = (e: KeyLike, mods: { alt?: boolean; shift?: boolean; ctrlOrMeta?: boolean }) =>
  e.altKey === !!mods.alt && e.shiftKey === !!mods.shift && (e.ctrlKey || e.metaKey) === !!mods.ctrlOrMeta;

export const SHORTCUTS: Shortcut[] = [
  {
    action: "search",
    keys: ["Ctrl", "K"],
    description: "Search messages (⌘ K on a Mac)",
    matches: (e) => only(e, { ctrlOrMeta: true }) && e.key.toLowerCase() === "k",
  },
  {
    action: "focus-composer",
    keys: ["Alt", "Shift", "M"],
    description: "Go to the message box",
    // `code`, not `key`: on a Mac, Option+Shift+M types a character instead of "M".
    matches: (e) => only(e, { alt: true, shift: true }) && e.code === "KeyM",
  },
  {
    action: "previous-conversation",
    keys: ["Alt", "↑"],
    description: "Open the conversation above in the list",
    matches: (e) => only(e, { alt: true }) && e.key === "ArrowUp",
  },
  {
    action: "next-conversation",
    keys: ["Alt", "↓"],
    description: "Open the conversation below in the list",
    matches: (e) => only(e, { alt: true }) && e.key === "ArrowDown",
  },
  {
    action: "show-shortcuts",
    keys: ["Ctrl", "/"],
    description: "Show these shortcuts (⌘ / on a Mac)",
    matches: (e) => only(e, { ctrlOrMeta: true }) && e.key === "/",
  },
];

export function shortcutFor(event: KeyLike): ShortcutAction | null {
  return SHORTCUTS.find((shortcut) => shortcut.matches(event))?.action ?? null;
}

/** The conversation `step` places from `current` in `order` (the first one when none is open). */
export function neighbour(order: number[], current: number | null, step: 1 | -1): number | null {
  if (!order.length) return null;
  const index = current === null ? -1 : order.indexOf(current);
  if (index === -1) return order[0] ?? null;
  return order[Math.min(order.length - 1, Math.max(0, index + step))] ?? null;
}
