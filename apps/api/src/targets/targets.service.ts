import { BadRequestException, Inject, Injectable, NotFoundException } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { DataSource, EntityManager, Not, Repository } from 'typeorm';
import type { AuthenticatedUser } from '../auth/auth.types';
import { Page, PageQueryDto, paginate } from '../common/pagination';
import { ValidationFailedException } from '../common/validation';
import { APP_CONFIG, AppConfig } from '../config/config';
import { DeliveryService } from '../delivery/delivery.service';
import { RETRY_POLICY } from '../delivery/retry-policy';
import { canAccessWebhook } from '../webhooks/webhook-access';
import { DEFAULT_GRACE_PERIOD_HOURS, isLive, newSigningSecret, rotate } from './signing-secrets';
import { lowerCaseHeaderNames } from './header-map.validator';
import { SsrfGuard } from './ssrf-guard';
import {
  CircuitState,
  CreatedTargetDto,
  CreateTargetDto,
  HTTP_TARGET_DEFAULTS,
  HttpTargetSettingsDto,
  SigningSecretDto,
  TargetDto,
  UpdateTargetDto,
} from './target.dto';
import { HttpTargetConfig, SigningSecret, Target, TargetType, withCurrentFields } from './target.entity';
import { TransformRunner } from '../routing/transform-runner';
import { countByWebhook } from '../common/count-by-webhook';

export function toSigningSecretDto(secret: SigningSecret): SigningSecretDto {
  return {
    id: secret.id,
    prefix: secret.secret.slice(0, 10),
    createdAt: secret.createdAt,
    expiresAt: secret.expiresAt,
  };
}

/** The circuit of a target by its row: closed below the failure threshold, else open until its reopen time. */
export function circuitState(target: Pick<Target, 'consecutiveFailures' | 'circuitOpenUntil'>): CircuitState {
  if (target.consecutiveFailures < RETRY_POLICY.circuitFailureThreshold) return 'closed';
  return target.circuitOpenUntil && target.circuitOpenUntil.getTime() > Date.now() ? 'open' : 'half-open';
}

export function toTargetDto(target: Target, pausedDeliveries = 0): TargetDto {
  return {
    id: target.id,
    webhookId: target.webhookId,
    name: target.name,
    type: target.type,
    active: target.active,
    http: withCurrentFields(target.http),
    filter: target.filter,
    transform: target.transform,
    signingSecrets: target.signingSecrets.filter((secret) => isLive(secret)).map(toSigningSecretDto),
    circuit: {
      state: circuitState(target),
      consecutiveFailures: target.consecutiveFailures,
      openUntil: target.circuitOpenUntil,
      failingSince: target.failingSince,
    },
    disabledReason: target.disabledReason,
    disabledAt: target.disabledAt,
    pausedDeliveries,
    createdAt: target.createdAt,
    updatedAt: target.updatedAt,
    key: target.key,
  };
}

/** Which targets a lookup may find: those of ordinary webhooks (default) or of system webhooks. */
export interface TargetScope {
  system?: boolean;
}

@Injectable()
export class TargetsService {
  constructor(
    @InjectRepository(Target) private readonly targets: Repository<Target>,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly deliveries: DeliveryService,
    private readonly ssrfGuard: SsrfGuard,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly transforms: TransformRunner,
  ) {}

  /** Creates a target of a webhook the caller may access (checked by the caller), in the caller's transaction if given. */
  async create(webhookId: string, dto: CreateTargetDto, manager?: EntityManager): Promise<CreatedTargetDto> {
    const repository = manager?.getRepository(Target) ?? this.targets;
    if (dto.key) await this.checkKeyFree(repository, webhookId, dto.key, null);
    if (dto.type !== 'http' && dto.http !== undefined) {
      throw new ValidationFailedException([
        { field: 'http', message: `http is not allowed for a ${dto.type} target` },
      ]);
    }
    const http = dto.type === 'http' ? await this.httpConfig(dto.http!) : null;
    const transform = await this.checkTransform(dto.type, dto.transform);
    const signingSecrets = http ? [newSigningSecret()] : [];
    const target = await repository.save(
      repository.create({
        key: dto.key ?? null,
        webhookId,
        name: dto.name,
        type: dto.type,
        active: dto.active ?? true,
        http,
        filter: dto.filter ?? null,
        transform: transform ?? null,
        signingSecrets,
      }),
    );
    return { ...toTargetDto(target), signingSecret: signingSecrets[0]?.secret };
  }

