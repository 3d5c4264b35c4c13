// @vitest-environment happy-dom
// What Settings → Security says once an action settles, as the rest of the app says it (useActionFeedback): the
// server's words when it refused, and in words, not a TypeError, when it could not be reached.
import { act, createElement } from "react";
import { createRoot, type Root } from "react-dom/client";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ApiError } from "../api/client";
import { http } from "../api/endpoints";
import { Security } from "./Security";

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

describe("Security's feedback", () => {
  let host: HTMLElement;
  let root: Root;

  beforeEach(async () => {
    vi.spyOn(http, "twoFactor").mockResolvedValue({ enabled: false, must_enable: false, recovery_codes_left: 0 });
    vi.spyOn(http, "sessions").mockResolvedValue([]);
    host = document.createElement("div");
    document.body.append(host);
    root = createRoot(host);
    await act(async () => root.render(createElement(Security, { onSignedOut: () => undefined })));
  });

  afterEach(async () => {
    await act(async () => root.unmount());
    host.remove();
    vi.restoreAllMocks();
  });

  const changePassword = () =>
    act(async () => {
      host.querySelector('input[name="new_password"]')?.closest("form")?.dispatchEvent(new Event("submit", { bubbles: true, cancelable: true }));
    });
  const said = (role: "status" | "alert") =>
    [...host.querySelectorAll(`[role="${role}"]`)].map((line) => line.textContent).filter(Boolean);

  it("says a change is done, and only that", async () => {
    vi.spyOn(http, "changePassword").mockResolvedValue(undefined);
    await changePassword();
    expect(said("status")).toEqual(["Password changed. Every other session was signed out."]);
    expect(said("alert")).toEqual([]);
  });

  it("says why the server refused it, in its words", async () => {
    vi.spyOn(http, "changePassword").mockRejectedValue(new ApiError(400, { error: { code: "invalid", detail: "Wrong password.", fields: {} } }));
    await changePassword();
    expect(said("alert")).toEqual(["Wrong password."]);
    expect(said("status")).toEqual([]);
  });

  it("says it could not reach Parley when offline, not the browser's TypeError", async () => {
    vi.spyOn(http, "changePassword").mockRejectedValue(new TypeError("Failed to fetch"));
    await changePassword();
    expect(said("alert")).toEqual(["Parley could not be reached; try again."]);
  });
});
