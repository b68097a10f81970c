import type { EventDetailDto } from '@webhooker/api-client';
import { CopyButton } from '../../components/CopyButton';
import { formatBytes } from '../../lib/format';

/** The body pretty-printed when it is JSON, else as received. */
function display(event: EventDetailDto): { text: string; json: boolean } {
  if (event.bodyEncoding === 'utf8' && event.body.trim() !== '') {
    try {
      return { text: JSON.stringify(JSON.parse(event.body), null, 2), json: true };
    } catch {
      // Not JSON: shown as it is.
    }
  }
  return { text: event.body, json: false };
}

/** An event's body, monospace, with a copy button. */
export function BodyView({ event }: { event: EventDetailDto }) {
  const { text, json } = display(event);
  return (
    <figure>
      <figcaption className="mb-1.5 flex items-center justify-between gap-2 text-sm font-medium text-slate-700">
        <span>
          Body
          <span className="ml-2 text-xs font-normal text-slate-500">
            {formatBytes(event.size)}
            {json && ' · JSON, pretty-printed'}
          </span>
        </span>
        {event.size > 0 && <CopyButton text={event.body} />}
      </figcaption>
      {event.bodyEncoding === 'base64' && (
        <p className="mb-1.5 text-xs text-amber-700">
          The body is not UTF-8 text: it is shown base64-encoded. Targets receive the original bytes.
        </p>
      )}
      {event.size === 0 ? (
        <p className="rounded-lg bg-white px-4 py-3 text-xs text-slate-500 ring-1 ring-slate-200 ring-inset">
          Empty body.
        </p>
      ) : (
        <pre
          aria-label="Body"
          className={`max-h-96 overflow-auto rounded-lg bg-slate-900 px-4 py-3 font-mono text-xs leading-relaxed text-slate-100 ${event.bodyEncoding === 'base64' ? 'break-all whitespace-pre-wrap' : ''}`}
        >
          <code>{text}</code>
        </pre>
      )}
    </figure>
  );
}
