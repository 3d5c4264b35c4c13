// @vitest-environment happy-dom
// Editing and deleting a message from the keyboard: once the edit is saved (Enter) or cancelled (Escape), focus
// is back on the message's Edit button; once it is deleted (its actions go), on the message. Neither dropped on
// the page.
import { act, createElement } from "react";
import { createRoot, type Root } from "react-dom/client";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { me, msg } from "../test/fixtures";
import type { ChatMessage } from "../state/messages";
import { MessageItem } from "./MessageItem";

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

describe("MessageItem from the keyboard", () => {
  let host: HTMLElement;
  let root: Root;
  const onEdit = vi.fn();
  const onDelete = vi.fn();
  const message: ChatMessage = { ...msg(3, { body: "to be edited", sender: { id: me.id, username: me.username, display_name: "" } }), state: "sent" };
  const noop = () => undefined;
  const render = (shown: ChatMessage) =>
    act(async () =>
      root.render(
        createElement(MessageItem, {
          message: shown,
          parent: null,
          meId: me.id,
          meUsername: me.username,
          nameOf: () => "",
          named: () => "",
          compact: false,
          highlighted: false,
          seenBy: null,
          pinned: false,
          mayPin: false,
          original: null,
          onEdit,
          onDelete,
          onReact: async () => undefined,
          onRetry: noop,
          onDiscard: noop,
        } as unknown as Parameters<typeof MessageItem>[0]),
      ),
    );

  beforeEach(async () => {
    onEdit.mockReset();
    onDelete.mockReset();
    host = document.createElement("ul");
    document.body.append(host);
    root = createRoot(host);
    await render(message);
  });

  afterEach(async () => {
    await act(async () => root.unmount());
    host.remove();
  });

  const edit = () => host.querySelector<HTMLButtonElement>('button[aria-label="Edit"]');
  const box = () => host.querySelector<HTMLTextAreaElement>("textarea.edit-box");
  const press = async (key: string) =>
    act(async () => {
      box()?.dispatchEvent(new KeyboardEvent("keydown", { key, bubbles: true, cancelable: true }));
    });

  it.each(["Enter", "Escape"])("gives focus back to Edit after %s", async (key) => {
    await act(async () => edit()?.click());
    expect(document.activeElement).toBe(box());
    await press(key);
    expect(box()).toBeNull();
    expect(edit()).not.toBeNull();
    expect(document.activeElement).toBe(edit());
  });

  it("keeps focus on the message once it is deleted from its Delete button", async () => {
    Object.assign(window, { confirm: () => true }); // happy-dom has none: "OK"
    const remove = host.querySelector<HTMLButtonElement>('button[aria-label="Delete"]');
    remove?.focus();
    await act(async () => remove?.click());
    expect(onDelete).toHaveBeenCalledOnce();
    await render({ ...message, deleted: true, body: "" }); // the message.deleted event
    expect(host.querySelector('button[aria-label="Delete"]')).toBeNull();
    expect(document.activeElement).toBe(host.querySelector('[data-testid="message"]'));
  });
});
