// @vitest-environment happy-dom
import { beforeEach, describe, expect, it } from "vitest";
import { applyTheme, readThemeChoice, saveThemeChoice, THEME_COLOR } from "./theme";

describe("the theme choice", () => {
  beforeEach(() => {
    localStorage.clear();
    document.head.innerHTML = `
      <meta name="theme-color" content="" media="(prefers-color-scheme: light)">
      <meta name="theme-color" content="" media="(prefers-color-scheme: dark)">`;
    delete document.documentElement.dataset.theme;
  });

  it("follows the system until one is chosen, and remembers the choice", () => {
    expect(readThemeChoice()).toBe("system");
    saveThemeChoice("dark");
    expect(readThemeChoice()).toBe("dark");
    saveThemeChoice("system");
    expect(readThemeChoice()).toBe("system");
    expect(localStorage.length).toBe(0);
  });

  it("ignores a stored value it does not know", () => {
    localStorage.setItem("parley.theme", "sepia");
    expect(readThemeChoice()).toBe("system");
  });

  it("pins the page and the browser chrome to a chosen theme, and lets go again", () => {
    const metas = [...document.querySelectorAll<HTMLMetaElement>('meta[name="theme-color"]')];
    applyTheme("dark");
    expect(document.documentElement.dataset.theme).toBe("dark");
    expect(metas.map((m) => m.content)).toEqual([THEME_COLOR.dark, THEME_COLOR.dark]);
    applyTheme("system");
    expect(document.documentElement.dataset.theme).toBeUndefined();
    expect(metas.map((m) => m.content)).toEqual([THEME_COLOR.light, THEME_COLOR.dark]);
  });
});
