/** The longest message body the server takes (messaging.models.Message.BODY_MAX_LENGTH), in characters as
 * Python counts them: code points, so an emoji is one, not its two UTF-16 units. */
export const BODY_MAX_LENGTH = 10_000;

/** How many characters `body` (as it would be sent: trimmed) has beyond the limit; 0 when it fits. */
export function charactersOver(body: string): number {
  return Math.max(0, [...body.trim()].length - BODY_MAX_LENGTH);
}

/** The longest display name the server takes (accounts.models.User.display_name). */
export const DISPLAY_NAME_MAX_LENGTH = 64;
