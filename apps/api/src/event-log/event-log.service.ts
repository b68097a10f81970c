import {
  BadRequestException,
  ConflictException,
  Inject,
  Injectable,
  NotFoundException,
} from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { actorName, type AuthenticatedUser } from '../auth/auth.types';
import { encodeBody } from '../common/body-encoding';
import { UUID_PATTERN } from '../common/http';
import { CursorPosition, cursorPosition, encodeCursor, Page } from '../common/pagination';
import { APP_CONFIG, AppConfig } from '../config/config';
import { pgPool } from '../database/pg-pool';
import { DELIVERY_TASKS_EVENT, DeliveryTask, EventSnapshot, TargetSnapshot } from '../delivery/delivery-task';
import type { Delivery, DeliveryStatus } from '../delivery/delivery.entity';
import { DeliveryService } from '../delivery/delivery.service';
import { INSTANCE_ID } from '../delivery/instance-id';
import { EventsService } from '../events/events.service';
import { CompiledFilter, compileFilter } from '../routing/filter';
import { routingRequest } from '../routing/routing-request';
import { readSearchWatermark, SearchWatermark } from './event-search.indexer';
import { TargetHealthService } from '../targets/target-health.service';
import { circuitState, TargetsService } from '../targets/targets.service';
import { WebhooksService } from '../webhooks/webhooks.service';
import {
  AllEventsQueryDto,
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
  webhook_name: string;
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

/** The events `e` with their webhook `w`, which the columns below name. */
const EVENTS_FROM = `events e JOIN webhooks w ON w.id = e.webhook_id`;

const EVENT_COLUMNS = `e.id, e.webhook_id, w.name AS webhook_name, e.entrypoint_id, e.method, e.path, e.query, e.content_type,
  octet_length(e.body)::int AS size, e.source_ip, e.received_at, e.test,
  (SELECT json_object_agg(s.status, s.n) FROM
     (SELECT d.status, count(*)::int AS n FROM deliveries d WHERE d.event_id = e.id GROUP BY d.status) s) AS counts`;

function toSummary(row: EventRow): EventSummaryDto {
  return {
    id: row.id,
    webhookId: row.webhook_id,
    webhookName: row.webhook_name,
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

/**
 * A search longer than this is cancelled (400): a search bounded in length can still match little
 * of a huge table, and must not hold a connection for long.
 */
export const SEARCH_TIMEOUT_MS = 5000;

/** The statuses of deliveries the engine will attempt (an open circuit holds them back). */
const WAITING = new Set<DeliveryStatus>(['pending', 'retrying']);

/** PostgreSQL's `query_canceled` (statement_timeout). */
const QUERY_CANCELED = '57014';

/**
 * The text as `encode(bytes, 'escape')` writes its UTF-8 bytes, which is how the search text holds
 * the body (see the event-search migration): NUL and bytes from 0x80 as `\ooo`, `\` doubled.
 */
export function escapeEncode(text: string): string {
  let encoded = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    if (byte === 0 || byte >= 0x80) encoded += `\\${byte.toString(8).padStart(3, '0')}`;
    else if (byte === 0x5c) encoded += '\\\\';
    else encoded += String.fromCharCode(byte);
  }
  return encoded;
}

/** A LIKE pattern that finds `text` anywhere, every character literal. */
export function containsPattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (character) => `\\${character}`)}%`;
}

/** Builds a WHERE clause and its parameters, `$1`, `$2`… in order of use. */
class Conditions {
  readonly clauses: string[] = [];
  readonly params: unknown[] = [];

  /** The placeholder of a new parameter. */
  param(value: unknown): string {
    this.params.push(value);
    return `$${this.params.length}`;
  }

  add(clause: string): void {
    this.clauses.push(clause);
  }
}

/**
 * The ids of the first `limit` events (newest first) that the filters in `where` keep and that the
 * search `q` finds: the event id when it is a UUID, or text in a header value or the body — in
 * `event_search` for the events the indexer has reached (by its trigram index, or by its
 * (received_at, event_id) index for a text that many events hold: the planner picks), and by
 * their own search text for the few events past its watermark. The watermark is read before the
 * search, so the index holds at least every event up to it; an event in both is found once.
 */
function searchedIds(
  where: Conditions,
  q: string,
  watermark: SearchWatermark,
  query: EventListQueryDto,
  position: CursorPosition | undefined,
  limit: string,
): string {
  const filters = where.clauses.map((clause) => `${clause} AND `).join('');
  // Header values are in the search text as they are, the body escape-encoded: a text that the
  // encoding changes (not ASCII, or with a backslash) is looked for in both forms.
  const patterns = [...new Set([q, escapeEncode(q)])].map((form) => where.param(containsPattern(form)));
  const matches = (text: string) => `(${patterns.map((pattern) => `${text} ILIKE ${pattern}`).join(' OR ')})`;
  const range = [
    query.since ? ` AND s.received_at >= ${where.param(query.since)}::timestamptz` : '',
    query.until ? ` AND s.received_at < ${where.param(query.until)}::timestamptz` : '',
    position
      ? ` AND (s.received_at, s.event_id) < (${where.param(position.createdAt)}::timestamptz, ${where.param(position.id)}::uuid)`
      : '',
  ].join('');
  const branches = [
    `SELECT e.id FROM event_search s JOIN ${EVENTS_FROM} ON e.id = s.event_id
     WHERE ${filters}${matches('s.text')}${range}
     ORDER BY s.received_at DESC, s.event_id DESC LIMIT ${limit}`,
    `SELECT e.id FROM ${EVENTS_FROM}
     WHERE ${filters}(e.received_at, e.id) > (${where.param(watermark.indexed_until)}::timestamptz, ${where.param(watermark.indexed_until_id)}::uuid)
       AND ${matches('webhooker_event_search_text(e.headers, e.body)')}
     ORDER BY e.received_at DESC, e.id DESC LIMIT ${limit}`,
  ];
  if (UUID_PATTERN.test(q)) {
    branches.unshift(
      `SELECT e.id FROM ${EVENTS_FROM} WHERE ${filters}e.id = ${where.param(q.toLowerCase())}::uuid`,
    );
  }
  return branches.map((branch) => `(${branch})`).join(' UNION ');
}

/** Whether a target's circuit is open now (its deliveries wait, no attempt, until it reopens). */
function openUntil(health: { consecutiveFailures: number; circuitOpenUntil: Date | null } | undefined) {
  return health && circuitState(health) === 'open' ? health.circuitOpenUntil : null;
}

export function toDeliveryDto(delivery: Delivery, circuitOpenUntil: Date | null = null): DeliveryDto {
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
    replayedAt: delivery.replayedAt,
    replayedBy: delivery.replayedBy,
    circuitOpenUntil: WAITING.has(delivery.status) ? circuitOpenUntil : null,
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

  /** A webhook's events, newest first, searched and filtered. */
  async listEvents(
    user: AuthenticatedUser,
    webhookId: string,
    query: EventListQueryDto,
  ): Promise<Page<EventSummaryDto>> {
    const webhook = await this.webhooks.getAccessible(user, webhookId);
    const where = new Conditions();
    where.add(`e.webhook_id = ${where.param(webhook.id)}`);
    return this.findEvents(where, query);
  }

  /**
   * The events of every webhook the user may see (all for admins, their own for members; not the
   * alerts' system webhooks), newest first, searched and filtered.
   */
  async listAllEvents(user: AuthenticatedUser, query: AllEventsQueryDto): Promise<Page<EventSummaryDto>> {
    const where = new Conditions();
    where.add(`w.deleted_at IS NULL AND NOT w.system`);
    if (user.role !== 'admin') where.add(`w.owner_id = ${where.param(user.id)}`);
    if (query.webhookId) where.add(`e.webhook_id = ${where.param(query.webhookId)}`);
    return this.findEvents(where, query);
  }

  /**
   * One page of the events the scope in `where` allows and the query's search and filters keep,
   * newest first, within SEARCH_TIMEOUT_MS.
   */
  private async findEvents(where: Conditions, query: EventListQueryDto): Promise<Page<EventSummaryDto>> {
    const position = cursorPosition(query.cursor);
    const limit = query.limit ?? 50;
    if (query.entrypointId) where.add(`e.entrypoint_id = ${where.param(query.entrypointId)}`);
    if (query.status || query.targetId) {
      const delivery = ['d.event_id = e.id'];
      if (query.status) delivery.push(`d.status = ${where.param(query.status)}`);
      if (query.targetId) delivery.push(`d.target_id = ${where.param(query.targetId)}`);
      where.add(`EXISTS (SELECT 1 FROM deliveries d WHERE ${delivery.join(' AND ')})`);
    }
    if (query.since) where.add(`e.received_at >= ${where.param(query.since)}::timestamptz`);
    if (query.until) where.add(`e.received_at < ${where.param(query.until)}::timestamptz`);
    if (position) {
      where.add(
        `(e.received_at, e.id) < (${where.param(position.createdAt)}::timestamptz, ${where.param(position.id)}::uuid)`,
      );
    }
    const take = where.param(limit + 1);
    const sql =
      query.q === undefined
        ? `SELECT ${EVENT_COLUMNS} FROM ${EVENTS_FROM}
           WHERE ${where.clauses.join(' AND ')}
           ORDER BY e.received_at DESC, e.id DESC
           LIMIT ${take}`
        : `SELECT ${EVENT_COLUMNS}
           FROM (${searchedIds(where, query.q, await readSearchWatermark(pgPool(this.dataSource)), query, position, take)}) found
           JOIN ${EVENTS_FROM} ON e.id = found.id
           ORDER BY e.received_at DESC, e.id DESC
           LIMIT ${take}`;
    const rows = await this.withTimeout<EventRow>(sql, where.params);
    const items = rows.slice(0, limit).map(toSummary);
    const last = items[items.length - 1];
    return { items, nextCursor: rows.length > limit && last ? encodeCursor(last.receivedAt, last.id) : null };
  }

  /** Runs a read under SEARCH_TIMEOUT_MS; a query that runs longer is a 400 saying how to narrow it. */
  private async withTimeout<T extends object>(sql: string, params: unknown[]): Promise<T[]> {
    const client = await pgPool(this.dataSource).connect();
    try {
      await client.query('BEGIN READ ONLY');
      await client.query(`SET LOCAL statement_timeout = ${SEARCH_TIMEOUT_MS}`);
      const { rows } = await client.query<T>(sql, params);
      await client.query('COMMIT');
      return rows;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      if ((error as { code?: string }).code === QUERY_CANCELED) {
        throw new BadRequestException(
          `The search took longer than ${SEARCH_TIMEOUT_MS / 1000} s and was stopped: ` +
            'narrow it with a longer text, a time range or a webhook, entrypoint or target',
        );
      }
      throw error;
    } finally {
      client.release();
    }
  }

  /** An event with headers, body and its deliveries. */
  async getEvent(user: AuthenticatedUser, id: string): Promise<EventDetailDto> {
    const { rows } = await pgPool(this.dataSource).query<
      EventRow & { headers: Record<string, string>; body: Buffer }
    >(`SELECT ${EVENT_COLUMNS}, e.headers, e.body FROM ${EVENTS_FROM} WHERE e.id = $1`, [id]);
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
      deliveries: await this.withCircuits(deliveries),
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
    return { items: await this.withCircuits(page.items), nextCursor: page.nextCursor };
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
      actorName(user),
      paused ? null : this.leaseHolder,
      this.config.leaseMs,
      paused,
    );
    if (!delivery)
      throw new ConflictException(`Delivery ${deliveryId} is still in progress (${existing.status})`);
    if (!paused) await this.handOff([delivery]);
    return toDeliveryDto(delivery, openUntil(target));
  }

  /** Queues every failed delivery of a target again (a paused target's wait, `paused`, for its activation). */
  async replayFailed(user: AuthenticatedUser, targetId: string): Promise<number> {
    const target = await this.targets.get(user, targetId);
    return this.deliveries.replayFailed(target.id, !target.active, actorName(user));
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
      { replayedBy: actorName(user) },
    );
    await this.handOff(deliveries.filter((delivery) => delivery.status === 'pending'));
    const health = new Map(targets.map((target) => [target.id, target]));
    return deliveries.map((delivery) => toDeliveryDto(delivery, openUntil(health.get(delivery.targetId))));
  }

  /** The deliveries as DTOs, each with its target's circuit when it is open. */
  private async withCircuits(deliveries: Delivery[]): Promise<DeliveryDto[]> {
    const targets = await this.targetHealth.snapshots([...new Set(deliveries.map((d) => d.targetId))]);
    return deliveries.map((delivery) => toDeliveryDto(delivery, openUntil(targets.get(delivery.targetId))));
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
