// @vitest-environment happy-dom
import { act, createElement } from "react";
import { createRoot, type Root } from "react-dom/client";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { http } from "../api/endpoints";
import type { DataExport } from "../api/types";
import { DownloadZip } from "./Security";

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

const DOWNLOAD = "/api/v1/users/me/export/download/";
const ready = (token: string): DataExport => ({
  id: 7,
  status: "ready",
  progress: 100,
  size: 1234,
  created_at: "2026-05-05T10:00:00Z",
  expires_at: "2026-05-12T10:00:00Z",
  download_url: DOWNLOAD,
  download_token: token,
});

describe("DownloadZip", () => {
  let host: HTMLElement;
  let root: Root;
  let submitted: { action: string; method: string; token: string }[];
  const onChanged = vi.fn();
  const onError = vi.fn();

  beforeEach(() => {
    host = document.createElement("div");
    document.body.append(host);
    root = createRoot(host);
    submitted = [];
    vi.spyOn(HTMLFormElement.prototype, "submit").mockImplementation(function (this: HTMLFormElement) {
      const token = (this.elements.namedItem("token") as HTMLInputElement).value;
      submitted.push({ action: this.getAttribute("action") ?? "", method: this.method, token });
    });
  });

  afterEach(() => {
    act(() => root.unmount());
    host.remove();
    vi.restoreAllMocks();
    onChanged.mockReset();
    onError.mockReset();
  });

  async function clickDownload(listed: DataExport) {
    act(() => root.render(createElement(DownloadZip, { exported: listed, onChanged, onError })));
    const button = host.querySelector("button") as HTMLButtonElement;
    expect(button.textContent).toBe("Download the ZIP");
    await act(async () => {
      button.click();
      await new Promise((resolve) => setTimeout(resolve, 0));
    });
  }

  it("posts a freshly listed token from a form, with nothing secret in any URL", async () => {
    vi.spyOn(http, "dataExports").mockResolvedValue([ready("fresh-token")]);

    await clickDownload(ready("token-listed-an-hour-ago"));

    expect(submitted).toEqual([{ action: DOWNLOAD, method: "post", token: "fresh-token" }]);
    expect((host.querySelector("input[name=token]") as HTMLInputElement).value).toBe(""); // not left behind
    expect(host.innerHTML).not.toContain("token-listed-an-hour-ago");
    expect(host.querySelector("a")).toBeNull(); // no link to follow, keep in history or sync
    expect(onError).toHaveBeenLastCalledWith(null);
  });

  it("does not post when the export is gone meanwhile, and says what there is now", async () => {
    vi.spyOn(http, "dataExports").mockResolvedValue([]);

    await clickDownload(ready("stale"));

    expect(submitted).toEqual([]);
    expect(onChanged).toHaveBeenCalledWith(null);
  });

  it("says why when the token cannot be listed afresh (offline)", async () => {
    vi.spyOn(http, "dataExports").mockRejectedValue(new Error("Failed to fetch"));

    await clickDownload(ready("stale"));

    expect(submitted).toEqual([]);
    expect(onError).toHaveBeenLastCalledWith("Parley could not be reached; try again.");
  });
});
