import { describe, expect, it } from "vitest";
import type { SearchHit } from "../api/types";
import { msg } from "../test/fixtures";
import { groupByConversation, snippetParts, withFilter } from "./snippet";

describe("snippetParts", () => {
  it("turns marks into marked parts and entities back into text", () => {
    expect(snippetParts("we are <mark>running</mark> &lt;late&gt; &amp; &quot;so&quot; &#x27;on&#x27;")).toEqual([
      { text: "we are ", marked: false },
      { text: "running", marked: true },
      { text: ` <late> & "so" 'on'`, marked: false },
    ]);
  });

  it("never yields markup: a tag other than <mark> stays text", () => {
    const parts = snippetParts("<img src=x onerror=alert(1)> <mark>hit</mark>");
    expect(parts[0]).toEqual({ text: "<img src=x onerror=alert(1)> ", marked: false });
    expect(parts[1]).toEqual({ text: "hit", marked: true });
  });
});

describe("groupByConversation", () => {
  const hit = (conversation: number, seq: number): SearchHit => ({
    message: msg(seq),
    conversation: { id: conversation, kind: "group", title: `c${conversation}` },
    snippet: "",
  });

  it("keeps the order of each conversation's best hit", () => {
    const groups = groupByConversation([hit(2, 5), hit(1, 9), hit(2, 3)]);
    expect(groups.map((g) => [g.conversation.id, g.hits.map((h) => h.message.seq)])).toEqual([
      [2, [5, 3]],
      [1, [9]],
    ]);
  });
});

describe("withFilter", () => {
  it("adds a filter after the words", () => {
    expect(withFilter("deploy ", "has:file")).toBe("deploy has:file");
    expect(withFilter("", "from:@")).toBe("from:@");
  });
});
