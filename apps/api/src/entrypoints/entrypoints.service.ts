import { Inject, Injectable, NotFoundException } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { EntityManager, Not, Repository } from 'typeorm';
import type { AuthenticatedUser } from '../auth/auth.types';
import { Page, PageQueryDto, paginate } from '../common/pagination';
import { ValidationFailedException } from '../common/validation';
import { APP_CONFIG, AppConfig } from '../config/config';
import { canAccessWebhook } from '../webhooks/webhook-access';
import {
  CreateEntrypointDto,
  DedupSettingsDto,
  dedupSetting,
  EntrypointDto,
  UpdateEntrypointDto,
} from './entrypoint.dto';
import type { DedupSetting } from './dedup-settings';
import { Entrypoint } from './entrypoint.entity';
import { countByWebhook } from '../common/count-by-webhook';
import type { RecordedRejection } from './rejection-recorder';
import {
  DEFAULT_TOLERANCE_SECONDS,
  PRESETS,
  unknownPlaceholders,
  VERIFICATION_PRESETS,
  VerificationConfig,
  VerificationFields,
  VerificationSecret,
} from './verification';
import {
  EntrypointRejectionsDto,
  EntrypointVerificationDto,
  VerificationPresetDto,
  VerificationSettingsDto,
} from './verification.dto';

/** Live secrets of a verification at most: the current one and the one it replaces during the grace period. */
export const MAX_VERIFICATION_SECRETS = 2;
export const DEFAULT_VERIFICATION_GRACE_PERIOD_HOURS = 24;
/** The header a `token` entrypoint reads its token from unless told otherwise. */
export const DEFAULT_TOKEN_HEADER = 'x-webhook-token';
/** Settings of an `hmac` verification without a preset, before the ones given. */
const HMAC_FIELDS: VerificationFields = { ...PRESETS.github.fields, header: null, prefix: null };
/** Settings only an `hmac` verification uses. */
const HMAC_ONLY = [
  'algorithm',
  'encoding',
  'prefix',
  'signatureFormat',
  'signedContent',
  'timestampHeader',
  'idHeader',
  'toleranceSeconds',
] as const;
const STANDARD_WEBHOOKS_SECRET = /^(whsec_)?[A-Za-z0-9+/]+={0,2}$/;

function invalid(field: string, message: string): ValidationFailedException {
  return new ValidationFailedException([
    { field: `verification.${field}`, message: `verification.${field} ${message}` },
  ]);
}

function newSecret(secret: string, now: Date): VerificationSecret {
  return { id: randomUUID(), secret, createdAt: now.toISOString(), expiresAt: null };
}

