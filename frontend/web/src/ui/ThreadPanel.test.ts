// @vitest-environment happy-dom
import { describe, expect, it } from "vitest";
import { escapeClosesThread } from "./ThreadPanel";

describe("escapeClosesThread", () => {
  const panel = document.createElement("aside");
  panel.innerHTML = `
    <button id="follow">Follow</button>
    <textarea id="reply"></textarea>
    <dialog open><button id="close-image">Close image</button></dialog>`;
  document.body.append(panel);
  const press = (key: string, id: string) => escapeClosesThread({ key, target: panel.querySelector(`#${id}`) });

  it("closes on Escape from the panel's own controls", () => {
    expect(press("Escape", "follow")).toBe(true);
    expect(press("Enter", "follow")).toBe(false);
  });

  it("leaves it open on Escape typed in the reply box", () => {
    expect(press("Escape", "reply")).toBe(false);
  });

  it("leaves it open on Escape that closes a dialog opened in it (a picture, Report)", () => {
    expect(press("Escape", "close-image")).toBe(false);
  });
});
