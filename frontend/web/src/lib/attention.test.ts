import { describe, expect, it } from "vitest";
import type { NotificationSettings } from "../api/types";
import { conversation, msg } from "../test/fixtures";
import { attentionCount, badgeIcon, effectiveLevel, shouldAlert, titleWith, totalAttention, type AlertContext } from "./attention";

const prefs: NotificationSettings = { direct: "all", group: "all", channel: "mentions" };

describe("the level in effect", () => {
  it("is the conversation's own, else my setting for its kind; muted is nothing", () => {
    expect(effectiveLevel(conversation(1, { kind: "group", notification_level: "default" }), prefs)).toBe("all");
    expect(effectiveLevel(conversation(1, { kind: "channel" }), prefs)).toBe("mentions");
    expect(effectiveLevel(conversation(1, { kind: "channel", notification_level: "all" }), prefs)).toBe("all");
    expect(effectiveLevel(conversation(1, { kind: "direct", notification_level: "none" }), prefs)).toBe("none");
    expect(effectiveLevel(conversation(1, { notification_level: "all", muted: true }), prefs)).toBe("none");
    expect(effectiveLevel(conversation(1, { kind: "group" }), { ...prefs, group: "mentions" })).toBe("mentions");
  });
});

describe("the count in the title and on the icon", () => {
  it("adds unread messages where all count, mentions where only mentions do, nothing where none or muted", () => {
    const list = [
      conversation(1, { kind: "direct", unread_count: 2, unread_mentions: 0 }), // all by default: 2
      conversation(2, { kind: "channel", unread_count: 9, unread_mentions: 1 }), // mentions by default: 1
      conversation(3, { kind: "group", unread_count: 4, unread_mentions: 4, notification_level: "none" }), // 0
      conversation(4, { kind: "group", unread_count: 5, unread_mentions: 2, muted: true }), // 0
      conversation(5, { kind: "group", unread_count: 6, unread_mentions: 3, notification_level: "mentions" }), // 3
    ];
    expect(list.map((c) => attentionCount(c, prefs))).toEqual([2, 1, 0, 0, 3]);
    expect(totalAttention(list, prefs)).toBe(6);
  });

  it("reads a conversation from a server without mentions as having none", () => {
    expect(attentionCount(conversation(1, { kind: "channel", unread_count: 3 }), prefs)).toBe(0);
  });

  it("titles the tab with the count, capped, and without it at zero", () => {
    expect(titleWith(0)).toBe("Parley");
    expect(titleWith(3)).toBe("(3) Parley");
    expect(titleWith(120)).toBe("(99+) Parley");
  });

  it("draws the icon with a badge holding the count (9+ above nine), and without at zero", () => {
    const svg = (url: string) => decodeURIComponent(url.replace("data:image/svg+xml,", ""));
    expect(svg(badgeIcon(0))).not.toContain("<circle");
    expect(svg(badgeIcon(3))).toMatch(/<circle[^>]*\/><text[^>]*>3<\/text><\/svg>$/);
    expect(svg(badgeIcon(12))).toContain(">9+</text>");
    expect(svg(badgeIcon(3))).toMatch(/^<svg xmlns='http:\/\/www.w3.org\/2000\/svg'/);
    expect(badgeIcon(3)).not.toMatch(/[<>#]/); // a valid data: URL as it stands
  });
});

describe("whether a message gets a desktop notification", () => {
  const context = (extra: Partial<AlertContext> = {}): AlertContext => ({
    me: 1,
    conversation: conversation(1, { kind: "group" }),
    prefs,
    active: null,
    visible: false,
    focused: false,
    ...extra,
  });

  it("alerts a hidden page to another's message where all count", () => {
    expect(shouldAlert(msg(5), context())).toBe(true);
  });

  it("never alerts for my own message, or a deleted one", () => {
    expect(shouldAlert(msg(5, { sender: { id: 1, username: "ada", display_name: "Ada" } }), context())).toBe(false);
    expect(shouldAlert(msg(5, { deleted: true }), context())).toBe(false);
  });

  it("never alerts while the page is visible and focused, whatever is open; does when it is only visible", () => {
    expect(shouldAlert(msg(5), context({ visible: true, focused: true, active: 1 }))).toBe(false);
    expect(shouldAlert(msg(5), context({ visible: true, focused: true, active: 2 }))).toBe(false);
    expect(shouldAlert(msg(5), context({ visible: true, focused: false, active: 1 }))).toBe(true);
  });

  it("honours the level: mentions only alerts when I am named or @all is used; none and muted never", () => {
    const channel = conversation(1, { kind: "channel" });
    expect(shouldAlert(msg(5), context({ conversation: channel }))).toBe(false);
    expect(shouldAlert(msg(5, { mentions: [1] }), context({ conversation: channel }))).toBe(true);
    expect(shouldAlert(msg(5, { mentions: [3] }), context({ conversation: channel }))).toBe(false);
    expect(shouldAlert(msg(5, { mentions_here: true }), context({ conversation: channel }))).toBe(false); // not looking: not "here"
    expect(shouldAlert(msg(5, { mentions_all: true }), context({ conversation: channel }))).toBe(true);
    const none = conversation(1, { notification_level: "none" });
    expect(shouldAlert(msg(5, { mentions: [1] }), context({ conversation: none }))).toBe(false);
    const muted = conversation(1, { muted: true });
    expect(shouldAlert(msg(5, { mentions_all: true }), context({ conversation: muted }))).toBe(false);
  });

  it("alerts for a reply in a thread only when it mentions me", () => {
    expect(shouldAlert(msg(5, { thread_root: "m1" }), context())).toBe(false);
    expect(shouldAlert(msg(5, { thread_root: "m1", mentions: [1] }), context())).toBe(true);
  });
});