function isLive(secret: VerificationSecret, now: number): boolean {
  return secret.expiresAt === null || Date.parse(secret.expiresAt) > now;
}

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
  constructor(
    @InjectRepository(Entrypoint) private readonly entrypoints: Repository<Entrypoint>,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Creates an entrypoint of a webhook the caller may access (checked by the caller). */
  async create(webhookId: string, dto: CreateEntrypointDto, manager?: EntityManager): Promise<Entrypoint> {
    const repository = manager?.getRepository(Entrypoint) ?? this.entrypoints;
    if (dto.key) await this.checkKeyFree(repository, webhookId, dto.key, null);
    return repository.save(
      repository.create({
        key: dto.key ?? null,
        webhookId,
        description: dto.description ?? '',
        active: dto.active ?? true,
        verification: dto.verification ? this.verification(dto.verification, null) : null,
        dedup: storedDedup(dto.dedup),
      }),
    );
  }

  /** The entrypoints as shown, with their rejected-request counts. */
  async describe(entrypoints: Entrypoint[]): Promise<EntrypointDto[]> {
    const counts = new Map<string, number>();
    if (entrypoints.length > 0) {
      const rows: { entrypoint_id: string; rejected_count: string }[] = await this.entrypoints.query(
        `SELECT entrypoint_id, rejected_count FROM entrypoint_rejections WHERE entrypoint_id = ANY($1::uuid[])`,
        [entrypoints.map((entrypoint) => entrypoint.id)],
      );
      for (const row of rows) counts.set(row.entrypoint_id, Number(row.rejected_count));
    }
    return entrypoints.map((entrypoint) =>
      EntrypointDto.from(entrypoint, this.config.publicUrl, counts.get(entrypoint.id) ?? 0),
    );
  }

  /** The providers' verification schemes. */
  presets(): VerificationPresetDto[] {
    return VERIFICATION_PRESETS.map((id) => ({
      id,
      name: PRESETS[id].name,
      secretDescription: PRESETS[id].secretDescription,
      ...PRESETS[id].fields,
    }));
  }

  /**
   * Adds a secret to an entrypoint's verification: it verifies from now on, and the current one keeps
   * verifying for the grace period (older ones stop at once).
   */
  async addVerificationSecret(
    user: AuthenticatedUser,
    id: string,
    secret: string,
    gracePeriodHours = DEFAULT_VERIFICATION_GRACE_PERIOD_HOURS,
  ): Promise<EntrypointVerificationDto> {
    const entrypoint = await this.get(user, id);
    const config = entrypoint.verification;
    if (!config) throw invalid('method', 'is none: there is no secret to rotate');
    this.checkSecret(secret, config);
    const now = new Date();
    const graceEnds = new Date(now.getTime() + gracePeriodHours * 3_600_000).toISOString();
    const kept = config.secrets
      .filter((existing) => isLive(existing, now.getTime()))
      .map((existing) =>
        existing.expiresAt === null || existing.expiresAt > graceEnds
          ? { ...existing, expiresAt: graceEnds }
          : existing,
      );
    const verification = {
      ...config,
      secrets: [newSecret(secret, now), ...kept].slice(0, MAX_VERIFICATION_SECRETS),
    };
    await this.entrypoints.update({ id: entrypoint.id }, { verification });
    return EntrypointVerificationDto.from(verification);
  }

  /** How many requests verification refused on the entrypoint, and the last ones. */
  async rejections(user: AuthenticatedUser, id: string): Promise<EntrypointRejectionsDto> {
    const entrypoint = await this.get(user, id);
    const rows: { rejected_count: string; recent: RecordedRejection[] }[] = await this.entrypoints.query(
      `SELECT rejected_count, recent FROM entrypoint_rejections WHERE entrypoint_id = $1`,
      [entrypoint.id],
    );
    return { rejectedCount: Number(rows[0]?.rejected_count ?? 0), recent: rows[0]?.recent ?? [] };
  }

  async list(webhookId: string, page: PageQueryDto): Promise<Page<Entrypoint>> {
    const query = this.entrypoints
      .createQueryBuilder('entrypoint')
      .where('entrypoint.webhookId = :webhookId', {
        webhookId,
      });
    return paginate(query, page);
  }

  /** Every entrypoint of a webhook, oldest first, in the caller's transaction if given. */
  async listAll(webhookId: string, manager?: EntityManager): Promise<Entrypoint[]> {
    const repository = manager?.getRepository(Entrypoint) ?? this.entrypoints;
    return repository.find({ where: { webhookId }, order: { createdAt: 'ASC', id: 'ASC' } });
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
    if (dto.key) await this.checkKeyFree(this.entrypoints, entrypoint.webhookId, dto.key, entrypoint.id);
    if (dto.key !== undefined) entrypoint.key = dto.key;
    if (dto.description !== undefined) entrypoint.description = dto.description;
    if (dto.active !== undefined) entrypoint.active = dto.active;
    if (dto.verification !== undefined) {
      entrypoint.verification = this.verification(dto.verification, entrypoint.verification);
    }
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

  /** Changes an entrypoint's key, description or active flag in the caller's transaction. */
  async updateWithin(
    manager: EntityManager,
    id: string,
    fields: Partial<Pick<Entrypoint, 'key' | 'description' | 'active'>>,
  ): Promise<void> {
    await manager.getRepository(Entrypoint).update({ id }, fields);
  }

  /** Soft-deletes an entrypoint in the caller's transaction. */
  async deleteWithin(manager: EntityManager, id: string): Promise<void> {
    await manager.getRepository(Entrypoint).softDelete({ id });
  }

  /** 400 when another entrypoint of the webhook has the key. */
  private async checkKeyFree(
    repository: Repository<Entrypoint>,
    webhookId: string,
    key: string,
    exceptId: string | null,
  ): Promise<void> {
    const taken = await repository.existsBy({ webhookId, key, ...(exceptId ? { id: Not(exceptId) } : {}) });
    if (taken) {
      throw new ValidationFailedException([
        { field: 'key', message: `key "${key}" is already used by another entrypoint of this webhook` },
      ]);
    }
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

  /**
   * The verification the settings describe (null: none): the preset's or the method's defaults,
   * then the fields given; without a new secret the live ones of `current` are kept.
   */
  private verification(
    dto: VerificationSettingsDto,
    current: VerificationConfig | null,
  ): VerificationConfig | null {
    const preset = dto.preset ? PRESETS[dto.preset] : undefined;
    const method = dto.method ?? preset?.fields.method;
    if (!method) throw invalid('method', 'is required unless a preset is given');
    if (preset && method !== preset.fields.method) {
      throw invalid('method', `must be ${preset.fields.method} with the ${preset.name} preset`);
    }
    if (method === 'none') return null;
    if (method !== 'hmac') {
      const extra = HMAC_ONLY.find((field) => dto[field] !== undefined);
      if (extra) throw invalid(extra, `is only used by the hmac method`);
    }
    if (dto.username !== undefined && method !== 'basic')
      throw invalid('username', 'is only used by the basic method');
    if (dto.header !== undefined && method === 'basic')
      throw invalid('header', 'is not used by the basic method');
    const base: VerificationFields =
      preset?.fields ??
      (method === 'hmac'
        ? HMAC_FIELDS
        : { ...PRESETS.gitlab.fields, header: method === 'token' ? DEFAULT_TOKEN_HEADER : null, method });
    const fields: VerificationFields = {
      ...base,
      ...Object.fromEntries(
        HMAC_ONLY.flatMap((field) => (dto[field] === undefined ? [] : [[field, dto[field]]])),
      ),
      header: dto.header?.toLowerCase() ?? base.header,
    };
    if (dto.timestampHeader) fields.timestampHeader = dto.timestampHeader.toLowerCase();
    if (dto.idHeader) fields.idHeader = dto.idHeader.toLowerCase();
    const username = method === 'basic' ? (dto.username ?? current?.username ?? null) : null;
    if (method === 'basic' && username === null) throw invalid('username', 'is required by the basic method');
    if (method === 'hmac') this.checkHmac(fields);
    const config: VerificationConfig = { ...fields, preset: dto.preset ?? null, username, secrets: [] };
    const now = new Date();
    if (dto.secret !== undefined) {
      this.checkSecret(dto.secret, config);
      config.secrets = [newSecret(dto.secret, now)];
    } else {
      config.secrets = (current?.secrets ?? []).filter((secret) => isLive(secret, now.getTime()));
      if (config.secrets.length === 0) throw invalid('secret', 'is required');
      for (const secret of config.secrets) this.checkSecret(secret.secret, config);
    }
    return config;
  }

  /** An hmac verification names its header, and what it signs can be built from the request. */
  private checkHmac(fields: VerificationFields): void {
    if (!fields.header) throw invalid('header', 'is required by the hmac method');
    const template = fields.signedContent ?? '';
    if (!template.includes('{body}')) throw invalid('signedContent', 'must contain {body}');
    const unknown = unknownPlaceholders(template);
    if (unknown.length > 0) {
      throw invalid('signedContent', `may only use {body}, {timestamp} and {id}, not ${unknown.join(', ')}`);
    }
    const timestamped = fields.timestampHeader !== null || fields.signatureFormat === 'stripe';
    if (template.includes('{timestamp}') && !timestamped) {
      throw invalid('timestampHeader', 'is required when signedContent uses {timestamp}');
    }
    if (template.includes('{id}') && !fields.idHeader) {
      throw invalid('idHeader', 'is required when signedContent uses {id}');
    }
    fields.toleranceSeconds = timestamped ? (fields.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS) : null;
  }

  /** Standard Webhooks keys are `whsec_` + base64. */
  private checkSecret(secret: string, config: VerificationFields): void {
    if (config.signatureFormat === 'standard-webhooks' && !STANDARD_WEBHOOKS_SECRET.test(secret)) {
      throw invalid('secret', 'must be "whsec_" followed by base64 for this signature format');
    }
  }
}
