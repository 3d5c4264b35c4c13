// Emoji data and search: emojibase's data (through emoji-picker-element-data, shortcodes included) in
// the IndexedDB database that emoji-picker-element keeps, shared by the picker and the :shortcode:
// completion. Both load on demand, so the first screen carries none of it.
import type Database from "emoji-picker-element/database";
import type { Emoji } from "emoji-picker-element/shared";
import dataSource from "emoji-picker-element-data/en/emojibase/data.json?url";

/** The emoji data's URL: hashed by the build, so cached for good. */
export const EMOJI_DATA_URL = dataSource;

export interface EmojiMatch {
  emoji: string;
  shortcode: string;
}

let database: Promise<Database> | null = null;

function emojiDatabase(): Promise<Database> {
  database ??= import("emoji-picker-element/database").then(({ default: Db }) => new Db({ dataSource }));
  return database;
}

/**
 * One spelling per emoji, so that reactions made from the picker, from a shortcode and from the quick row
 * count together: no U+FE0F (emoji presentation selector) after a character that is shown as an emoji
 * anyway (👍️ → 👍); kept where it matters (❤️, whose heart is text without it).
 */
export function normalizeEmoji(emoji: string): string {
  return emoji.replace(/(\p{Emoji_Presentation})\uFE0F/gu, "$1");
}

/** Emoji whose shortcode best fits `query`: exact, then prefix, then anywhere, then by name; stable by order. */
export function rankByShortcode(found: Emoji[], query: string): EmojiMatch[] {
  const q = query.toLowerCase();
  const scored = found.flatMap((emoji) => {
    if (!("unicode" in emoji)) return []; // custom emoji: Parley has none
    const codes = emoji.shortcodes ?? [];
    const best = codes.find((c) => c === q) ?? codes.find((c) => c.startsWith(q)) ?? codes.find((c) => c.includes(q));
    const score = best === q ? 0 : best?.startsWith(q) ? 1 : best ? 2 : 3;
    const shortcode = best ?? codes[0];
    return shortcode ? [{ score, order: emoji.order, match: { emoji: normalizeEmoji(emoji.unicode), shortcode } }] : [];
  });
  return scored.sort((a, b) => a.score - b.score || a.order - b.order).map((s) => s.match);
}

export async function searchEmoji(query: string, limit = 8): Promise<EmojiMatch[]> {
  if (!query.trim()) return [];
  const found = await (await emojiDatabase()).getEmojiBySearchQuery(query);
  return rankByShortcode(found, query).slice(0, limit);
}

export async function emojiForShortcode(shortcode: string): Promise<string | null> {
  const found = await (await emojiDatabase()).getEmojiByShortcode(shortcode);
  return found && "unicode" in found ? normalizeEmoji(found.unicode) : null;
}
