import { ConflictException, Inject, Injectable, NotFoundException } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { AuthenticatedUser } from '../auth/auth.types';
import { encodeBody } from '../common/body-encoding';
import { cursorPosition, encodeCursor, Page } from '../common/pagination';
import { APP_CONFIG, AppConfig } from '../config/config';
import { pgPool } from '../database/pg-pool';
import { DELIVERY_TASKS_EVENT, DeliveryTask, EventSnapshot, TargetSnapshot } from '../delivery/delivery-task';
import type { Delivery } from '../delivery/delivery.entity';
import { DeliveryService } from '../delivery/delivery.service';
import { INSTANCE_ID } from '../delivery/instance-id';
import { EventsService } from '../events/events.service';
import { CompiledFilter, compileFilter } from '../routing/filter';
import { routingRequest } from '../routing/routing-request';
import { TargetHealthService } from '../targets/target-health.service';
import { TargetsService } from '../targets/targets.service';
import { WebhooksService } from '../webhooks/webhooks.service';
import {
  DeliveryAttemptDto,
  DeliveryCountsDto,
  DeliveryDto,
  DeliveryListQueryDto,
  EventDetailDto,
  EventListQueryDto,
  EventSummaryDto,
} from './event-log.dto';

interface EventRow {
  id: string;
  webhook_id: string;
  entrypoint_id: string | null;
  method: string;
  path: string;
  query: string;
  content_type: string | null;
  size: number;
  source_ip: string | null;
  received_at: Date;
  test: boolean;
  counts: Partial<DeliveryCountsDto> | null;
}

const EVENT_COLUMNS = `e.id, e.webhook_id, e.entrypoint_id, e.method, e.path, e.query, e.content_type,
  octet_length(e.body)::int AS size, e.source_ip, e.received_at, e.test,
  (SELECT json_object_agg(s.status, s.n) FROM
     (SELECT d.status, count(*)::int AS n FROM deliveries d WHERE d.event_id = e.id GROUP BY d.status) s) AS counts`;

function toSummary(row: EventRow): EventSummaryDto {
  return {
    id: row.id,
    webhookId: row.webhook_id,
    entrypointId: row.entrypoint_id,
    method: row.method,
    path: row.path,
    query: row.query,
    contentType: row.content_type,
    size: row.size,
    sourceIp: row.source_ip,
    receivedAt: row.received_at,
    test: row.test,
    deliveryCounts: {
      pending: 0,
      retrying: 0,
      paused: 0,
      delivered: 0,
      failed: 0,
      cancelled: 0,
      skipped: 0,
      ...row.counts,
    },
  };
}

export function toDeliveryDto(delivery: Delivery): DeliveryDto {
  return {
    id: delivery.id,
    eventId: delivery.eventId,
    webhookId: delivery.webhookId,
    targetId: delivery.targetId,
    status: delivery.status,
    attemptCount: delivery.attemptCount,
    nextAttemptAt: delivery.nextAttemptAt,
    lastStatusCode: delivery.lastStatusCode,
    lastError: delivery.lastError,
    skipReason: delivery.skipReason,
    createdAt: delivery.createdAt,
    updatedAt: delivery.updatedAt,
  };
}

/**
 * The event log: a read model over events, deliveries and attempts (what the dashboard's event log
 * and integrators read), and replay.
 */
