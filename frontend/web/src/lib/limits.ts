/** The longest message body the server takes (messaging.models.Message.BODY_MAX_LENGTH), in characters as
 * Python counts them: code points, so an emoji is one, not its two UTF-16 units. */
export const BODY_MAX_LENGTH = 10_000;

/** How many characters `body` (as it would be sent: trimmed) has beyond the limit; 0 when it fits. */
export function charactersOver(body: string): number {
  return Math.max(0, [...body.trim()].length - BODY_MAX_LENGTH);
}

/** The longest display name the server takes (accounts.models.User.display_name). */
export const DISPLAY_NAME_MAX_LENGTH = 64;

/** The image types the server serves inline (files.content.INLINE_IMAGE_TYPES: the raster formats it verifies
 * and makes thumbnails of). Only these are drawn as pictures; any other file, `image/*` or not (TIFF, HEIC,
 * BMP, ICO, SVG), is a download, which the server sends as one. */
export const INLINE_IMAGE_TYPES: readonly string[] = ["image/jpeg", "image/png", "image/gif", "image/webp"];

export const isInlineImage = (contentType: string): boolean => INLINE_IMAGE_TYPES.includes(contentType);
