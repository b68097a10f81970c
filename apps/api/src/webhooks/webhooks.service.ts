import { Inject, Injectable, NotFoundException } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { DataSource, EntityManager, Not, Repository } from 'typeorm';
import type { AuthenticatedUser } from '../auth/auth.types';
import { Page, PageQueryDto, paginate } from '../common/pagination';
import { ValidationFailedException } from '../common/validation';
import { APP_CONFIG, AppConfig } from '../config/config';
import { DeliveryService } from '../delivery/delivery.service';
import { EntrypointDto } from '../entrypoints/entrypoint.dto';
import { EntrypointsService } from '../entrypoints/entrypoints.service';
import { EventsService } from '../events/events.service';
import { TargetsService } from '../targets/targets.service';
import { canAccessWebhook } from './webhook-access';
import {
  CreateWebhookDto,
  RETENTION_DAYS,
  UpdateWebhookDto,
  WebhookDetailDto,
  WebhookDto,
} from './webhook.dto';
import { Webhook } from './webhook.entity';

@Injectable()
export class WebhooksService {
  constructor(
    @InjectRepository(Webhook) private readonly webhooks: Repository<Webhook>,
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly entrypoints: EntrypointsService,
    private readonly targets: TargetsService,
    private readonly events: EventsService,
    private readonly deliveries: DeliveryService,
  ) {}

  /** Creates the webhook and its first, active entrypoint, in one transaction. */
  async create(user: AuthenticatedUser, dto: CreateWebhookDto): Promise<WebhookDetailDto> {
    if (dto.key) await this.checkKeyFree(user.id, dto.key, null);
    const { webhook, entrypoint } = await this.dataSource.transaction(async (manager) => {
      const repository = manager.getRepository(Webhook);
      const webhook = await repository.save(
        repository.create({
          ownerId: user.id,
          name: dto.name,
          description: dto.description ?? '',
          retentionDays: dto.retentionDays ?? RETENTION_DAYS.default,
          eventDataPurgedAt: null,
          key: dto.key ?? null,
        }),
      );
      const entrypoint = await this.entrypoints.create(webhook.id, {}, manager);
      return { webhook, entrypoint };
    });
    return {
      ...WebhookDto.from(webhook, { entrypointCount: 1, targetCount: 0, eventCount: 0 }),
      entrypoints: [EntrypointDto.from(entrypoint, this.config.publicUrl)],
    };
  }

  /** The caller's webhooks (every webhook for admins), newest first, with counts; system webhooks are not listed. */
  async list(user: AuthenticatedUser, page: PageQueryDto): Promise<Page<WebhookDto>> {
    const query = this.webhooks.createQueryBuilder('webhook').where('NOT webhook.system');
    if (user.role !== 'admin') query.andWhere('webhook.ownerId = :ownerId', { ownerId: user.id });
    const result = await paginate(query, page);
    return { items: await this.withCounts(result.items), nextCursor: result.nextCursor };
  }

  /**
   * A webhook the user may access; 404 otherwise (also for other users' webhooks, and for system
   * webhooks unless `includeSystem`: only reading their event log is allowed).
   */
  async getAccessible(
    user: AuthenticatedUser,
    id: string,
    { includeSystem = false }: { includeSystem?: boolean } = {},
  ): Promise<Webhook> {
    const webhook = await this.webhooks.findOneBy({ id });
    if (!webhook || !canAccessWebhook(user, webhook) || (webhook.system && !includeSystem)) {
      throw new NotFoundException(`Webhook ${id} not found`);
    }
    return webhook;
  }

  /** The user's system webhook (their alerts), or null before their first alert subscription. */
  async findSystemWebhook(ownerId: string): Promise<Webhook | null> {
    return this.webhooks.findOneBy({ ownerId, system: true });
  }

  /** The user's system webhook, created (without an entrypoint) on first use; concurrent calls get the same one. */
  async systemWebhookOf(ownerId: string): Promise<Webhook> {
    const existing = await this.findSystemWebhook(ownerId);
    if (existing) return existing;
    await this.webhooks
      .createQueryBuilder()
      .insert()
      .values({
        ownerId,
        system: true,
        name: 'Alerts',
        description: 'Operational events of your webhooks, delivered to your alert subscriptions',
        retentionDays: RETENTION_DAYS.default,
        eventDataPurgedAt: null,
      })
      .orIgnore()
      .execute();
    return (await this.findSystemWebhook(ownerId))!;
  }