@Injectable()
export class EventLogService {
  /** Replays are taken by this process's engine, unless it runs no engine (ROLE=api). */
  private readonly leaseHolder: string | null;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(INSTANCE_ID) instanceId: string,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly emitter: EventEmitter2,
    private readonly webhooks: WebhooksService,
    private readonly targets: TargetsService,
    private readonly targetHealth: TargetHealthService,
    private readonly events: EventsService,
    private readonly deliveries: DeliveryService,
  ) {
    this.leaseHolder = config.role === 'api' ? null : instanceId;
  }

  /** A webhook's events, newest first, filtered by delivery status and time. */
  async listEvents(
    user: AuthenticatedUser,
    webhookId: string,
    query: EventListQueryDto,
  ): Promise<Page<EventSummaryDto>> {
    const webhook = await this.webhooks.getAccessible(user, webhookId);
    const position = cursorPosition(query.cursor);
    const limit = query.limit ?? 50;
    const { rows } = await pgPool(this.dataSource).query<EventRow>(
      `SELECT ${EVENT_COLUMNS} FROM events e
       WHERE e.webhook_id = $1
         AND ($2::varchar IS NULL OR EXISTS (SELECT 1 FROM deliveries d WHERE d.event_id = e.id AND d.status = $2))
         AND ($3::timestamptz IS NULL OR e.received_at >= $3)
         AND ($4::timestamptz IS NULL OR e.received_at < $4)
         AND ($5::timestamptz IS NULL OR (e.received_at, e.id) < ($5, $6::uuid))
       ORDER BY e.received_at DESC, e.id DESC
       LIMIT $7`,
      [
        webhook.id,
        query.status ?? null,
        query.since ?? null,
        query.until ?? null,
        position?.createdAt ?? null,
        position?.id ?? null,
        limit + 1,
      ],
    );
    const items = rows.slice(0, limit).map(toSummary);
    const last = items[items.length - 1];
    return { items, nextCursor: rows.length > limit && last ? encodeCursor(last.receivedAt, last.id) : null };
  }

  /** An event with headers, body and its deliveries. */
  async getEvent(user: AuthenticatedUser, id: string): Promise<EventDetailDto> {
    const { rows } = await pgPool(this.dataSource).query<
      EventRow & { headers: Record<string, string>; body: Buffer }
    >(`SELECT ${EVENT_COLUMNS}, e.headers, e.body FROM events e WHERE e.id = $1`, [id]);
    const row = rows[0];
    if (!row) throw new NotFoundException(`Event ${id} not found`);
    await this.webhooks.getAccessible(user, row.webhook_id, { includeSystem: true }).catch(() => {
      throw new NotFoundException(`Event ${id} not found`);
    });
    const deliveries = await this.deliveries.listForEvent(id);
    return {
      ...toSummary(row),
      headers: row.headers,
      ...encodeBody(row.body),
      deliveries: deliveries.map(toDeliveryDto),
    };
  }

  async listAttempts(user: AuthenticatedUser, deliveryId: string): Promise<DeliveryAttemptDto[]> {
    await this.accessibleDelivery(user, deliveryId);
    const attempts = await this.deliveries.attempts(deliveryId);
    return attempts.map((a) => ({
      id: a.id,
      deliveryId: a.deliveryId,
      attemptNumber: a.attemptNumber,
      startedAt: a.startedAt,
      durationMs: a.durationMs,
      statusCode: a.statusCode,
      responseExcerpt: a.responseExcerpt,
      error: a.error,
    }));
  }

  async listTargetDeliveries(
    user: AuthenticatedUser,
    targetId: string,
    query: DeliveryListQueryDto,
  ): Promise<Page<DeliveryDto>> {
    const target = await this.targets.get(user, targetId);
    const page = await this.deliveries.listForTarget(target.id, query.status, query);
    return { items: page.items.map(toDeliveryDto), nextCursor: page.nextCursor };
  }

  /** Sends one finished delivery again, now (or when its target is activated, if it is paused). */
  async replayDelivery(user: AuthenticatedUser, deliveryId: string): Promise<DeliveryDto> {
    const existing = await this.accessibleDelivery(user, deliveryId);
    if (existing.status === 'skipped') {
      throw new ConflictException(
        `Delivery ${deliveryId} was skipped (${existing.skipReason ?? 'filter'}): its target does not take this event; ` +
          'replay the whole event to route it through the current filters again',
      );
    }
    const target = (await this.targetHealth.snapshots([existing.targetId])).get(existing.targetId);
    const paused = !target?.active;
    const delivery = await this.deliveries.replay(
      existing.id,
      paused ? null : this.leaseHolder,
      this.config.leaseMs,
      paused,
    );
    if (!delivery)
      throw new ConflictException(`Delivery ${deliveryId} is still in progress (${existing.status})`);
    if (!paused) await this.handOff([delivery]);
    return toDeliveryDto(delivery);
  }

  /** Queues every failed delivery of a target again (a paused target's wait, `paused`, for its activation). */
  async replayFailed(user: AuthenticatedUser, targetId: string): Promise<number> {
    const target = await this.targets.get(user, targetId);
    return this.deliveries.replayFailed(target.id, !target.active);
  }

  /**
   * Delivers an event again to the webhook's current targets, through their current filters (new
   * deliveries; paused ones wait; a target whose filter does not match gets a `skipped` one).
   */
  async replayEvent(user: AuthenticatedUser, eventId: string): Promise<DeliveryDto[]> {
    const event = (await this.events.snapshots([eventId])).get(eventId);
    if (!event) throw new NotFoundException(`Event ${eventId} not found`);
    await this.webhooks.getAccessible(user, event.webhookId).catch(() => {
      throw new NotFoundException(`Event ${eventId} not found`);
    });
    const targets = await this.targetHealth.liveSnapshots(event.webhookId);
    const skipped = await this.filteredOut(event, targets);
    const deliveries = await this.deliveries.createForEvent(
      event,
      targets.map((t) => ({ id: t.id, paused: !t.active, skipped: skipped.has(t.id) })),
      this.leaseHolder,
      this.config.leaseMs,
    );
    await this.handOff(deliveries.filter((delivery) => delivery.status === 'pending'));
    return deliveries.map(toDeliveryDto);
  }

  /** The targets whose filter the event does not match now (a filter that does not compile matches nothing). */
  private async filteredOut(event: EventSnapshot, targets: TargetSnapshot[]): Promise<Set<string>> {
    const filtered = targets.filter((target) => target.filter !== null);
    if (filtered.length === 0) return new Set();
    const body = event.body ?? (await this.events.body(event.id)) ?? Buffer.alloc(0);
    const request = routingRequest({ ...event, body });
    const skipped = new Set<string>();
    for (const target of filtered) {
      let matches: CompiledFilter;
      try {
        matches = compileFilter(target.filter);
      } catch {
        matches = () => false;
      }
      if (!matches(request)) skipped.add(target.id);
    }
    return skipped;
  }

  private async accessibleDelivery(user: AuthenticatedUser, deliveryId: string): Promise<Delivery> {
    const delivery = await this.deliveries.get(deliveryId);
    if (!delivery) throw new NotFoundException(`Delivery ${deliveryId} not found`);
    await this.webhooks.getAccessible(user, delivery.webhookId, { includeSystem: true }).catch(() => {
      throw new NotFoundException(`Delivery ${deliveryId} not found`);
    });
    return delivery;
  }

  /** Gives replayed deliveries (leased to this process) to the engine, like ingest does. */
  private async handOff(deliveries: Delivery[]): Promise<void> {
    if (deliveries.length === 0 || !this.leaseHolder) return;
    const [events, targets] = await Promise.all([
      this.events.snapshots([...new Set(deliveries.map((d) => d.eventId))]),
      this.targetHealth.snapshots([...new Set(deliveries.map((d) => d.targetId))]),
    ]);
    // A delivery whose event or target vanished meanwhile stays in the table: its lease runs out
    // and the sweep settles it.
    const tasks: DeliveryTask[] = deliveries.flatMap((delivery) => {
      const target = targets.get(delivery.targetId);
      const event = events.get(delivery.eventId);
      if (!target || !event) return [];
      return [
        {
          deliveryId: delivery.id,
          target,
          event,
          attemptCount: delivery.attemptCount,
          replayBase: delivery.replayBase,
        },
      ];
    });
    this.emitter.emit(DELIVERY_TASKS_EVENT, tasks);
  }
}
