import { Injectable, NotFoundException } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { AuthenticatedUser } from '../auth/auth.types';
import { pgPool } from '../database/pg-pool';
import type { TargetType } from '../targets/target.entity';
import { circuitState } from '../targets/targets.service';
import { addHistograms, quantile, sumHistogramsSql } from './latency-histogram';
import { bin } from './stats-rollup.job';
import type {
  StatsCountsDto,
  StatsDto,
  StatsPointDto,
  StatsQueryDto,
  StatsQueueDto,
  StatsWindow,
  TargetPointDto,
  TargetState,
  TargetStatsDto,
  WebhookStatsDto,
} from './stats.dto';

/** Each window: the rollup resolution it reads, the length of its intervals and how many it has. */
const WINDOWS: Record<
  StatsWindow,
  { resolution: 'minute' | 'hour'; interval: string; seconds: number; count: number }
> = {
  '1h': { resolution: 'minute', interval: '1 minute', seconds: 60, count: 60 },
  '24h': { resolution: 'hour', interval: '1 hour', seconds: 3600, count: 24 },
  '7d': { resolution: 'hour', interval: '6 hours', seconds: 21_600, count: 28 },
};

interface ScopeRow {
  webhook_id: string;
  webhook_name: string;
  target_id: string | null;
  target_name: string | null;
  type: TargetType | null;
  active: boolean | null;
  disabled_reason: string | null;
  circuit_open_until: Date | null;
  consecutive_failures: number | null;
  failing_since: Date | null;
}

interface RollupRow {
  at: Date;
  webhook_id: string;
  target_id: string | null;
  /** The row sums the whole window (per target); otherwise one interval. */
  whole_window: boolean;
  /** The row sums every target of the scope (one interval). */
  all_targets: boolean;
  events: string;
  attempts: string;
  delivered: string;
  failed: string;
  skipped: string;
  latency: string[] | null;
  last_attempt_at: Date | null;
  last_error: string | null;
  last_error_at: Date | null;
}

/** Counters summed over rollup rows, with their histogram. */
class Tally {
  eventsReceived = 0;
  delivered = 0;
  failed = 0;
  skipped = 0;
  attempts = 0;
  histogram: number[] = [];
  lastDeliveryAt: Date | null = null;
  lastError: string | null = null;
  lastErrorAt: Date | null = null;

  add(row: RollupRow): void {
    this.eventsReceived += Number(row.events);
    this.delivered += Number(row.delivered);
    this.failed += Number(row.failed);
    this.skipped += Number(row.skipped);
    this.attempts += Number(row.attempts);
    if (row.latency) addHistograms(this.histogram, row.latency);
    if (row.last_attempt_at && (!this.lastDeliveryAt || row.last_attempt_at > this.lastDeliveryAt)) {
      this.lastDeliveryAt = row.last_attempt_at;
    }
    if (row.last_error_at && (!this.lastErrorAt || row.last_error_at > this.lastErrorAt)) {
      this.lastErrorAt = row.last_error_at;
      this.lastError = row.last_error;
    }
  }

  counts(): StatsCountsDto {
    const finished = this.delivered + this.failed;
    return {
      eventsReceived: this.eventsReceived,
      delivered: this.delivered,
      failed: this.failed,
      skipped: this.skipped,
      attempts: this.attempts,
      successRate: finished === 0 ? null : this.delivered / finished,
      latencyP50Ms: quantile(this.histogram, 0.5),
      latencyP95Ms: quantile(this.histogram, 0.95),
    };
  }
}

function tallyOf<K>(tallies: Map<K, Tally>, key: K): Tally {
  let tally = tallies.get(key);
  if (!tally) tallies.set(key, (tally = new Tally()));
  return tally;
}

function targetState(row: ScopeRow): TargetState {
  if (row.active) return 'active';
  return row.disabled_reason ? 'disabled' : 'paused';
}

/** Failing first (longest failing first), then disabled, then paused, then by webhook and name. */
function byAttention(a: TargetStatsDto, b: TargetStatsDto): number {
  const rank = (target: TargetStatsDto) =>
    target.failingSince ? 0 : target.state === 'disabled' ? 1 : target.state === 'paused' ? 2 : 3;
  return (
    rank(a) - rank(b) ||
    (a.failingSince?.getTime() ?? 0) - (b.failingSince?.getTime() ?? 0) ||
    a.webhookName.localeCompare(b.webhookName) ||
    a.name.localeCompare(b.name)
  );
}

