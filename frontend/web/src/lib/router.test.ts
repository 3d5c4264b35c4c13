import { describe, expect, it } from "vitest";
import { matchRoute, messagePath } from "./router";

describe("matchRoute", () => {
  it("opens a conversation from the app's links and from a push notification's", () => {
    expect(matchRoute("/c/12")).toEqual({ name: "conversation", id: 12 });
    expect(matchRoute("/conversations/12")).toEqual({ name: "conversation", id: 12 });
    expect(matchRoute("/settings/")).toEqual({ name: "settings" });
    expect(matchRoute("/mentions")).toEqual({ name: "mentions" });
    expect(matchRoute("/nowhere")).toEqual({ name: "home" });
  });
});

describe("messagePath", () => {
  it("opens the conversation at a message, or with the thread of a reply open beside it at that reply", () => {
    expect(messagePath({ conversation: 12, seq: 40 })).toBe("/c/12?m=40");
    expect(messagePath({ conversation: 12, seq: 41, thread_root: "8f0e" })).toBe("/c/12?thread=8f0e&reply=41");
  });
});
