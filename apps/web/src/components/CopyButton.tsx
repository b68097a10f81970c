import { useEffect, useState } from 'react';
import { toast } from 'sonner';
import { Button } from './Button';

const FEEDBACK_MS = 2000;

/** Copies `text` to the clipboard (available on https and localhost) and says whether it worked. */
export function CopyButton({ text }: { text: string }) {
  const [state, setState] = useState<'idle' | 'copied' | 'failed'>('idle');

  useEffect(() => {
    if (state === 'idle') return;
    const timer = setTimeout(() => setState('idle'), FEEDBACK_MS);
    return () => clearTimeout(timer);
  }, [state]);

  // navigator.clipboard is missing on plain http (other than localhost): that counts as a failure.
  // In a dialog only the button says so: a toast would be under the dialog's backdrop.
  const copy = (button: HTMLButtonElement) =>
    Promise.resolve()
      .then(() => navigator.clipboard.writeText(text))
      .then(() => {
        setState('copied');
        if (!button.closest('dialog')) toast.success('Copied');
      })
      .catch(() => setState('failed'));

  return (
    <Button size="sm" onClick={(event) => copy(event.currentTarget)} aria-live="polite">
      {state === 'copied' ? 'Copied' : state === 'failed' ? 'Select and copy it' : 'Copy'}
    </Button>
  );
}
