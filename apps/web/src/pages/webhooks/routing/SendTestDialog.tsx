import { sendTargetTestMutation, type SendTargetTestResponse, type TargetDto } from '@webhooker/api-client';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { Link } from 'react-router';
import { toast } from 'sonner';
import { Button } from '../../../components/Button';
import { DeliveryStatusBadge } from '../../../components/DeliveryStatusBadge';
import { Dialog, DialogActions } from '../../../components/Dialog';
import { ErrorAlert } from '../../../components/ErrorAlert';
import { formatDuration } from '../../../lib/format';
import { formError } from '../../../lib/problem';
import { invalidateTestEvent } from '../../../lib/queries';
import { RequestSourceFields, useRequestSource } from './RequestSource';
import { messagesFor } from './routing';

/** A one-line account of a test send, for its toast. */
function summary(result: SendTargetTestResponse): string {
  if (result.skipReason === 'filter') return 'The test event was filtered out: nothing was sent.';
  if (result.skipReason === 'transform')
    return 'The transformation skipped the test event: nothing was sent.';
  const { attempt } = result;
  if (!attempt) return `Test event ${result.status}.`;
  return attempt.statusCode != null
    ? `Test event sent: HTTP ${attempt.statusCode} in ${formatDuration(attempt.durationMs)}.`
    : `Test event failed: ${attempt.error ?? result.status}.`;
}

/**
 * Sends one event (one of the webhook's latest, or a sample) through the target's saved filter
 * and transformation, now, and shows the attempt. It is recorded in the event log, marked as a test.
 * Loaded on demand (its sample editor is CodeMirror): import it lazily.
 */
export default function SendTestDialog({ target, onClose }: { target: TargetDto; onClose: () => void }) {
  const queryClient = useQueryClient();
  const source = useRequestSource(target.webhookId);
  const send = useMutation({
    ...sendTargetTestMutation(),
    onSuccess: async (result) => {
      const succeeded = result.status === 'delivered' || result.status === 'skipped';
      (succeeded ? toast.success : toast.error)(summary(result));
      await invalidateTestEvent(queryClient, target.webhookId, target.id);
    },
  });
  const request = source.body();
  const sendError =
    formError(send.error) ?? messagesFor(send.error, 'request') ?? messagesFor(send.error, 'eventId');

  return (
    <Dialog
      size="wide"
      title={`Send a test event to ${target.name}`}
      description="It goes through the target’s saved filter and transformation now, and shows up in the event log marked as a test."
      onClose={onClose}
    >
      <div className="space-y-4">
        <RequestSourceFields state={source} />
        <ErrorAlert message={sendError} />
        {send.data && <TestResult result={send.data} />}
      </div>
      <DialogActions>
        <Button onClick={onClose}>Close</Button>
        <Button
          variant="primary"
          disabled={send.isPending || !request}
          onClick={() => request && send.mutate({ path: { id: target.id }, body: request })}
        >
          {send.isPending ? 'Sending…' : 'Send test event'}
        </Button>
      </DialogActions>
    </Dialog>
  );
}

function TestResult({ result }: { result: SendTargetTestResponse }) {
  const { attempt } = result;
  return (
    <section
      aria-label="Test result"
      className="space-y-2 rounded-lg bg-slate-50 p-4 ring-1 ring-slate-200 max-sm:p-3"
    >
      <p className="flex flex-wrap items-center gap-x-3 gap-y-1 text-sm">
        <DeliveryStatusBadge status={result.status} skipReason={result.skipReason} />
        {attempt?.statusCode != null && (
          <span className="font-medium text-slate-900">HTTP {attempt.statusCode}</span>
        )}
        {attempt && <span className="text-xs text-slate-500">in {formatDuration(attempt.durationMs)}</span>}
        <Link
          to={`/events/${result.eventId}`}
          className="ml-auto text-xs font-medium text-primary-600 hover:text-primary-700"
        >
          Open the test event
        </Link>
      </p>
      {attempt?.error && <p className="text-xs break-words text-red-700">{attempt.error}</p>}
      {attempt?.responseExcerpt && (
        <pre
          aria-label="Response"
          className="max-h-48 overflow-auto rounded-lg bg-white px-3 py-2 font-mono text-xs whitespace-pre-wrap break-words text-slate-700 ring-1 ring-slate-200 ring-inset"
        >
          {attempt.responseExcerpt}
        </pre>
      )}
    </section>
  );
}