  async list(webhookId: string, page: PageQueryDto): Promise<Page<Target>> {
    const query = this.targets
      .createQueryBuilder('target')
      .where('target.webhookId = :webhookId', { webhookId });
    return paginate(query, page);
  }

  /**
   * A target of a webhook the user may access; 404 otherwise. Targets of system webhooks (alert
   * subscriptions) are found only with `system`, and then only they.
   */
  async get(user: AuthenticatedUser, id: string, { system = false }: TargetScope = {}): Promise<Target> {
    const target = await this.targets.findOne({ where: { id }, relations: { webhook: true } });
    if (
      !target ||
      !target.webhook ||
      !canAccessWebhook(user, target.webhook) ||
      target.webhook.system !== system
    ) {
      throw new NotFoundException(`Target ${id} not found`);
    }
    delete target.webhook;
    return target;
  }

  async update(
    user: AuthenticatedUser,
    id: string,
    dto: UpdateTargetDto,
    scope: TargetScope = {},
  ): Promise<Target> {
    const target = await this.get(user, id, scope);
    return this.dataSource.transaction((manager) => this.updateWithin(manager, target, dto));
  }

  /** Applies the changes to a target (already found and authorised) in the caller's transaction. */
  async updateWithin(manager: EntityManager, target: Target, dto: UpdateTargetDto): Promise<Target> {
    const repository = manager.getRepository(Target);
    if (dto.key) await this.checkKeyFree(repository, target.webhookId, dto.key, target.id);
    if (dto.key !== undefined) target.key = dto.key;
    if (dto.http !== undefined) {
      if (target.type !== 'http') {
        throw new ValidationFailedException([
          { field: 'http', message: `http is not allowed for a ${target.type} target` },
        ]);
      }
      // The DTO instance has every settings field as an own property, undefined when left out:
      // only the fields given may replace the stored ones.
      const changes = Object.entries(dto.http).filter(([, value]) => value !== undefined);
      target.http = await this.httpConfig({ ...target.http, ...Object.fromEntries(changes) });
    }
    if (dto.name !== undefined) target.name = dto.name;
    if (dto.filter !== undefined) target.filter = dto.filter;
    if (dto.transform !== undefined)
      target.transform = (await this.checkTransform(target.type, dto.transform)) ?? null;
    const resumed = dto.active === true && !target.active;
    const paused = dto.active === false && target.active;
    if (resumed) {
      // Switched on again: a fresh start for its circuit breaker and auto-disable clock.
      Object.assign(target, {
        consecutiveFailures: 0,
        circuitOpenUntil: null,
        failingSince: null,
        disabledReason: null,
        disabledAt: null,
      });
    }
    if (dto.active !== undefined) target.active = dto.active;
    const saved = await repository.save(target);
    if (paused) await this.deliveries.pauseWaiting(target.id, manager);
    if (resumed) await this.deliveries.resumePaused(target.id, manager);
    return saved;
  }

  /** Every target of a webhook, oldest first. */
  async listAll(webhookId: string, manager?: EntityManager): Promise<Target[]> {
    const repository = manager?.getRepository(Target) ?? this.targets;
    return repository.find({ where: { webhookId }, order: { createdAt: 'ASC', id: 'ASC' } });
  }

  /** The API form of targets, with how many deliveries each has waiting, paused. */
  async describe(targets: Target[]): Promise<TargetDto[]> {
    const paused = await this.deliveries.countPaused(targets.map((target) => target.id));
    return targets.map((target) => toTargetDto(target, paused.get(target.id) ?? 0));
  }

  async describeOne(target: Target): Promise<TargetDto> {
    return (await this.describe([target]))[0]!;
  }

  async setActive(user: AuthenticatedUser, id: string, active: boolean): Promise<Target> {
    return this.update(user, id, { active });
  }

  /** Soft-deletes the target; its deliveries not yet done become `cancelled`. */
  async delete(user: AuthenticatedUser, id: string, scope: TargetScope = {}): Promise<void> {
    const target = await this.get(user, id, scope);
    await this.dataSource.transaction((manager) => this.deleteWithin(manager, target.id));
  }

  /** Soft-deletes a target and cancels its unfinished deliveries, in the caller's transaction. */
  async deleteWithin(manager: EntityManager, id: string): Promise<void> {
    await manager.getRepository(Target).softDelete({ id });
    await this.deliveries.cancelUnfinished({ targetId: id }, manager);
  }

