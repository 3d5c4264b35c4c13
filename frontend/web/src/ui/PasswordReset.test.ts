import { describe, expect, it } from "vitest";
import { linkParts } from "./PasswordReset";

describe("linkParts", () => {
  it("reads uid and token from the reset link's fragment", () => {
    expect(linkParts("#MQ.cm4xyz-0123abcd")).toEqual({ uid: "MQ", token: "cm4xyz-0123abcd" });
  });

  it("refuses an incomplete fragment", () => {
    expect(linkParts("")).toBeNull();
    expect(linkParts("#MQ")).toBeNull();
    expect(linkParts("#.token")).toBeNull();
  });
});
