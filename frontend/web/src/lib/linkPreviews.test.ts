import { describe, expect, it } from "vitest";
import type { LinkPreview } from "../api/types";
import { previewCards } from "./linkPreviews";

const IMAGE = "/api/v1/previews/0b9e6f5e-2b5e-4c43-9a7e-6c1f0d1a2b3c/image/";

function preview(extra: Partial<LinkPreview> = {}): LinkPreview {
  return {
    url: "https://www.example.com/post",
    title: "A post",
    description: "Worth reading",
    site_name: "",
    image: { url: IMAGE, width: 320, height: 160 },
    ...extra,
  };
}

describe("previewCards", () => {
  it("shows the title, description, host and Parley's copy of the image", () => {
    expect(previewCards([preview()])).toEqual([
      {
        href: "https://www.example.com/post",
        host: "example.com",
        title: "A post",
        description: "Worth reading",
        imagePath: IMAGE,
        imageRatio: 2,
      },
    ]);
  });

  it("never loads an image from anywhere but Parley", () => {
    for (const url of ["https://evil.example/pixel.png", "//evil.example/x", `https://evil.example${IMAGE}`]) {
      expect(previewCards([preview({ image: { url, width: 1, height: 1 } })])[0]?.imagePath).toBeNull();
    }
  });

  it("links only to http(s) pages", () => {
    expect(previewCards([preview({ url: "javascript:alert(1)" }), preview({ url: "not a url" })])).toEqual([]);
  });

  it("names the site when the page has no title, and copes with messages kept from before previews", () => {
    expect(previewCards([preview({ title: "", site_name: "Example News" })])[0]).toMatchObject({
      title: "example.com",
      host: "Example News",
    });
    expect(previewCards(undefined)).toEqual([]);
  });
});
