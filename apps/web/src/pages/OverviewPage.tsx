import { getStatsOptions } from '@webhooker/api-client';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { lazy, Suspense, useState } from 'react';
import { Button } from '../components/Button';
import { Card } from '../components/Card';
import { ErrorAlert } from '../components/ErrorAlert';
import { PageHeader } from '../components/PageHeader';
import { RelativeTime } from '../components/RelativeTime';
import { errorMessage } from '../lib/problem';
import { STATS_REFRESH_MS } from '../lib/queries';
import { useSession } from '../lib/session';
import { AttentionCard } from './overview/AttentionCard';
import { type StatsWindow, WINDOW_LABELS } from './overview/chartData';
import { EmptyOverview } from './overview/EmptyOverview';
import { StatTiles } from './overview/StatTiles';
import { WebhookStatsCard } from './overview/WebhookStatsCard';
import { WindowSelector } from './overview/WindowSelector';

/** The charts and Recharts load only when there is something to draw, outside the main bundle. */
const StatsCharts = lazy(() => import('./overview/StatsCharts'));

function ChartsPlaceholder() {
  return (
    <Card>
      <p className="py-16 text-center text-sm text-slate-500">Loading charts…</p>
    </Card>
  );
}

/**
 * Health at a glance: the window's numbers, the targets that need attention (failing ones first,
 * with since when and their last error), charts, and the webhooks with their numbers.
 */
export function OverviewPage() {
  const { user } = useSession();
  const [statsWindow, setStatsWindow] = useState<StatsWindow>('24h');
  const stats = useQuery({
    ...getStatsOptions({ query: { window: statsWindow } }),
    refetchInterval: STATS_REFRESH_MS,
    placeholderData: keepPreviousData,
  });
  const period = WINDOW_LABELS[statsWindow];
  const data = stats.data;
  const hasTraffic = data !== undefined && (data.totals.eventsReceived > 0 || data.totals.attempts > 0);

  return (
    <>
      <PageHeader
        title="Overview"
        description={
          <>
            {user.role === 'admin' ? 'Every webhook' : 'Your webhooks'}, {period}
            {data?.updatedAt && (
              <>
                {' '}
                · counted <RelativeTime value={data.updatedAt} />
              </>
            )}
          </>
        }
        action={<WindowSelector value={statsWindow} onChange={setStatsWindow} />}
      />
      {stats.isPending && (
        <Card>
          <p className="py-10 text-center text-sm text-slate-500">Loading statistics…</p>
        </Card>
      )}
      {stats.isError && (
        <Card>
          <div className="space-y-3">
            <ErrorAlert message={`The statistics could not be loaded: ${errorMessage(stats.error)}`} />
            <Button onClick={() => stats.refetch()}>Try again</Button>
          </div>
        </Card>
      )}
      {data && (
        <div className="space-y-6">
          <StatTiles stats={data} />
          <AttentionCard targets={data.targets} />
          {hasTraffic ? (
            <Suspense fallback={<ChartsPlaceholder />}>
              <StatsCharts stats={data} />
            </Suspense>
          ) : (
            <EmptyOverview hasWebhooks={data.webhooks.length > 0} period={period} />
          )}
          {data.webhooks.length > 0 && <WebhookStatsCard webhooks={data.webhooks} />}
        </div>
      )}
    </>
  );
}
