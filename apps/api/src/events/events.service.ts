import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, Repository } from 'typeorm';
import { pgPool } from '../database/pg-pool';
import { EventSnapshot, INLINE_BODY_LIMIT } from '../delivery/delivery-task';
import { Event } from './event.entity';

interface EventRow {
  id: string;
  webhook_id: string;
  method: string;
  path: string;
  query: string;
  headers: Record<string, string>;
  content_type: string | null;
  source_ip: string | null;
  received_at: Date;
  body: Buffer | null;
}
import { countByWebhook } from '../common/count-by-webhook';
import type { CursorPosition } from '../common/pagination';

@Injectable()
export class EventsService {
  constructor(@InjectRepository(Event) private readonly events: Repository<Event>) {}

  async countByWebhook(webhookIds: string[]): Promise<Map<string, number>> {
    return countByWebhook(this.events, webhookIds);
  }

  /** Event snapshots by id, bodies inline up to INLINE_BODY_LIMIT; deleted events are absent. */
  async snapshots(ids: string[]): Promise<Map<string, EventSnapshot>> {
    if (ids.length === 0) return new Map();
    const rows: EventRow[] = await pgPool(this.events.manager.connection)
      .query(
        `SELECT id, webhook_id, method, path, query, headers, content_type, source_ip, received_at,
              CASE WHEN octet_length(body) <= $2 THEN body END AS body
       FROM events WHERE id = ANY($1::uuid[])`,
        [ids, INLINE_BODY_LIMIT],
      )
      .then((result) => result.rows);
    return new Map(
      rows.map((row) => [
        row.id,
        {
          id: row.id,
          webhookId: row.webhook_id,
          method: row.method,
          path: row.path,
          query: row.query,
          headers: row.headers,
          contentType: row.content_type,
          sourceIp: row.source_ip,
          receivedAt: row.received_at,
          body: row.body,
        },
      ]),
    );
  }

  /** A webhook's events (id, time, body), newest first, after `position` (keyset pagination); `limit` at most. */
  async listWithBodies(
    webhookId: string,
    limit: number,
    position: CursorPosition | undefined,
  ): Promise<{ id: string; receivedAt: Date; body: Buffer }[]> {
    const { rows } = await pgPool(this.events.manager.connection).query<{
      id: string;
      received_at: Date;
      body: Buffer;
    }>(
      `SELECT id, received_at, body FROM events
       WHERE webhook_id = $1 AND ($2::timestamptz IS NULL OR (received_at, id) < ($2, $3::uuid))
       ORDER BY received_at DESC, id DESC
       LIMIT $4`,
      [webhookId, position?.createdAt ?? null, position?.id ?? null, limit],
    );
    return rows.map((row) => ({ id: row.id, receivedAt: row.received_at, body: row.body }));
  }

  /** An event of the webhook `webhookId` with its body; null when there is none. */
  async find(webhookId: string, id: string): Promise<Event | null> {
    return this.events.findOneBy({ id, webhookId });
  }

  /** Stores a test event of a webhook (no entrypoint, no source address), in the caller's transaction. */
  async createTest(
    manager: EntityManager,
    event: Pick<Event, 'id' | 'webhookId' | 'method' | 'path' | 'query' | 'headers' | 'body' | 'contentType'>,
  ): Promise<Event> {
    return manager
      .getRepository(Event)
      .save(
        manager.getRepository(Event).create({ ...event, entrypointId: null, sourceIp: null, test: true }),
      );
  }

  /** The body of an event, or null when the event is gone. */
  async body(id: string): Promise<Buffer | null> {
    const result = await pgPool(this.events.manager.connection).query<{ body: Buffer }>(
      'SELECT body FROM events WHERE id = $1',
      [id],
    );
    return result.rows[0]?.body ?? null;
  }

  /** Hard-deletes up to `limit` events of the webhook; returns how many went. */
  async purgeBatch(webhookId: string, limit: number): Promise<number> {
    const result: [unknown[], number] = await this.events.query(
      `DELETE FROM events WHERE id IN (SELECT id FROM events WHERE webhook_id = $1 LIMIT $2)`,
      [webhookId, limit],
    );
    return result[1];
  }
}
