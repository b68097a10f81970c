import { Injectable, NotFoundException } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { In, Repository } from 'typeorm';
import type { AuthenticatedUser } from '../auth/auth.types';
import { cursorPosition, encodeCursor, Page, PageQueryDto } from '../common/pagination';
import type { OperationalEventType } from '../common/operational-events';
import { ValidationFailedException } from '../common/validation';
import { DeliveryService } from '../delivery/delivery.service';
import { EventsService } from '../events/events.service';
import { Target } from '../targets/target.entity';
import { TargetsService, toTargetDto } from '../targets/targets.service';
import { WebhooksService } from '../webhooks/webhooks.service';
import { AlertSubscription } from './alert-subscription.entity';
import {
  AlertEventDto,
  AlertSubscriptionDto,
  CreateAlertSubscriptionDto,
  CreatedAlertSubscriptionDto,
  UpdateAlertSubscriptionDto,
} from './alert.dto';

const SYSTEM = { system: true };

/**
 * Alert subscriptions (targets of the caller's system webhook, each with the operational event
 * types it wants) and the operational events recorded for the caller. Every user sees only their
 * own, admins included: alerts are about one's own webhooks.
 */
@Injectable()
export class AlertsService {
  constructor(
    @InjectRepository(AlertSubscription) private readonly subscriptions: Repository<AlertSubscription>,
    private readonly webhooks: WebhooksService,
    private readonly targets: TargetsService,
    private readonly events: EventsService,
    private readonly deliveries: DeliveryService,
  ) {}

  /** Creates the subscription (and the caller's system webhook on their first one). */
  async create(
    user: AuthenticatedUser,
    dto: CreateAlertSubscriptionDto,
  ): Promise<CreatedAlertSubscriptionDto> {
    if (dto.type !== 'http' && dto.http !== undefined) {
      throw new ValidationFailedException([
        { field: 'http', message: `http is not allowed for a ${dto.type} subscription` },
      ]);
    }
    const webhook = await this.webhooks.systemWebhookOf(user.id);
    const created = await this.targets.create(webhook.id, {
      name: dto.name,
      type: dto.type,
      active: dto.active,
      http: dto.http,
    });
    await this.subscriptions.insert({ targetId: created.id, eventTypes: dto.eventTypes });
    return { ...created, eventTypes: dto.eventTypes };
  }

  /** The caller's subscriptions, newest first. */
  async list(user: AuthenticatedUser, page: PageQueryDto): Promise<Page<AlertSubscriptionDto>> {
    const webhook = await this.webhooks.findSystemWebhook(user.id);
    if (!webhook) return { items: [], nextCursor: null };
    const result = await this.targets.list(webhook.id, page);
    return { items: await this.withEventTypes(result.items), nextCursor: result.nextCursor };
  }

  async get(user: AuthenticatedUser, id: string): Promise<AlertSubscriptionDto> {
    const [dto] = await this.withEventTypes([await this.ownTarget(user, id)]);
    return dto!;
  }

  async update(
    user: AuthenticatedUser,
    id: string,
    dto: UpdateAlertSubscriptionDto,
  ): Promise<AlertSubscriptionDto> {
    await this.ownTarget(user, id);
    const target = await this.targets.update(
      user,
      id,
      { name: dto.name, active: dto.active, http: dto.http },
      SYSTEM,
    );
    if (dto.eventTypes) await this.subscriptions.update({ targetId: id }, { eventTypes: dto.eventTypes });
    const [updated] = await this.withEventTypes([target]);
    return updated!;
  }

  /** Deletes the subscription; its notifications not yet sent are cancelled. */
  async delete(user: AuthenticatedUser, id: string): Promise<void> {
    await this.ownTarget(user, id);
    await this.targets.delete(user, id, SYSTEM);
    await this.subscriptions.delete({ targetId: id });
  }

  /** The ids of the subscriptions among `targetIds` that want events of `type`. */
  async subscribedTo(targetIds: string[], type: OperationalEventType): Promise<Set<string>> {
    if (targetIds.length === 0) return new Set();
    const rows = await this.subscriptions.findBy({ targetId: In(targetIds) });
    return new Set(rows.filter((row) => row.eventTypes.includes(type)).map((row) => row.targetId));
  }

  /** The operational events recorded for the caller, newest first, each with its deliveries. */
  async listEvents(user: AuthenticatedUser, page: PageQueryDto): Promise<Page<AlertEventDto>> {
    const webhook = await this.webhooks.findSystemWebhook(user.id);
    if (!webhook) return { items: [], nextCursor: null };
    const limit = page.limit ?? 50;
    const rows = await this.events.listWithBodies(webhook.id, limit + 1, cursorPosition(page.cursor));
    const shown = rows.slice(0, limit);
    const deliveries = await this.deliveries.listForEvents(shown.map((row) => row.id));
    const items = shown.map((row): AlertEventDto => {
      const payload = JSON.parse(row.body.toString('utf8')) as Omit<AlertEventDto, 'id' | 'deliveries'>;
      return {
        id: row.id,
        type: payload.type,
        occurredAt: payload.occurredAt,
        webhookId: payload.webhookId,
        data: payload.data,
        deliveries: deliveries
          .filter((delivery) => delivery.eventId === row.id)
          .map((delivery) => ({
            id: delivery.id,
            subscriptionId: delivery.targetId,
            status: delivery.status,
            attemptCount: delivery.attemptCount,
            lastStatusCode: delivery.lastStatusCode,
            lastError: delivery.lastError,
            nextAttemptAt: delivery.nextAttemptAt,
            updatedAt: delivery.updatedAt,
          })),
      };
    });
    const last = shown[shown.length - 1];
    return {
      items,
      nextCursor: rows.length > limit && last ? encodeCursor(last.receivedAt, last.id) : null,
    };
  }

  /** A subscription of the caller's own system webhook; 404 otherwise (admins too: alerts are per user). */
  private async ownTarget(user: AuthenticatedUser, id: string): Promise<Target> {
    const notFound = new NotFoundException(`Alert subscription ${id} not found`);
    const target = await this.targets.get(user, id, SYSTEM).catch(() => {
      throw notFound;
    });
    const webhook = await this.webhooks.findSystemWebhook(user.id);
    if (target.webhookId !== webhook?.id) throw notFound;
    return target;
  }

  private async withEventTypes(targets: Target[]): Promise<AlertSubscriptionDto[]> {
    const rows = await this.subscriptions.findBy({ targetId: In(targets.map((target) => target.id)) });
    const eventTypes = new Map(rows.map((row) => [row.targetId, row.eventTypes]));
    return targets.map((target) => ({ ...toTargetDto(target), eventTypes: eventTypes.get(target.id) ?? [] }));
  }
}
