// What calls for my attention, by each conversation's notification level: the count in the tab's title
// ("(3) Parley"), the badge on its icon, and whether a message deserves a desktop notification. Pure, so
// that the rules are tested once (attention.test.ts) and every surface agrees.
import type { Conversation, Message, NotificationSettings, NotifyLevel } from "../api/types";
import { mentionsMe } from "../state/events";

/** What a conversation's `default` level means when my settings are not loaded: the server's defaults. */
export const KIND_DEFAULTS: NotificationSettings = { direct: "all", group: "all", channel: "mentions" };

/** A conversation's level in effect: muted is nothing; `default` is my setting for its kind. */
export function effectiveLevel(
  conversation: Pick<Conversation, "kind" | "muted" | "notification_level">,
  prefs: NotificationSettings | null,
): NotifyLevel {
  if (conversation.muted) return "none";
  const level = conversation.notification_level ?? "default";
  if (level !== "default") return level;
  return (prefs ?? KIND_DEFAULTS)[conversation.kind];
}

/** How many of a conversation's unread messages count: all of them, only those mentioning me, or none. */
export function attentionCount(conversation: Conversation, prefs: NotificationSettings | null): number {
  switch (effectiveLevel(conversation, prefs)) {
    case "all":
      return conversation.unread_count;
    case "mentions":
      return conversation.unread_mentions ?? 0;
    default:
      return 0;
  }
}

export function totalAttention(conversations: Iterable<Conversation>, prefs: NotificationSettings | null): number {
  let total = 0;
  for (const conversation of conversations) total += attentionCount(conversation, prefs);
  return total;
}

export const BASE_TITLE = "Parley";

/** The tab's title: "(3) Parley", or just "Parley" when nothing waits. */
export function titleWith(count: number, base = BASE_TITLE): string {
  if (count <= 0) return base;
  return `(${count > 99 ? "99+" : count}) ${base}`;
}

/** index.html's icon, drawn again with a badge (an SVG data: URL, which the Content-Security-Policy's img-src
 * allows). */
const ICON_SHAPES = `<rect width='32' height='32' rx='8' fill='%231f4e79'/><path d='M8 10h16v10H14l-6 5z' fill='white'/>`;

export function badgeIcon(count: number): string {
  const label = count > 9 ? "9+" : String(count);
  const size = label.length > 1 ? 11 : 13;
  const badge =
    `<circle cx='23' cy='9' r='9' fill='%23c62828' stroke='white' stroke-width='1.5'/>` +
    `<text x='23' y='13' text-anchor='middle' font-family='Arial,sans-serif' font-weight='700' font-size='${size}' fill='white'>` +
    `${label.replace("+", "%2B")}</text>`;
  return `data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 32 32'%3E${encodeShapes(
    ICON_SHAPES + (count > 0 ? badge : ""),
  )}%3C/svg%3E`;
}

const encodeShapes = (svg: string) => svg.replace(/</g, "%3C").replace(/>/g, "%3E");

/** What the page knows when a message arrives, to decide on a desktop notification. */
export interface AlertContext {
  me: number;
  conversation: Conversation;
  prefs: NotificationSettings | null;
  /** The conversation on screen, if any. */
  active: number | null;
  visible: boolean;
  focused: boolean;
}

/**
 * Whether a new message deserves a desktop notification (and the sound): never my own, never one I am looking
 * at (its conversation on screen, the page visible and focused), never while the page is visible and focused
 * at all (the sidebar shows it), and only as the conversation's level allows: at `mentions`, a message naming
 * me or saying @all (an @here calls only on those looking, and this page is not). A reply in a thread alerts
 * only when it mentions me.
 */
export function shouldAlert(message: Message, context: AlertContext): boolean {
  if (message.sender.id === context.me || message.deleted) return false;
  if (context.visible && context.focused) return false;
  const level = effectiveLevel(context.conversation, context.prefs);
  if (level === "none") return false;
  // Not looking (or there is no alert): an @here does not call on me, as the server counts it.
  const mentioned = mentionsMe(message, context.me, false);
  if (message.thread_root) return mentioned;
  return level === "all" || mentioned;
}
