import { previewTargetMutation, type PreviewTargetResponse } from '@webhooker/api-client';
import { useMutation } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import { Badge } from '../../../components/Badge';
import { Button } from '../../../components/Button';
import { ErrorAlert } from '../../../components/ErrorAlert';
import { formatDuration } from '../../../lib/format';
import { formError } from '../../../lib/problem';
import { RequestSourceFields, useRequestSource } from './RequestSource';
import { formatBody, messagesFor, parseFilter, transformOf } from './routing';

/** The preview call; its owner shows its messages about the filter and transformation beside their editors. */
export function usePreview() {
  return useMutation(previewTargetMutation());
}

type PreviewMutation = ReturnType<typeof usePreview>;

interface TryItPaneProps {
  webhookId: string;
  targetId: string;
  /** The editors' content, saved or not: what the preview runs. */
  filterText: string;
  transformText: string;
  preview: PreviewMutation;
}

/** Runs the editors' filter and transformation on an event or a sample, sending nothing. */
export function TryItPane({ webhookId, targetId, filterText, transformText, preview }: TryItPaneProps) {
  const source = useRequestSource(webhookId);
  const [problem, setProblem] = useState<string>();

  const run = () => {
    const parsed = parseFilter(filterText);
    const request = source.body();
    if ('error' in parsed || !request) {
      setProblem('error' in parsed ? 'Fix the filter first.' : 'Fix the sample request first.');
      return;
    }
    setProblem(undefined);
    preview.mutate({
      path: { id: targetId },
      body: {
        ...request,
        filter: parsed.filter,
        transform: transformOf(transformText),
      },
    });
  };
  const requestError =
    formError(preview.error) ??
    messagesFor(preview.error, 'request') ??
    messagesFor(preview.error, 'eventId');

  return (
    <section
      aria-label="Try it"
      className="space-y-3 rounded-lg bg-slate-50 p-4 ring-1 ring-slate-200 max-sm:p-3"
    >
      <div>
        <h3 className="text-sm font-semibold text-slate-900">Try it</h3>
        <p className="mt-0.5 text-xs text-slate-500">
          Runs the filter and the transformation above, saved or not, on a request. Nothing is sent.
        </p>
      </div>
      <RequestSourceFields state={source} />
      <div className="flex justify-end">
        <Button onClick={run} disabled={preview.isPending}>
          {preview.isPending ? 'Running…' : 'Run'}
        </Button>
      </div>
      <ErrorAlert message={problem ?? requestError} />
      {preview.data && !problem && <PreviewResult result={preview.data} />}
    </section>
  );
}

function Outcome({ result }: { result: PreviewTargetResponse }) {
  if (result.error) return <Badge tone="red">error</Badge>;
  if (result.skipReason === 'filter') return <Badge tone="grey">filtered out</Badge>;
  if (result.skipReason === 'transform') return <Badge tone="grey">skipped by transform</Badge>;
  return <Badge tone="green">matched</Badge>;
}

/** What the preview found: the outcome, the request that would be sent, the console output. */
function PreviewResult({ result }: { result: PreviewTargetResponse }) {
  const { request } = result;
  const headers = Object.entries(request?.headers ?? {}).sort(([a], [b]) => a.localeCompare(b));
  const body = request ? formatBody(request.body) : '';
  // Each new result comes into view: it is below the editors, often below the fold of the dialog.
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    ref.current?.scrollIntoView({ block: 'start' });
  }, [result]);
  return (
    <div ref={ref} role="status" aria-label="Preview result" className="scroll-mt-4 space-y-3">
      <p className="flex flex-wrap items-center gap-2 text-xs text-slate-500">
        <Outcome result={result} />
        <span>in {formatDuration(result.durationMs)}</span>
      </p>
      {result.skipReason === 'filter' && (
        <p className="text-xs text-slate-600">
          The filter does not match this request: it would not be sent.
        </p>
      )}
      {result.skipReason === 'transform' && (
        <p className="text-xs text-slate-600">The transformation returned null: it would not be sent.</p>
      )}
      {result.error && (
        <pre
          aria-label="Error"
          className="overflow-auto rounded-lg bg-red-50 px-3 py-2 font-mono text-xs whitespace-pre-wrap break-words text-red-700 ring-1 ring-red-600/15 ring-inset"
        >
          {result.error}
        </pre>
      )}
      {request && !result.skipped && !result.error && (
        <div className="space-y-2">
          <h4 className="text-xs font-medium text-slate-700">Request to send</h4>
          <p className="flex min-w-0 gap-2 rounded-lg bg-white px-3 py-2 font-mono text-xs ring-1 ring-slate-200 ring-inset">
            <span className="font-semibold text-slate-900">{request.method}</span>
            <span aria-label="URL" className="min-w-0 break-all text-slate-700">
              {result.url ?? request.path}
            </span>
          </p>
          {headers.length > 0 && (
            <div className="max-h-48 overflow-auto rounded-lg bg-white ring-1 ring-slate-200 ring-inset">
              <table aria-label="Headers to send" className="min-w-full text-xs">
                <tbody className="divide-y divide-slate-100">
                  {headers.map(([name, value]) => (
                    <tr key={name}>
                      <th
                        scope="row"
                        className="w-32 px-3 py-1.5 text-left align-top font-mono font-medium wrap-anywhere text-slate-500 sm:w-44"
                      >
                        {name}
                      </th>
                      <td className="px-3 py-1.5 font-mono break-all text-slate-800">{value}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
          {body ? (
            <pre
              aria-label="Body to send"
              className="max-h-72 overflow-auto rounded-lg bg-slate-900 px-3 py-2 font-mono text-xs leading-relaxed text-slate-100"
            >
              <code>{body}</code>
            </pre>
          ) : (
            <p className="text-xs text-slate-500">Empty body.</p>
          )}
        </div>
      )}
      {result.logs.length > 0 && (
        <div>
          <h4 className="mb-1 text-xs font-medium text-slate-700">Console</h4>
          <pre
            aria-label="Console output"
            className="max-h-40 overflow-auto rounded-lg bg-white px-3 py-2 font-mono text-xs whitespace-pre-wrap break-words text-slate-700 ring-1 ring-slate-200 ring-inset"
          >
            {result.logs.join('\n')}
          </pre>
        </div>
      )}
    </div>
  );
}
