// Where keyboard focus goes: the message box (skip link, Alt+Shift+M, opening a conversation).
export const COMPOSER_ID = "composer-input";

export function focusComposer(): boolean {
  const input = document.getElementById(COMPOSER_ID);
  input?.focus();
  return input !== null;
}

/** A mouse or trackpad: focusing a text box there costs nothing; on a touch screen it opens the keyboard. */
export const finePointer = (): boolean => matchMedia("(hover: hover) and (pointer: fine)").matches;

/** Focus is nowhere a person put it: on the page's body, or inside `gone` (a dialog closed or removed). */
function focusLost(gone: Element | null): boolean {
  const now = document.activeElement;
  return !now || now === document.body || (gone !== null && gone.contains(now));
}

/**
 * A dialog has closed: focus goes back to `to` (the control that opened it) unless something took it on
 * purpose meanwhile. When that control is gone (the message it belonged to was deleted, the person left the
 * conversation) or can't take focus: to the message box with a mouse, else to the conversation's title, else
 * to the main area — never left on the body, where the next Tab starts from the top of the page.
 */
export function returnFocus(to: HTMLElement | null, from: Element | null): void {
  if (!focusLost(from)) return;
  if (to && to !== document.body && to.isConnected) {
    to.focus({ preventScroll: true });
    if (document.activeElement === to) return;
  }
  if (finePointer() && focusComposer()) return;
  (document.getElementById("conversation-title") ?? document.getElementById("main"))?.focus({ preventScroll: true });
}