/**
 * `GET /api/v1/stats`: read from the rollups the StatsRollupJob fills (a few rows per interval and
 * target), plus the targets' current state and their waiting deliveries (counted per target through
 * the (target_id, status) index), so the answer's cost follows the number of targets and intervals,
 * not the number of events.
 */
@Injectable()
export class StatsService {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async get(user: AuthenticatedUser, query: StatsQueryDto): Promise<StatsDto> {
    const window = query.window ?? '24h';
    const spec = WINDOWS[window];
    const pool = pgPool(this.dataSource);
    const scope = await this.scope(user, query);
    const webhookIds = [...new Set(scope.map((row) => row.webhook_id))];
    const targets = scope.filter((row) => row.target_id !== null);
    const narrowed = query.webhookId !== undefined || query.targetId !== undefined;

    const { rows: bounds } = await pool.query<{ from: Date; to: Date; updated_at: Date | null }>(
      `SELECT ${bin(spec.interval, 'now()')} - ($1 - 1) * $2::interval AS from,
              ${bin(spec.interval, 'now()')} + $2::interval AS to,
              (SELECT updated_at FROM stats_rollup_state WHERE id = 1) AS updated_at`,
      [spec.count, spec.interval],
    );
    const { from, to, updated_at: updatedAt } = bounds[0]!;
    // One pass over the window's rollup rows: per target (and webhook), per interval, and, when
    // narrowed, per interval and target (the targets' series, without histograms).
    const { rows } = await pool.query<RollupRow>(
      `SELECT at, webhook_id, target_id, GROUPING(at) = 1 AS whole_window, GROUPING(webhook_id) = 1 AS all_targets,
              sum(events) AS events, sum(attempts) AS attempts, sum(delivered) AS delivered,
              sum(failed) AS failed, sum(skipped) AS skipped,
              CASE WHEN GROUPING(at) = 1 OR GROUPING(webhook_id) = 1 THEN ${sumHistogramsSql('latency')} END AS latency,
              max(last_attempt_at) AS last_attempt_at,
              (array_agg(last_error ORDER BY last_error_at DESC) FILTER (WHERE last_error_at IS NOT NULL))[1] AS last_error,
              max(last_error_at) AS last_error_at
       FROM (
         SELECT ${bin(spec.interval, 'bucket')} AS at, * FROM stats_rollups_${spec.resolution}
         WHERE bucket >= $1 AND webhook_id = ANY($2::uuid[]) AND ($3::uuid IS NULL OR target_id IS NULL OR target_id = $3)
       ) r
       GROUP BY GROUPING SETS ((webhook_id, target_id), (at)${narrowed ? ', (at, webhook_id, target_id)' : ''})
       ORDER BY at`,
      [from, webhookIds, query.targetId ?? null],
    );
    const queues = await this.queues(targets.map((row) => row.target_id!));

    const totals = new Tally();
    const byWebhook = new Map<string, Tally>();
    const byTarget = new Map<string, Tally>();
    const series: StatsPointDto[] = [];
    const targetSeries = new Map<string, TargetPointDto[]>();
    for (const row of rows) {
      if (row.whole_window) {
        totals.add(row);
        tallyOf(byWebhook, row.webhook_id).add(row);
        if (row.target_id) tallyOf(byTarget, row.target_id).add(row);
      } else if (row.all_targets) {
        const interval = new Tally();
        interval.add(row);
        const { eventsReceived, delivered, failed, skipped, latencyP50Ms, latencyP95Ms } = interval.counts();
        series.push({ at: row.at, eventsReceived, delivered, failed, skipped, latencyP50Ms, latencyP95Ms });
      } else if (row.target_id) {
        let points = targetSeries.get(row.target_id);
        if (!points) targetSeries.set(row.target_id, (points = []));
        points.push({ at: row.at, delivered: Number(row.delivered), failed: Number(row.failed) });
      }
    }

    const webhookNames = new Map(scope.map((row) => [row.webhook_id, row.webhook_name]));
    const webhooks: WebhookStatsDto[] = webhookIds
      .map((id) => {
        const tally = byWebhook.get(id) ?? new Tally();
        return { id, name: webhookNames.get(id)!, ...tally.counts(), lastDeliveryAt: tally.lastDeliveryAt };
      })
      .sort((a, b) => b.eventsReceived - a.eventsReceived || a.name.localeCompare(b.name));

