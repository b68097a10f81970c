import { Button } from '../../../components/Button';
import { CodeField } from './CodeField';
import { FILTER_EXAMPLE, TRANSFORM_EXAMPLE } from './examples';
import { messagesFor, parseFilter } from './routing';
import { TryItPane, usePreview } from './TryItPane';

interface RoutingSectionProps {
  webhookId: string;
  /** The saved target; a new one cannot be tried yet. */
  targetId?: string;
  /** Only an http target sends a request a transformation could change. */
  transformable: boolean;
  filterText: string;
  onFilterTextChange: (text: string) => void;
  transformText: string;
  onTransformTextChange: (text: string) => void;
  /** The failed save, whose messages about the filter or transformation show beside their editor. */
  saveError: unknown;
}

/**
 * The filter and transformation editors of a target, and the pane that tries them. Loaded on
 * demand with its editors: import it lazily.
 */
export default function RoutingSection({
  webhookId,
  targetId,
  transformable,
  filterText,
  onFilterTextChange,
  transformText,
  onTransformTextChange,
  saveError,
}: RoutingSectionProps) {
  const preview = usePreview();
  const parsedFilter = parseFilter(filterText);
  const filterError =
    ('error' in parsedFilter ? parsedFilter.error : undefined) ??
    messagesFor(saveError, 'filter') ??
    messagesFor(preview.error, 'filter');
  const transformError = messagesFor(saveError, 'transform') ?? messagesFor(preview.error, 'transform');

  return (
    <div className="space-y-5">
      <CodeField
        label="Filter"
        hint={
          <>
            Optional JSON condition on <code>method</code>, <code>path</code>, <code>query</code>,{' '}
            <code>headers</code> and <code>body</code>: values match by example, with operators such as{' '}
            <code>$in</code>, <code>$gte</code>, <code>$startsWith</code>, <code>$or</code>, <code>$not</code>
            . Events it does not match are skipped. Empty: every event.
          </>
        }
        error={filterError}
        language="json"
        value={filterText}
        onChange={onFilterTextChange}
        placeholder="Every event (no filter)"
        actions={
          <Button size="sm" variant="ghost" onClick={() => onFilterTextChange(FILTER_EXAMPLE)}>
            Insert example
          </Button>
        }
      />
      {transformable && (
        <CodeField
          label="Transformation"
          hint={
            <>
              Optional JavaScript: <code>function handler(request)</code> gets{' '}
              <code>{'{ method, path, query, headers, body }'}</code> and returns the request to send (a path
              and query are appended to the URL), or <code>null</code> to skip the event. It runs in a
              sandbox, within 50 ms. Empty: events are sent as they came.
            </>
          }
          error={transformError}
          language="javascript"
          value={transformText}
          onChange={onTransformTextChange}
          placeholder="Events are sent as they came (no transformation)"
          actions={
            <Button size="sm" variant="ghost" onClick={() => onTransformTextChange(TRANSFORM_EXAMPLE)}>
              Insert example
            </Button>
          }
        />
      )}
      {targetId ? (
        <TryItPane
          webhookId={webhookId}
          targetId={targetId}
          filterText={filterText}
          transformText={transformable ? transformText : ''}
          preview={preview}
        />
      ) : (
        <p className="rounded-lg bg-slate-50 px-4 py-3 text-xs text-slate-500 ring-1 ring-slate-200">
          Save the target first to try its filter and transformation on the webhook’s events.
        </p>
      )}
    </div>
  );
}
