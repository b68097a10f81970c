import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsUUID } from 'class-validator';
import { CIRCUIT_STATES, type CircuitState } from '../targets/target.dto';
import { TARGET_TYPES, type TargetType } from '../targets/target.entity';

export const STATS_WINDOWS = ['1h', '24h', '7d'] as const;
export type StatsWindow = (typeof STATS_WINDOWS)[number];

export class StatsQueryDto {
  /** 1h: the last 60 minutes, per minute; 24h: the last 24 hours, per hour; 7d: the last 7 days, per 6 hours. */
  @ApiPropertyOptional({ enum: STATS_WINDOWS, enumName: 'StatsWindow', default: '24h' })
  @IsOptional()
  @IsIn(STATS_WINDOWS, { message: 'window must be one of 1h, 24h, 7d' })
  window?: StatsWindow = '24h';

  /** Only this webhook (and its targets). */
  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID('all', { message: 'webhookId must be a UUID' })
  webhookId?: string;

  /** Only this target (events received are its webhook's). */
  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID('all', { message: 'targetId must be a UUID' })
  targetId?: string;
}

/** Counts in the window. */
export class StatsCountsDto {
  /** Events received (for a target: by its webhook). */
  @ApiProperty()
  eventsReceived: number;

  /** Deliveries that succeeded. */
  @ApiProperty()
  delivered: number;

  /** Deliveries that failed for good (dead-lettered; replayable). */
  @ApiProperty()
  failed: number;

  /** Deliveries that routing skipped (a filter or transform decided not to deliver). */
  @ApiProperty()
  skipped: number;

  /** Attempts made (retries included). */
  @ApiProperty()
  attempts: number;

  /** delivered / (delivered + failed), 0–1; null without finished deliveries. */
  @ApiPropertyOptional({ type: Number, nullable: true })
  successRate: number | null;

  /** Median attempt duration (ms), within ±19 %; null without attempts. */
  @ApiPropertyOptional({ type: Number, nullable: true })
  latencyP50Ms: number | null;

  /** 95th percentile of attempt durations (ms), within ±19 %; null without attempts. */
  @ApiPropertyOptional({ type: Number, nullable: true })
  latencyP95Ms: number | null;
}

/** Deliveries waiting now. */
export class StatsQueueDto {
  @ApiProperty()
  pending: number;

  @ApiProperty()
  retrying: number;

  /** Waiting for their target to be activated again. */
  @ApiProperty()
  paused: number;
}

export class WebhookStatsDto extends StatsCountsDto {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty()
  name: string;

  /** When an attempt last finished in the window. */
  @ApiPropertyOptional({ type: Date, nullable: true })
  lastDeliveryAt: Date | null;
}

/** One interval of a target's series. */
export class TargetPointDto {
  /** Start of the interval. */
  @ApiProperty()
  at: Date;

  @ApiProperty()
  delivered: number;

  @ApiProperty()
  failed: number;
}

export const TARGET_STATES = ['active', 'paused', 'disabled'] as const;
export type TargetState = (typeof TARGET_STATES)[number];

export class TargetStatsDto extends StatsCountsDto {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ format: 'uuid' })
  webhookId: string;

  @ApiProperty()
  webhookName: string;

  @ApiProperty()
  name: string;

  @ApiProperty({ enum: TARGET_TYPES, enumName: 'TargetType' })
  type: TargetType;

  /** active; paused (deactivated by a user); disabled (deactivated by webhooker, see disabledReason). */
  @ApiProperty({ enum: TARGET_STATES, enumName: 'TargetState' })
  state: TargetState;

  @ApiPropertyOptional({ type: String, nullable: true })
  disabledReason: string | null;

  @ApiProperty({ enum: CIRCUIT_STATES, enumName: 'CircuitState' })
  circuit: CircuitState;

  @ApiPropertyOptional({ type: Date, nullable: true })
  circuitOpenUntil: Date | null;

  /** When its current run of failed attempts began; null while healthy. */
  @ApiPropertyOptional({ type: Date, nullable: true })
  failingSince: Date | null;

  /** When an attempt last finished in the window. */
  @ApiPropertyOptional({ type: Date, nullable: true })
  lastDeliveryAt: Date | null;

  /** The error of the latest failed attempt in the window. */
  @ApiPropertyOptional({ type: String, nullable: true })
  lastError: string | null;

  @ApiPropertyOptional({ type: Date, nullable: true })
  lastErrorAt: Date | null;

  @ApiProperty({ type: StatsQueueDto })
  queue: StatsQueueDto;

  /**
   * Deliveries per interval, oldest first, intervals without any left out; only when the answer is
   * narrowed to a webhook or a target (empty otherwise).
   */
  @ApiProperty({ type: [TargetPointDto] })
  series: TargetPointDto[];
}

/** One interval of the time series. */
export class StatsPointDto {
  /** Start of the interval. */
  @ApiProperty()
  at: Date;

  @ApiProperty()
  eventsReceived: number;

  @ApiProperty()
  delivered: number;

  @ApiProperty()
  failed: number;

  @ApiProperty()
  skipped: number;

  @ApiPropertyOptional({ type: Number, nullable: true })
  latencyP50Ms: number | null;

  @ApiPropertyOptional({ type: Number, nullable: true })
  latencyP95Ms: number | null;
}

export class StatsDto {
  @ApiProperty({ enum: STATS_WINDOWS, enumName: 'StatsWindow' })
  window: StatsWindow;

  /** Start of the first interval (inclusive). */
  @ApiProperty()
  from: Date;

  /** End of the last interval (exclusive); the last interval is still running. */
  @ApiProperty()
  to: Date;

  /** Length of each interval of the series, in seconds. */
  @ApiProperty()
  intervalSeconds: number;

  /** When the rollups were last brought up to date: newer events and attempts are not counted yet. */
  @ApiPropertyOptional({ type: Date, nullable: true })
  updatedAt: Date | null;

  @ApiProperty({ type: StatsCountsDto })
  totals: StatsCountsDto;

  @ApiProperty({ type: StatsQueueDto })
  queue: StatsQueueDto;

  /** Targets whose circuit is open (no attempts until it closes). */
  @ApiProperty()
  openCircuits: number;

  /** Targets deactivated by a user. */
  @ApiProperty()
  pausedTargets: number;

  /** Targets deactivated by webhooker (410 Gone, failing too long). */
  @ApiProperty()
  disabledTargets: number;

  /** The intervals of the window, oldest first; intervals without any traffic are left out. */
  @ApiProperty({ type: [StatsPointDto] })
  series: StatsPointDto[];

  /** Per webhook, busiest first. */
  @ApiProperty({ type: [WebhookStatsDto] })
  webhooks: WebhookStatsDto[];

  /** Per target: failing ones first (longest failing first), then disabled and paused, then by name. */
  @ApiProperty({ type: [TargetStatsDto] })
  targets: TargetStatsDto[];
}
