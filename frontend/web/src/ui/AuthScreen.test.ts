import { describe, expect, it } from "vitest";
import { endedNotice } from "./AuthScreen";

describe("endedNotice", () => {
  it("says why the login screen shows", () => {
    expect(endedNotice({ why: "deleted" })).toBe("Your account was deleted.");
    expect(endedNotice({ why: "suspended", unsent: 0 })).toBe(
      "You were signed out: your account is suspended. Contact the workspace's moderators.",
    );
    expect(endedNotice({ why: "suspended", unsent: 2 })).toContain("2 messages you wrote were not sent");
    expect(endedNotice({ why: "suspended", unsent: 1 })).toContain("1 message you wrote was not sent");
    expect(endedNotice({ why: "elsewhere" })).toContain("your session ended");
  });
});
