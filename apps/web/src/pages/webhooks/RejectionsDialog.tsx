import { listEntrypointRejectionsOptions, type EntrypointDto } from '@webhooker/api-client';
import { useQuery } from '@tanstack/react-query';
import { Badge } from '../../components/Badge';
import { Button } from '../../components/Button';
import { Dialog, DialogActions } from '../../components/Dialog';
import { RelativeTime } from '../../components/RelativeTime';
import { plural } from '../../lib/format';
import { errorMessage } from '../../lib/problem';
import { REJECTION_REASONS } from './verification';

/** The requests an entrypoint's verification refused lately: when, from where, why, with which headers. */
export function RejectionsDialog({
  entrypoint,
  onClose,
}: {
  entrypoint: EntrypointDto;
  onClose: () => void;
}) {
  const rejections = useQuery({
    ...listEntrypointRejectionsOptions({ path: { id: entrypoint.id } }),
    refetchOnMount: 'always',
  });
  const items = rejections.data?.recent ?? [];

  return (
    <Dialog
      size="wide"
      title="Recent rejections"
      description={
        <>
          Requests to <span className="font-mono text-xs break-all">{entrypoint.url}</span> that failed
          verification: they were answered 401 and stored no event. The sender only learns it was refused; the
          reason is shown here alone.
        </>
      }
      onClose={onClose}
    >
      <div className="space-y-3">
        {rejections.isSuccess && (
          <p className="text-sm text-slate-600">
            {plural(rejections.data.rejectedCount, 'request')} refused so far
            {rejections.data.rejectedCount > items.length && `; the last ${items.length} are shown`}.
          </p>
        )}
        <ul className="max-h-[28rem] divide-y divide-slate-100 overflow-y-auto rounded-lg ring-1 ring-slate-200 max-sm:max-h-[55vh]">
          {rejections.isPending && <li className="px-4 py-3 text-sm text-slate-500">Loading…</li>}
          {rejections.isError && (
            <li className="px-4 py-3 text-sm text-red-600">{errorMessage(rejections.error)}</li>
          )}
          {rejections.isSuccess && items.length === 0 && (
            <li className="px-4 py-6 text-center text-sm text-slate-500">No request has been refused.</li>
          )}
          {items.map((rejection, index) => (
            <li key={`${rejection.at}-${index}`} className="space-y-1.5 px-4 py-3 text-sm">
              <p className="flex flex-wrap items-center gap-x-3 gap-y-1">
                <Badge tone="red">{REJECTION_REASONS[rejection.reason]}</Badge>
                <span className="text-slate-700">
                  <RelativeTime value={rejection.at} />
                </span>
                <span className="text-xs text-slate-500">
                  from <span className="font-mono">{rejection.sourceIp ?? 'an unknown address'}</span>
                </span>
              </p>
              <p className="text-slate-700">{rejection.detail}</p>
              <details className="text-xs">
                <summary className="cursor-pointer py-1 font-medium text-slate-600 select-none hover:text-slate-900">
                  Headers ({Object.keys(rejection.headers).length})
                </summary>
                <dl className="mt-1 grid grid-cols-[minmax(0,auto)_minmax(0,1fr)] gap-x-3 gap-y-0.5 rounded-md bg-slate-50 px-3 py-2 font-mono ring-1 ring-slate-200 ring-inset">
                  {Object.entries(rejection.headers).map(([name, value]) => (
                    <div key={name} className="contents">
                      <dt className="break-all text-slate-500">{name}</dt>
                      <dd className="break-all text-slate-900">{value}</dd>
                    </div>
                  ))}
                </dl>
              </details>
            </li>
          ))}
        </ul>
      </div>
      <DialogActions>
        <Button data-autofocus onClick={onClose}>
          Close
        </Button>
      </DialogActions>
    </Dialog>
  );
}
