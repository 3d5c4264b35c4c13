import { describe, expect, it } from "vitest";
import { renderMarkdown } from "./markdown";
import { plainPreview } from "./preview";

describe("renderMarkdown", () => {
  it("renders emphasis, code and links", () => {
    const html = renderMarkdown("Hello **team**, see `x` and https://example.com");
    expect(html).toContain("<strong>team</strong>");
    expect(html).toContain("<code>x</code>");
    expect(html).toContain('href="https://example.com"');
    expect(html).toContain('rel="noopener noreferrer nofollow"');
  });

  it("shows a script tag as text", () => {
    const html = renderMarkdown('<script>alert("x")</script>');
    expect(html).not.toContain("<script");
    expect(html).toContain("&lt;script&gt;");
  });

  it("never makes event handlers or dangerous URLs", () => {
    const html = renderMarkdown('<img src=x onerror="alert(1)"> [a](javascript:alert(1)) [b](data:text/html,x)');
    expect(html).not.toMatch(/<img/);
    expect(html).not.toContain('href="javascript:');
    expect(html).not.toContain('href="data:');
  });

  it("does not load remote images", () => {
    expect(renderMarkdown("![pixel](https://tracker.example/p.gif)")).not.toContain("<img");
  });

  it("marks mentions but not e-mail addresses", () => {
    const html = renderMarkdown("hi @ada, mail bob@example.com");
    expect(html).toContain('<span class="mention" data-username="ada">@ada</span>');
    expect(html).not.toContain('data-username="example.com"');
  });

  it("leaves a sentence's full stop out of a mention, as the server counts it", () => {
    const html = renderMarkdown("Over to you, @ada. And @bob-", { me: "ada" });
    expect(html).toContain('<span class="mention mention-me" data-username="ada">@ada</span>. And');
    expect(html).toContain('<span class="mention" data-username="bob">@bob</span>-');
    expect(renderMarkdown("Hi @ada.b.", { me: "ada.b." })).toContain('data-username="ada.b.">@ada.b.</span>');
  });

  it("marks the reader's own mentions more strongly, whatever the case, and @here/@all only where they counted", () => {
    const html = renderMarkdown("@Ada and @bob, @here", { me: "ada" });
    expect(html).toContain('<span class="mention mention-me" data-username="Ada">@Ada</span>');
    expect(html).toContain('<span class="mention" data-username="bob">@bob</span>');
    expect(html).toContain('<span class="mention" data-username="here">@here</span>');
    const broadcast = renderMarkdown("@all: release at noon", { me: "ada", broadcast: true });
    expect(broadcast).toContain('<span class="mention mention-me" data-username="all">@all</span>');
    expect(renderMarkdown("`@ada` in code", { me: "ada" })).not.toContain("mention");
  });
});

describe("plainPreview", () => {
  it("strips markers and shortens", () => {
    expect(plainPreview("**bold** [link](http://x)")).toBe("bold link");
    expect(plainPreview("a".repeat(100), 10)).toHaveLength(10);
  });
});
