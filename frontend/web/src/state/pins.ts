// A conversation's pinned messages as the header's list shows them, kept live by `pin` events and the
// deletions and edits of the messages they hold; and the rules the message menu follows. Pure functions.
import type { Conversation, Forward, Message, Pin } from "../api/types";
import type { PinEvent } from "../realtime/protocol";
import { manages } from "../lib/roles";

export interface Pinned {
  message: Message;
  /** Who pinned it (null once their account is gone). */
  pinnedBy: number | null;
}

export function fromRest(pins: Pin[]): Pinned[] {
  return pins.map((pin) => ({ message: pin.message, pinnedBy: pin.pinned_by?.id ?? null }));
}

/** A pin puts the message first (newest pin first, as REST lists them); an unpin takes it off. */
export function applyPin(list: Pinned[], event: PinEvent): Pinned[] {
  const others = list.filter((pinned) => pinned.message.id !== event.message_id);
  if (event.state === "unpinned" || !event.message || event.message.deleted) return others;
  return [{ message: event.message, pinnedBy: event.user }, ...others];
}

/** A deleted message is unpinned with it. */
export function withoutMessage(list: Pinned[], messageId: string): Pinned[] {
  return list.some((pinned) => pinned.message.id === messageId)
    ? list.filter((pinned) => pinned.message.id !== messageId)
    : list;
}

/** An erased account's messages, emptied, are unpinned with it. */
export function withoutSender(list: Pinned[], userId: number): Pinned[] {
  return list.some((pinned) => pinned.message.sender.id === userId)
    ? list.filter((pinned) => pinned.message.sender.id !== userId)
    : list;
}

/** An edited message shows its new body in the list too. */
export function withMessage(list: Pinned[], message: Message): Pinned[] {
  if (message.deleted) return withoutMessage(list, message.id);
  return list.map((pinned) => (pinned.message.id === message.id ? { ...pinned, message } : pinned));
}

/** Whether I may pin and unpin here: the conversation's pin policy against my role. */
export function mayPin(conversation: Pick<Conversation, "pin_policy" | "role">): boolean {
  return conversation.pin_policy !== "admins" || manages(conversation);
}

/** Where a forward's "View original" leads, or null when this reader may not see the original: the server
 * leaves it out for them over REST, and a live frame's link is offered only into conversations I am in. */
export function originalPath(forward: Forward, isMine: (conversation: number) => boolean): string | null {
  if (forward.conversation === null || forward.message === null || !isMine(forward.conversation)) return null;
  return `/c/${forward.conversation}`;
}
