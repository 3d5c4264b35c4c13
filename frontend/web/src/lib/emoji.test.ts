/// <reference types="node" />
// The emoji search runs on the real data (emoji-picker-element-data's emojibase set) in the picker's own
// database; IndexedDB comes from fake-indexeddb, and the data file from disk instead of the network.
import "fake-indexeddb/auto";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { closedShortcodeAt, replaceRange, tokenAt } from "./completion";
import { emojiForShortcode, normalizeEmoji, searchEmoji } from "./emoji";

const data = readFileSync(createRequire(import.meta.url).resolve("emoji-picker-element-data/en/emojibase/data.json"));

beforeAll(() => {
  vi.stubGlobal("fetch", async () => new Response(data, { headers: { "Content-Type": "application/json", ETag: '"v1"' } }));
});

describe("searchEmoji", () => {
  it("puts the exact shortcode first, then those that start with the query", async () => {
    const found = await searchEmoji("tada");
    expect(found[0]).toEqual({ emoji: "🎉", shortcode: "tada" });
    const smile = await searchEmoji("smi");
    expect(smile.length).toBeGreaterThan(3);
    expect(smile.every((m) => m.shortcode.startsWith("smi"))).toBe(true);
  });

  it("finds an emoji by its name when no shortcode fits", async () => {
    const found = await searchEmoji("rocket");
    expect(found.map((m) => m.emoji)).toContain("🚀");
  });

  it("returns at most the limit, and nothing for a blank query", async () => {
    expect(await searchEmoji("sm", 5)).toHaveLength(5);
    expect(await searchEmoji("  ")).toEqual([]);
  });

  it("turns a shortcode into its emoji in the one spelling reactions use", async () => {
    expect(await emojiForShortcode("+1")).toBe("👍");
    expect(await emojiForShortcode("heart")).toBe("❤️");
    expect(await emojiForShortcode("no_such_emoji")).toBeNull();
  });
});

describe("normalizeEmoji", () => {
  it("drops a needless presentation selector and keeps a needed one", () => {
    expect(normalizeEmoji("👍\uFE0F")).toBe("👍");
    expect(normalizeEmoji("❤\uFE0F")).toBe("❤\uFE0F");
    expect(normalizeEmoji("👍🏾")).toBe("👍🏾");
    expect(normalizeEmoji("👨‍👩‍👧")).toBe("👨‍👩‍👧");
  });
});

describe("tokenAt", () => {
  it("finds an @mention or a :shortcode being typed", () => {
    expect(tokenAt("hi @Ad", 6)).toEqual({ kind: "mention", start: 3, query: "ad" });
    expect(tokenAt("great :Ta", 9)).toEqual({ kind: "emoji", start: 6, query: "ta" });
    expect(tokenAt(":+1", 3)).toEqual({ kind: "emoji", start: 0, query: "+1" });
  });

  it("leaves times, single letters and e-mail addresses alone", () => {
    expect(tokenAt("at 10:30", 8)).toBeNull();
    expect(tokenAt("see :a", 6)).toBeNull();
    expect(tokenAt("mail ada@example.com", 20)).toBeNull();
    expect(tokenAt("done :tada: ", 12)).toBeNull();
  });
});

describe("closedShortcodeAt and replaceRange", () => {
  it("finds a whole :shortcode: and swaps it for its emoji, caret after it", () => {
    const text = "ship it :rocket: now";
    const closed = closedShortcodeAt(text, 16);
    expect(closed).toEqual({ start: 8, code: "rocket" });
    expect(replaceRange(text, 8, 16, "🚀")).toEqual({ text: "ship it 🚀 now", caret: 10 });
    expect(closedShortcodeAt("at 10:30:", 9)).toBeNull();
  });
});
