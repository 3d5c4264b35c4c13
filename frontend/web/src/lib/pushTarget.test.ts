import { describe, expect, it } from "vitest";
import { pushTarget } from "./pushTarget";

describe("a push's click target", () => {
  const origin = "https://chat.example";
  it("opens the conversation at the message the push names", () => {
    expect(pushTarget({ url: "/conversations/12", seq: 40 }, origin)).toBe("https://chat.example/conversations/12?m=40");
  });
  it("keeps an address that already names the message, and one without a seq as it is", () => {
    expect(pushTarget({ url: "/c/12?m=7", seq: 40 }, origin)).toBe("https://chat.example/c/12?m=7");
    expect(pushTarget({ url: "/conversations/12" }, origin)).toBe("https://chat.example/conversations/12");
    // a reply in a thread: the server's address opens the thread, and the push has no seq to add
    expect(pushTarget({ url: "/conversations/12?thread=r1" }, origin)).toBe("https://chat.example/conversations/12?thread=r1");
  });
  it("goes home without an address, and stays on this origin's terms for a relative one", () => {
    expect(pushTarget({}, origin)).toBe("https://chat.example/");
  });
});
