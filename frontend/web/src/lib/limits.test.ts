import { describe, expect, it } from "vitest";
import { BODY_MAX_LENGTH, charactersOver, isInlineImage } from "./limits";

describe("charactersOver", () => {
  it("is 0 up to the limit, then counts what is beyond it", () => {
    expect(charactersOver("x".repeat(BODY_MAX_LENGTH))).toBe(0);
    expect(charactersOver("x".repeat(BODY_MAX_LENGTH + 3))).toBe(3);
  });

  it("counts an emoji as one character, as the server does", () => {
    expect(charactersOver("🎉".repeat(BODY_MAX_LENGTH))).toBe(0);
    expect(charactersOver("🎉".repeat(BODY_MAX_LENGTH + 1))).toBe(1);
  });

  it("does not count the whitespace around a message, which is not sent", () => {
    expect(charactersOver(`  ${"x".repeat(BODY_MAX_LENGTH)}\n\n`)).toBe(0);
  });
});

describe("isInlineImage", () => {
  it("is true of the raster types the server serves inline and makes thumbnails of", () => {
    for (const type of ["image/jpeg", "image/png", "image/gif", "image/webp"]) expect(isInlineImage(type)).toBe(true);
  });

  it("is false of other images, which browsers may not draw and the server sends as downloads", () => {
    for (const type of ["image/tiff", "image/heic", "image/bmp", "image/x-icon", "image/vnd.microsoft.icon", "image/svg+xml"])
      expect(isInlineImage(type)).toBe(false);
    expect(isInlineImage("application/pdf")).toBe(false);
  });
});
