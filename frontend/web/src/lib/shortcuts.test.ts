import { describe, expect, it } from "vitest";
import { neighbour, shortcutFor } from "./shortcuts";

const key = (key: string, code: string, mods: Partial<Record<"altKey" | "ctrlKey" | "metaKey" | "shiftKey", boolean>> = {}) => ({
  key,
  code,
  altKey: false,
  ctrlKey: false,
  metaKey: false,
  shiftKey: false,
  ...mods,
});

describe("shortcutFor", () => {
  it("knows each shortcut, on a Mac too", () => {
    expect(shortcutFor(key("M", "KeyM", { altKey: true, shiftKey: true }))).toBe("focus-composer");
    expect(shortcutFor(key("Â", "KeyM", { altKey: true, shiftKey: true }))).toBe("focus-composer"); // macOS Option
    expect(shortcutFor(key("ArrowUp", "ArrowUp", { altKey: true }))).toBe("previous-conversation");
    expect(shortcutFor(key("ArrowDown", "ArrowDown", { altKey: true }))).toBe("next-conversation");
    expect(shortcutFor(key("/", "Slash", { ctrlKey: true }))).toBe("show-shortcuts");
    expect(shortcutFor(key("/", "Slash", { metaKey: true }))).toBe("show-shortcuts");
  });

  it("leaves typing alone: no shortcut without its exact modifiers", () => {
    expect(shortcutFor(key("m", "KeyM"))).toBeNull();
    expect(shortcutFor(key("M", "KeyM", { shiftKey: true }))).toBeNull();
    expect(shortcutFor(key("/", "Slash"))).toBeNull();
    expect(shortcutFor(key("ArrowUp", "ArrowUp"))).toBeNull();
    expect(shortcutFor(key("ArrowUp", "ArrowUp", { altKey: true, shiftKey: true }))).toBeNull();
  });
});

describe("neighbour", () => {
  it("steps through the list and stops at its ends", () => {
    expect(neighbour([5, 3, 9], 3, 1)).toBe(9);
    expect(neighbour([5, 3, 9], 3, -1)).toBe(5);
    expect(neighbour([5, 3, 9], 9, 1)).toBe(9);
    expect(neighbour([5, 3, 9], 5, -1)).toBe(5);
  });

  it("starts at the top when nothing is open, and has nowhere to go in an empty list", () => {
    expect(neighbour([5, 3, 9], null, 1)).toBe(5);
    expect(neighbour([], null, 1)).toBeNull();
  });
});
