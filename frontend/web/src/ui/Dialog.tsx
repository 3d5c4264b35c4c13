// A modal dialog (the native <dialog>, which traps focus and closes on Escape) with a title and a close
// button; a click on its backdrop closes it too.
import { useEffect, useRef, type MouseEvent, type ReactNode } from "react";
import { Icon } from "./Icon";

/** A click on a modal dialog's backdrop reaches the dialog itself, outside its box. */
export function onBackdrop(event: MouseEvent<HTMLDialogElement>): boolean {
  const box = event.currentTarget.getBoundingClientRect();
  const outside = event.clientX < box.left || event.clientX > box.right || event.clientY < box.top || event.clientY > box.bottom;
  return event.target === event.currentTarget && outside;
}

interface Props {
  id: string;
  title: string;
  className?: string;
  onClose: () => void;
  children: ReactNode;
}

export function ModalDialog({ id, title, className = "", onClose, children }: Props) {
  const dialog = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const element = dialog.current;
    if (!element) return;
    element.showModal();
    return () => {
      if (element.open) element.close();
    };
  }, []);
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
