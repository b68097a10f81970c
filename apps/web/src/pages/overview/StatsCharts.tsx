import type { StatsDto } from '@webhooker/api-client';
import type { ReactNode } from 'react';
import {
  Area,
  AreaChart,
  Bar,
  BarChart,
  CartesianGrid,
  Legend,
  Line,
  LineChart,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';
import { Card } from '../../components/Card';
import { chartSeries, formatLatency, formatTick, WINDOW_LABELS } from './chartData';

const COLORS = {
  events: '#3f51b5',
  delivered: '#10b981',
  failed: '#ef4444',
  p50: '#3f51b5',
  p95: '#f59e0b',
};
const HEIGHT = 200;
const AXIS = { fontSize: 11, fill: '#64748b' };
const FULL_TIME = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

function ChartCard({
  title,
  description,
  children,
}: {
  title: string;
  description: string;
  children: ReactNode;
}) {
  return (
    <Card title={title} description={description}>
      <div className="h-[200px] min-w-0" data-chart={title}>
        {children}
      </div>
    </Card>
  );
}

/**
 * The overview's charts (Recharts, loaded with this module only when the overview has data):
 * events received, deliveries delivered vs failed, and attempt latency p50/p95 per interval.
 */
export default function StatsCharts({ stats }: { stats: StatsDto }) {
  const points = chartSeries(stats);
  const period = WINDOW_LABELS[stats.window];
  const xAxis = (
    <XAxis
      dataKey="at"
      tickFormatter={(at: number) => formatTick(at, stats.window)}
      tick={AXIS}
      minTickGap={24}
    />
  );
  const tooltip = (format?: (value: number) => string) => (
    <Tooltip
      labelFormatter={(at) => FULL_TIME.format(Number(at))}
      formatter={(value) => (format && typeof value === 'number' ? format(value) : String(value))}
      contentStyle={{ fontSize: 12, borderRadius: 8 }}
    />
  );
  return (
    <div className="grid gap-6 lg:grid-cols-3">
      <ChartCard title="Events received" description={`Requests accepted at your entrypoints, ${period}.`}>
        <ResponsiveContainer width="100%" height={HEIGHT}>
          <AreaChart data={points} margin={{ top: 8, right: 8, bottom: 0, left: -16 }}>
            <CartesianGrid stroke="#e2e8f0" vertical={false} />
            {xAxis}
            <YAxis allowDecimals={false} tick={AXIS} />
            {tooltip()}
            <Area
              type="monotone"
              dataKey="eventsReceived"
              name="Events"
              stroke={COLORS.events}
              fill={COLORS.events}
              fillOpacity={0.15}
              isAnimationActive={false}
            />
          </AreaChart>
        </ResponsiveContainer>
      </ChartCard>
      <ChartCard title="Deliveries" description={`Delivered and failed for good, ${period}.`}>
        <ResponsiveContainer width="100%" height={HEIGHT}>
          <BarChart data={points} margin={{ top: 8, right: 8, bottom: 0, left: -16 }}>
            <CartesianGrid stroke="#e2e8f0" vertical={false} />
            {xAxis}
            <YAxis allowDecimals={false} tick={AXIS} />
            {tooltip()}
            <Legend iconSize={10} wrapperStyle={{ fontSize: 12 }} />
            <Bar
              dataKey="delivered"
              name="Delivered"
              stackId="outcome"
              fill={COLORS.delivered}
              isAnimationActive={false}
            />
            <Bar
              dataKey="failed"
              name="Failed"
              stackId="outcome"
              fill={COLORS.failed}
              isAnimationActive={false}
            />
          </BarChart>
        </ResponsiveContainer>
      </ChartCard>
      <ChartCard
        title="Attempt latency"
        description={`Median (p50) and p95 of attempt durations, ${period}.`}
      >
        <ResponsiveContainer width="100%" height={HEIGHT}>
          <LineChart data={points} margin={{ top: 8, right: 8, bottom: 0, left: 0 }}>
            <CartesianGrid stroke="#e2e8f0" vertical={false} />
            {xAxis}
            <YAxis tick={AXIS} tickFormatter={(ms: number) => formatLatency(ms)} width={56} />
            {tooltip(formatLatency)}
            <Legend iconSize={10} wrapperStyle={{ fontSize: 12 }} />
            <Line
              type="monotone"
              dataKey="latencyP50Ms"
              name="p50"
              stroke={COLORS.p50}
              dot={{ r: 2 }}
              connectNulls={false}
              isAnimationActive={false}
            />
            <Line
              type="monotone"
              dataKey="latencyP95Ms"
              name="p95"
              stroke={COLORS.p95}
              dot={{ r: 2 }}
              connectNulls={false}
              isAnimationActive={false}
            />
          </LineChart>
        </ResponsiveContainer>
      </ChartCard>
    </div>
  );
}
