import { useSyncExternalStore } from 'react';
import { Toaster } from 'sonner';

/** Below this width the navigation folds into a menu and dialogs are sheets rising from the bottom. */
const PHONE = '(max-width: 767px)';

function subscribe(onChange: () => void): () => void {
  const query = window.matchMedia(PHONE);
  query.addEventListener('change', onChange);
  return () => query.removeEventListener('change', onChange);
}

/**
 * The toast host: bottom right on a desktop; at the top on a phone, where the bottom of the screen
 * holds a page's row actions and the dialogs' buttons.
 */
export function Toasts() {
  const phone = useSyncExternalStore(subscribe, () => window.matchMedia(PHONE).matches);
  return <Toaster position={phone ? 'top-center' : 'bottom-right'} closeButton richColors />;
}
