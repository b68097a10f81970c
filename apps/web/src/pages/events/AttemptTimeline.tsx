import { listDeliveryAttemptsOptions, type DeliveryAttemptDto } from '@webhooker/api-client';
import { useQuery } from '@tanstack/react-query';
import { Badge } from '../../components/Badge';
import { RelativeTime } from '../../components/RelativeTime';
import { formatDuration } from '../../lib/format';
import { errorMessage } from '../../lib/problem';

/** The tries of one delivery, oldest first, on a vertical line. */
export function AttemptTimeline({ deliveryId }: { deliveryId: string }) {
  const attempts = useQuery(listDeliveryAttemptsOptions({ path: { id: deliveryId } }));
  if (attempts.isPending) return <p className="text-xs text-slate-500">Loading attempts…</p>;
  if (attempts.isError) return <p className="text-xs text-red-600">{errorMessage(attempts.error)}</p>;
  if (attempts.data.length === 0) return <p className="text-xs text-slate-500">Not attempted yet.</p>;
  return (
    <ol aria-label="Attempts" className="space-y-3 border-l-2 border-slate-200 pl-4">
      {attempts.data.map((attempt) => (
        <AttemptItem key={attempt.id} attempt={attempt} />
      ))}
    </ol>
  );
}

/** No error, and a 2xx when there was an HTTP response (log and database targets have none). */
function succeeded(attempt: DeliveryAttemptDto): boolean {
  if (attempt.error) return false;
  return attempt.statusCode == null || (attempt.statusCode >= 200 && attempt.statusCode < 300);
}

function AttemptItem({ attempt }: { attempt: DeliveryAttemptDto }) {
  const ok = succeeded(attempt);
  return (
    <li className="relative text-xs">
      <span
        aria-hidden="true"
        className={`absolute top-1 -left-[1.3rem] size-2.5 rounded-full ring-2 ring-white ${ok ? 'bg-emerald-500' : 'bg-red-500'}`}
      />
      <p className="flex flex-wrap items-center gap-x-2 gap-y-1 text-slate-600">
        <span className="font-semibold text-slate-900">Attempt {attempt.attemptNumber}</span>
        <RelativeTime value={attempt.startedAt} />
        <span aria-hidden="true">·</span>
        <span>{formatDuration(attempt.durationMs)}</span>
        {attempt.statusCode != null ? (
          <Badge tone={ok ? 'green' : 'red'}>HTTP {attempt.statusCode}</Badge>
        ) : (
          !attempt.error && <Badge tone="green">done</Badge>
        )}
      </p>
      {attempt.error && attempt.error !== `HTTP ${attempt.statusCode}` && (
        <p className="mt-1 break-words text-red-700">{attempt.error}</p>
      )}
      {attempt.responseExcerpt && (
        <details className="mt-1">
          <summary className="cursor-pointer text-slate-500 select-none hover:text-slate-800">
            Response
          </summary>
          <pre className="mt-1 max-h-48 overflow-auto rounded-md bg-white px-3 py-2 font-mono break-all whitespace-pre-wrap text-slate-700 ring-1 ring-slate-200 ring-inset">
            {attempt.responseExcerpt}
          </pre>
        </details>
      )}
    </li>
  );
}
