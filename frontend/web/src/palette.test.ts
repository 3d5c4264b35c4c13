/// <reference types="node" />
// Both themes meet WCAG AA: every text colour of styles.css's palette on every background it is used on.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

const css = readFileSync(new URL("./styles.css", import.meta.url), "utf8");
function palette(theme: 0 | 1): Record<string, string> {
  const colours: Record<string, string> = {};
  for (const [, name, light, dark] of css.matchAll(/--([\w-]+):\s*light-dark\((#[0-9a-f]{6}),\s*(#[0-9a-f]{6})\)/g)) {
    if (name && light && dark) colours[name] = theme === 0 ? light : dark;
  }
  return colours;
}

function luminance(hex: string): number {
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255).map((c) =>
    c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4,
  );
  return 0.2126 * (r ?? 0) + 0.7152 * (g ?? 0) + 0.0722 * (b ?? 0);
}

function contrast(a: string, b: string): number {
  const [high, low] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return ((high ?? 0) + 0.05) / ((low ?? 0) + 0.05);
}

const TEXT_ON: [text: string, background: string][] = [
  ["text", "bg"], ["text", "panel"], ["text", "accent-soft"], ["text", "code"],
  ["muted", "bg"], ["muted", "panel"], ["muted", "accent-soft"], ["muted", "code"],
  ["accent", "bg"], ["accent", "panel"], ["accent", "accent-soft"], ["on-accent", "accent"],
  ["danger", "panel"], ["danger", "danger-soft"], ["warn", "warn-soft"],
];

describe.each([["light", 0], ["dark", 1]] as const)("the %s palette", (_name, theme) => {
  const colours = palette(theme);
  it.each(TEXT_ON)("has %s on %s at 4.5:1 or more", (text, background) => {
    expect(colours[text], text).toBeDefined();
    expect(colours[background], background).toBeDefined();
    expect(contrast(colours[text] ?? "", colours[background] ?? "")).toBeGreaterThanOrEqual(4.5);
  });
});