  /** Who is told about an operational event of a webhook, and whether the webhook is a system one; null when it is gone. */
  async alertRecipient(webhookId: string): Promise<{ ownerId: string; system: boolean } | null> {
    const webhook = await this.webhooks.findOne({
      where: { id: webhookId },
      select: { ownerId: true, system: true },
    });
    return webhook && { ownerId: webhook.ownerId, system: webhook.system };
  }

  async getDetail(user: AuthenticatedUser, id: string): Promise<WebhookDetailDto> {
    const webhook = await this.getAccessible(user, id);
    const [dto] = await this.withCounts([webhook]);
    const entrypoints = await this.entrypoints.listAll(webhook.id);
    return { ...dto!, entrypoints: await this.entrypoints.describe(entrypoints) };
  }

  async update(user: AuthenticatedUser, id: string, dto: UpdateWebhookDto): Promise<WebhookDetailDto> {
    const webhook = await this.getAccessible(user, id);
    if (dto.key) await this.checkKeyFree(webhook.ownerId, dto.key, webhook.id);
    if (dto.key !== undefined) webhook.key = dto.key;
    if (dto.name !== undefined) webhook.name = dto.name;
    if (dto.description !== undefined) webhook.description = dto.description;
    if (dto.retentionDays !== undefined) webhook.retentionDays = dto.retentionDays;
    await this.webhooks.save(webhook);
    return this.getDetail(user, id);
  }

  /**
   * Soft-deletes the webhook with its entrypoints (they answer 410 at once) and targets; its
   * unfinished deliveries become `cancelled`. The event data is hard-deleted later, in batches,
   * by WebhookPurgeJob.
   */
  async delete(user: AuthenticatedUser, id: string): Promise<void> {
    const webhook = await this.getAccessible(user, id);
    await this.dataSource.transaction((manager) => this.deleteWithin(manager, webhook.id));
  }

  /** The owner's webhooks (not the system one), oldest first: what configuration as code manages. */
  async listOwned(ownerId: string, manager?: EntityManager): Promise<Webhook[]> {
    const repository = manager?.getRepository(Webhook) ?? this.webhooks;
    return repository.find({ where: { ownerId, system: false }, order: { createdAt: 'ASC', id: 'ASC' } });
  }

  /** Creates a webhook without entrypoints in the caller's transaction (configuration as code adds its own). */
  async insertWithin(
    manager: EntityManager,
    ownerId: string,
    fields: Pick<Webhook, 'key' | 'name' | 'description' | 'retentionDays'>,
  ): Promise<Webhook> {
    const repository = manager.getRepository(Webhook);
    return repository.save(repository.create({ ...fields, ownerId, eventDataPurgedAt: null }));
  }

  /** Changes a webhook's fields in the caller's transaction. */
  async updateWithin(
    manager: EntityManager,
    id: string,
    fields: Partial<Pick<Webhook, 'key' | 'name' | 'description' | 'retentionDays'>>,
  ): Promise<void> {
    await manager.getRepository(Webhook).update({ id }, fields);
  }

  /** Soft-deletes a webhook with its entrypoints and targets, and cancels its unfinished deliveries, in the caller's transaction. */
  async deleteWithin(manager: EntityManager, id: string): Promise<void> {
    await manager.getRepository(Webhook).softDelete({ id });
    await this.entrypoints.softDeleteForWebhook(id, manager);
    await this.targets.softDeleteForWebhook(id, manager);
    await this.deliveries.cancelUnfinished({ webhookId: id }, manager);
  }

  /** 400 when another of the owner's webhooks has the key. */
  private async checkKeyFree(ownerId: string, key: string, exceptId: string | null): Promise<void> {
    const taken = await this.webhooks.existsBy({ ownerId, key, ...(exceptId ? { id: Not(exceptId) } : {}) });
    if (taken) {
      throw new ValidationFailedException([
        { field: 'key', message: `key "${key}" is already used by another webhook` },
      ]);
    }
  }

  private async withCounts(webhooks: Webhook[]): Promise<WebhookDto[]> {
    const ids = webhooks.map((webhook) => webhook.id);
    const [entrypoints, targets, events] = await Promise.all([
      this.entrypoints.countByWebhook(ids),
      this.targets.countByWebhook(ids),
      this.events.countByWebhook(ids),
    ]);
    return webhooks.map((webhook) =>
      WebhookDto.from(webhook, {
        entrypointCount: entrypoints.get(webhook.id) ?? 0,
        targetCount: targets.get(webhook.id) ?? 0,
        eventCount: events.get(webhook.id) ?? 0,
      }),
    );
  }
}
