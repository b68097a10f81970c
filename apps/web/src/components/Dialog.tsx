import { useId, useLayoutEffect, useRef, type ReactNode } from 'react';
import { createPortal } from 'react-dom';

interface DialogProps {
  title: string;
  /** wide: room for a whole API key and a curl command. */
  size?: 'normal' | 'wide';
  description?: ReactNode;
  onClose: () => void;
  children: ReactNode;
}

/**
 * A modal dialog, open while it is rendered: the page behind is inert, Escape closes it, focus
 * goes to the element marked `data-autofocus` (else the first control) and returns on close.
 * It is rendered at the end of the body, so it inherits no styles from where it is used. On a phone
 * it is a sheet as wide as the screen, at the bottom, that scrolls inside with its buttons kept in view.
 */
export function Dialog({ title, size = 'normal', description, onClose, children }: DialogProps) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const descriptionId = useId();

  useLayoutEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    dialog.showModal();
    dialog.querySelector<HTMLElement>('[data-autofocus]')?.focus();
    return () => dialog.close();
  }, []);

  return createPortal(
    <dialog
      ref={ref}
      role="dialog"
      aria-modal="true"
      aria-labelledby={titleId}
      aria-describedby={description ? descriptionId : undefined}
      onClose={(event) => {
        // A close() from an effect cleanup (React StrictMode re-runs effects) lands after showModal().
        if (!event.currentTarget.open) onClose();
      }}
      className={`m-auto w-full ${size === 'wide' ? 'max-w-2xl' : 'max-w-lg'} rounded-xl bg-white p-0 text-slate-800 shadow-xl ring-1 ring-slate-900/10 backdrop:bg-slate-900/40 max-sm:mb-0 max-sm:max-w-none max-sm:rounded-b-none`}
    >
      <div className="px-4 pt-5 pb-6 sm:px-6">
        <h2 id={titleId} className="text-lg font-semibold text-slate-900">
          {title}
        </h2>
        {description && (
          <div id={descriptionId} className="mt-1 text-sm text-slate-500">
            {description}
          </div>
        )}
        <div className="mt-5">{children}</div>
      </div>
    </dialog>,
    document.body,
  );
}

/** The buttons row at the bottom of a dialog (its last element); on a phone it stays in view, buttons side by side. */
export function DialogActions({ children }: { children: ReactNode }) {
  return (
    <div className="mt-6 flex justify-end gap-2 max-sm:sticky max-sm:bottom-0 max-sm:-mx-4 max-sm:-mb-6 max-sm:border-t max-sm:border-slate-100 max-sm:bg-white max-sm:px-4 max-sm:py-3 max-sm:*:flex-1">
      {children}
    </div>
  );
}
