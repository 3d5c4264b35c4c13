// Where keyboard focus goes: the message box (skip link, Alt+Shift+M, opening a conversation).
export const COMPOSER_ID = "composer-input";

export function focusComposer(): boolean {
  const input = document.getElementById(COMPOSER_ID);
  input?.focus();
  return input !== null;
}

/** A mouse or trackpad: focusing a text box there costs nothing; on a touch screen it opens the keyboard. */
export const finePointer = (): boolean => matchMedia("(hover: hover) and (pointer: fine)").matches;