    const targetStats: TargetStatsDto[] = targets
      .map((row) => {
        const tally = byTarget.get(row.target_id!) ?? new Tally();
        return {
          id: row.target_id!,
          webhookId: row.webhook_id,
          webhookName: row.webhook_name,
          name: row.target_name!,
          type: row.type!,
          state: targetState(row),
          disabledReason: row.disabled_reason,
          circuit: circuitState({
            consecutiveFailures: row.consecutive_failures ?? 0,
            circuitOpenUntil: row.circuit_open_until,
          }),
          circuitOpenUntil: row.circuit_open_until,
          failingSince: row.failing_since,
          ...tally.counts(),
          eventsReceived: byWebhook.get(row.webhook_id)?.eventsReceived ?? 0,
          lastDeliveryAt: tally.lastDeliveryAt,
          lastError: tally.lastError,
          lastErrorAt: tally.lastErrorAt,
          queue: queues.get(row.target_id!) ?? { pending: 0, retrying: 0, paused: 0 },
          series: targetSeries.get(row.target_id!) ?? [],
        };
      })
      .sort(byAttention);

    const queue: StatsQueueDto = { pending: 0, retrying: 0, paused: 0 };
    for (const waiting of queues.values()) {
      queue.pending += waiting.pending;
      queue.retrying += waiting.retrying;
      queue.paused += waiting.paused;
    }
    return {
      window,
      from,
      to,
      intervalSeconds: spec.seconds,
      updatedAt,
      totals: totals.counts(),
      queue,
      openCircuits: targetStats.filter((target) => target.circuit === 'open').length,
      pausedTargets: targetStats.filter((target) => target.state === 'paused').length,
      disabledTargets: targetStats.filter((target) => target.state === 'disabled').length,
      series,
      webhooks,
      targets: targetStats,
    };
  }

  /**
   * The live webhooks and targets the caller may see, narrowed by the query; another user's (or an
   * unknown, deleted or system) webhook or target answers 404.
   */
  private async scope(user: AuthenticatedUser, query: StatsQueryDto): Promise<ScopeRow[]> {
    const { rows } = await pgPool(this.dataSource).query<ScopeRow>(
      `SELECT w.id AS webhook_id, w.name AS webhook_name, t.id AS target_id, t.name AS target_name, t.type,
              t.active, t.disabled_reason, t.circuit_open_until, t.consecutive_failures, t.failing_since
       FROM webhooks w LEFT JOIN targets t ON t.webhook_id = w.id AND t.deleted_at IS NULL
       WHERE w.deleted_at IS NULL AND NOT w.system
         AND ($1::uuid IS NULL OR w.owner_id = $1) AND ($2::uuid IS NULL OR w.id = $2)
       ORDER BY w.created_at, t.created_at`,
      [user.role === 'admin' ? null : user.id, query.webhookId ?? null],
    );
    if (query.webhookId && rows.length === 0)
      throw new NotFoundException(`Webhook ${query.webhookId} not found`);
    if (!query.targetId) return rows;
    const target = rows.filter((row) => row.target_id === query.targetId);
    if (target.length === 0) throw new NotFoundException(`Target ${query.targetId} not found`);
    return target;
  }

  /** Deliveries waiting now per target (index range scans per target and status). */
  private async queues(targetIds: string[]): Promise<Map<string, StatsQueueDto>> {
    const queues = new Map<string, StatsQueueDto>();
    if (targetIds.length === 0) return queues;
    const { rows } = await pgPool(this.dataSource).query<{
      target_id: string;
      status: string;
      count: number;
    }>(
      `SELECT t.id AS target_id, s.status, (
         SELECT count(*)::int FROM deliveries d WHERE d.target_id = t.id AND d.status = s.status
       ) AS count
       FROM unnest($1::uuid[]) AS t(id) CROSS JOIN unnest(ARRAY['pending', 'retrying', 'paused']) AS s(status)`,
      [targetIds],
    );
    for (const row of rows) {
      if (row.count === 0) continue;
      let queue = queues.get(row.target_id);
      if (!queue) queues.set(row.target_id, (queue = { pending: 0, retrying: 0, paused: 0 }));
      queue[row.status as keyof StatsQueueDto] = row.count;
    }
    return queues;
  }
}