  /**
   * A transform as it is stored (blank: none); 400 with the sandbox's message (and line) when it
   * does not compile, or when the target is not an `http` target (only requests are transformed).
   */
  private async checkTransform(
    type: TargetType,
    transform: string | null | undefined,
  ): Promise<string | null | undefined> {
    if (transform === undefined || transform === null) return transform;
    if (transform.trim() === '') return null;
    if (type !== 'http') {
      throw new ValidationFailedException([
        {
          field: 'transform',
          message: `transform is not allowed for a ${type} target (only http requests are transformed)`,
        },
      ]);
    }
    const error = await this.transforms.check(transform);
    if (error) throw new ValidationFailedException([{ field: 'transform', message: `transform: ${error}` }]);
    return transform;
  }

  /** 400 when another target of the webhook has the key. */
  private async checkKeyFree(
    repository: Repository<Target>,
    webhookId: string,
    key: string,
    exceptId: string | null,
  ): Promise<void> {
    const taken = await repository.existsBy({ webhookId, key, ...(exceptId ? { id: Not(exceptId) } : {}) });
    if (taken) {
      throw new ValidationFailedException([
        { field: 'key', message: `key "${key}" is already used by another target of this webhook` },
      ]);
    }
  }

  async softDeleteForWebhook(webhookId: string, manager: EntityManager): Promise<void> {
    await manager.getRepository(Target).softDelete({ webhookId });
  }

  async countByWebhook(webhookIds: string[]): Promise<Map<string, number>> {
    return countByWebhook(this.targets, webhookIds);
  }

  /** Generates a new signing secret; the ones in use keep signing for the grace period. */
  async rotateSigningSecret(
    user: AuthenticatedUser,
    id: string,
    gracePeriodHours = DEFAULT_GRACE_PERIOD_HOURS,
  ) {
    const target = await this.get(user, id);
    if (target.type !== 'http')
      throw new BadRequestException(`A ${target.type} target does not sign requests`);
    const { secrets, created } = rotate(target.signingSecrets, gracePeriodHours);
    target.signingSecrets = secrets;
    await this.targets.save(target);
    return { ...toSigningSecretDto(created), secret: created.secret };
  }

  async listSigningSecrets(user: AuthenticatedUser, id: string): Promise<SigningSecretDto[]> {
    return toTargetDto(await this.get(user, id)).signingSecrets;
  }

  /** Removes a secret at once: it stops signing. */
  async revokeSigningSecret(user: AuthenticatedUser, id: string, secretId: string): Promise<void> {
    const target = await this.get(user, id);
    const remaining = target.signingSecrets.filter((secret) => secret.id !== secretId);
    if (remaining.length === target.signingSecrets.length) {
      throw new NotFoundException(`Signing secret ${secretId} not found`);
    }
    target.signingSecrets = remaining;
    await this.targets.save(target);
  }

  /** Applies defaults, requires a URL and refuses non-public addresses (see SsrfGuard). */
  async httpConfig(settings: HttpTargetSettingsDto): Promise<HttpTargetConfig> {
    if (!settings.url)
      throw new ValidationFailedException([{ field: 'http.url', message: 'http.url is required' }]);
    const url = new URL(settings.url);
    if (url.origin === new URL(this.config.publicUrl).origin && url.pathname.startsWith('/webhook/')) {
      throw new ValidationFailedException([
        {
          field: 'http.url',
          message: 'http.url must not be an entrypoint of this webhooker (events would loop)',
        },
      ]);
    }
    const check = await this.ssrfGuard.checkUrl(settings.url);
    if (!check.allowed) {
      throw new ValidationFailedException([
        { field: 'http.url', message: `http.url is not allowed: ${check.reason}` },
      ]);
    }
    return {
      url: settings.url,
      method: settings.method ?? HTTP_TARGET_DEFAULTS.method,
      headers: lowerCaseHeaderNames(settings.headers ?? {}),
      timeoutMs: settings.timeoutMs ?? HTTP_TARGET_DEFAULTS.timeoutMs,
      maxRetries: settings.maxRetries ?? HTTP_TARGET_DEFAULTS.maxRetries,
      maxBackoffMs: settings.maxBackoffMs ?? HTTP_TARGET_DEFAULTS.maxBackoffMs,
      concurrency: settings.concurrency ?? HTTP_TARGET_DEFAULTS.concurrency,
      rateLimit: settings.rateLimit
        ? {
            perSecond: settings.rateLimit.perSecond,
            burst: settings.rateLimit.burst ?? Math.max(1, Math.ceil(settings.rateLimit.perSecond)),
          }
        : null,
    };
  }
}
