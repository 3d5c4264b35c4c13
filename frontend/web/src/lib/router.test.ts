import { describe, expect, it } from "vitest";
import { matchRoute } from "./router";

describe("matchRoute", () => {
  it("opens a conversation from the app's links and from a push notification's", () => {
    expect(matchRoute("/c/12")).toEqual({ name: "conversation", id: 12 });
    expect(matchRoute("/conversations/12")).toEqual({ name: "conversation", id: 12 });
    expect(matchRoute("/settings/")).toEqual({ name: "settings" });
    expect(matchRoute("/nowhere")).toEqual({ name: "home" });
  });
});
