import { describe, expect, it } from "vitest";
import { plainPreview } from "./preview";

describe("plainPreview", () => {
  it("cuts a long text between characters as people see them, never inside an emoji", () => {
    const text = `${"a".repeat(8)}👩‍👩‍👧 and more`;
    expect(plainPreview(text, 10)).toBe(`${"a".repeat(8)}👩‍👩‍👧…`);
    expect(plainPreview(text, 10)).not.toContain("\uFFFD");
    expect(plainPreview(`${"a".repeat(9)}😀 tail`, 10)).toBe(`${"a".repeat(9)}…`);
  });

  it("keeps a text that fits, and strips Markdown's markers", () => {
    expect(plainPreview("**bold** and `code`", 80)).toBe("bold and code");
    expect(plainPreview("😀".repeat(5), 5)).toBe("😀".repeat(5));
  });
});
