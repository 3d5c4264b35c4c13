// A modal dialog (the native <dialog>, which traps focus and closes on Escape) with a title and a close
// button; a click on its backdrop closes it too. Closed, it gives focus back to what opened it.
import { useEffect, useRef, type MouseEvent, type ReactNode, type RefObject } from "react";
import { returnFocus } from "../lib/focus";
import { Icon } from "./Icon";

/** A click on a modal dialog's backdrop reaches the dialog itself, outside its box. */
export function onBackdrop(event: MouseEvent<HTMLDialogElement>): boolean {
  const box = event.currentTarget.getBoundingClientRect();
  const outside = event.clientX < box.left || event.clientX > box.right || event.clientY < box.top || event.clientY > box.bottom;
  return event.target === event.currentTarget && outside;
}

/**
 * Shows `dialog` as a modal while `open` (and mounted), and once it closes gives focus back to what had it
 * when it opened — the control that opened it — or to `returnTo` when given. The browser does this itself
 * when Escape closes a dialog, but not when the dialog leaves the page (its Close button, a click on the
 * backdrop, an action that ends it): focus fell to the body, and the next Tab started at the top of the page.
 */
export function useModal(dialog: RefObject<HTMLDialogElement | null>, open: boolean, returnTo?: RefObject<HTMLElement | null>) {
  useEffect(() => {
    const element = dialog.current;
    if (!open || !element) return;
    const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    const target = returnTo?.current ?? opener;
    if (!element.open) element.showModal();
    return () => {
      if (element.open) element.close();
      returnFocus(target, element);
    };
  }, [dialog, open, returnTo]);
}

interface Props {
  id: string;
  /** A name in it goes in a <Name> (ui/Name.tsx). */
  title: ReactNode;
  className?: string;
  onClose: () => void;
  /** Where focus goes once it is closed; by default the control that opened it. */
  returnTo?: RefObject<HTMLElement | null>;
  children: ReactNode;
}

export function ModalDialog({ id, title, className = "", onClose, returnTo, children }: Props) {
  const dialog = useRef<HTMLDialogElement>(null);
  useModal(dialog, true, returnTo);
  return (
    <dialog
      ref={dialog}
      className={`dialog ${className}`}
      aria-labelledby={`${id}-title`}
      onClose={onClose}
      onClick={(e) => onBackdrop(e) && onClose()}
    >
      <div className="dialog-header">
        <h2 id={`${id}-title`}>{title}</h2>
        <button type="button" className="icon" aria-label="Close" onClick={onClose}>
          <Icon name="close" />
        </button>
      </div>
      {children}
    </dialog>
  );
}
