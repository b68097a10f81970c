import { Injectable, NotFoundException } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, Repository } from 'typeorm';
import type { AuthenticatedUser } from '../auth/auth.types';
import { Page, PageQueryDto, paginate } from '../common/pagination';
import { canAccessWebhook } from '../webhooks/webhook-access';
import { ValidationFailedException } from '../common/validation';
import { CreateEntrypointDto, DedupSettingsDto, dedupSetting, UpdateEntrypointDto } from './entrypoint.dto';
import type { DedupSetting } from './dedup-settings';
import { Entrypoint } from './entrypoint.entity';
import { countByWebhook } from '../common/count-by-webhook';

/** The setting to store (null: off); 400 unless exactly one of header and jsonPath is given. */
function storedDedup(settings: DedupSettingsDto | null | undefined): DedupSetting | null {
  if (!settings) return null;
  if ((settings.header === undefined) === (settings.jsonPath === undefined)) {
    throw new ValidationFailedException([
      { field: 'dedup', message: 'dedup must have exactly one of header and jsonPath' },
    ]);
  }
  return dedupSetting(settings);
}

@Injectable()
export class EntrypointsService {
  constructor(@InjectRepository(Entrypoint) private readonly entrypoints: Repository<Entrypoint>) {}

  /** Creates an entrypoint of a webhook the caller may access (checked by the caller). */
  async create(webhookId: string, dto: CreateEntrypointDto, manager?: EntityManager): Promise<Entrypoint> {
    const repository = manager?.getRepository(Entrypoint) ?? this.entrypoints;
    return repository.save(
      repository.create({
        webhookId,
        description: dto.description ?? '',
        active: dto.active ?? true,
        dedup: storedDedup(dto.dedup),
      }),
    );
  }

  async list(webhookId: string, page: PageQueryDto): Promise<Page<Entrypoint>> {
    const query = this.entrypoints
      .createQueryBuilder('entrypoint')
      .where('entrypoint.webhookId = :webhookId', {
        webhookId,
      });
    return paginate(query, page);
  }

  async listAll(webhookId: string): Promise<Entrypoint[]> {
    return this.entrypoints.find({ where: { webhookId }, order: { createdAt: 'ASC' } });
  }

  /** An entrypoint of a webhook the user may access; 404 otherwise. */
  async get(user: AuthenticatedUser, id: string): Promise<Entrypoint> {
    const entrypoint = await this.entrypoints.findOne({ where: { id }, relations: { webhook: true } });
    if (!entrypoint || !entrypoint.webhook || !canAccessWebhook(user, entrypoint.webhook)) {
      throw new NotFoundException(`Entrypoint ${id} not found`);
    }
    return entrypoint;
  }

  async update(user: AuthenticatedUser, id: string, dto: UpdateEntrypointDto): Promise<Entrypoint> {
    const entrypoint = await this.get(user, id);
    if (dto.description !== undefined) entrypoint.description = dto.description;
    if (dto.active !== undefined) entrypoint.active = dto.active;
    if (dto.dedup !== undefined) entrypoint.dedup = storedDedup(dto.dedup);
    delete entrypoint.webhook;
    return this.entrypoints.save(entrypoint);
  }

  /** Soft-deletes the entrypoint: it answers 410 Gone from now on. */
  async delete(user: AuthenticatedUser, id: string): Promise<void> {
    const entrypoint = await this.get(user, id);
    await this.entrypoints.softDelete({ id: entrypoint.id });
  }

  async softDeleteForWebhook(webhookId: string, manager: EntityManager): Promise<void> {
    await manager.getRepository(Entrypoint).softDelete({ webhookId });
  }

  async countByWebhook(webhookIds: string[]): Promise<Map<string, number>> {
    return countByWebhook(this.entrypoints, webhookIds);
  }

  /** An entrypoint with its webhook, deleted ones included (they answer 410, unknown ids 404). */
  async findForIngest(id: string): Promise<Entrypoint | null> {
    return this.entrypoints.findOne({ where: { id }, relations: { webhook: true }, withDeleted: true });
  }

  /** The id of every entrypoint, deleted ones included: what ingest knows without a query per id. */
  async allIds(): Promise<string[]> {
    const rows = await this.entrypoints.find({ select: { id: true }, withDeleted: true });
    return rows.map((row) => row.id);
  }
}
