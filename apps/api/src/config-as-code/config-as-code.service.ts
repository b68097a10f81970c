import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import type { AuthenticatedUser } from '../auth/auth.types';
import type { FieldErrorDto } from '../common/problem-details';
import { ValidationFailedException } from '../common/validation';
import { APP_CONFIG, AppConfig } from '../config/config';
import { EntrypointDto } from '../entrypoints/entrypoint.dto';
import { Entrypoint } from '../entrypoints/entrypoint.entity';
import { EntrypointsService } from '../entrypoints/entrypoints.service';
import { HttpTargetConfig, Target, TargetType, withCurrentFields } from '../targets/target.entity';
import { TargetsService } from '../targets/targets.service';
import { RETENTION_DAYS } from '../webhooks/webhook.dto';
import { Webhook } from '../webhooks/webhook.entity';
import { WebhooksService } from '../webhooks/webhooks.service';
import {
  ChangeAction,
  ChangeKind,
  ConfigApplyDto,
  ConfigChangeDto,
  ConfigEntrypointUrlDto,
  ConfigFieldChangeDto,
  ConfigPlanDto,
  ConfigTargetDto,
} from './config-document.dto';
import { effectiveKeys, parseBody, underPath, validateDocument } from './config-document';

/** An entrypoint as the document describes it, every default applied. */
interface EntrypointState {
  key: string;
  description: string;
  active: boolean;
}

/** A target as the document describes it, every default applied. */
interface TargetState {
  key: string;
  name: string;
  type: TargetType;
  active: boolean;
  http: HttpTargetConfig | null;
  filter: object | null;
  transform: string | null;
}

/** A webhook as the document describes it, every default applied. */
interface WebhookState {
  key: string;
  name: string;
  description: string;
  retentionDays: number;
  entrypoints: EntrypointState[];
  targets: TargetState[];
}

/** A stored webhook in the document's shape (keys derived where none is stored), with its rows. */
interface StoredWebhook {
  entity: Webhook;
  state: WebhookState;
  entrypoints: { entity: Entrypoint; state: EntrypointState }[];
  targets: { entity: Target; state: TargetState }[];
}

/** A change and how to make it; `run` returns the signing secret of a created `http` target. */
interface Step {
  change: ConfigChangeDto;
  run: (manager: EntityManager, webhookIds: Map<string, string>) => Promise<string | void>;
}

type Fields = Record<string, unknown>;

/** The value with object keys sorted, so equal settings compare equal whatever their order. */
function canonical(value: unknown): string {
  const sorted = (item: unknown): unknown =>
    item && typeof item === 'object' && !Array.isArray(item)
      ? Object.fromEntries(
          Object.keys(item)
            .sort()
            .map((key) => [key, sorted((item as Fields)[key])]),
        )
      : item;
  return JSON.stringify(sorted(value) ?? null);
}

/** The fields whose values differ between two sides (null: the object does not exist there). */
function diff(before: Fields | null, after: Fields | null): ConfigFieldChangeDto[] {
  const names = [...new Set([...Object.keys(after ?? {}), ...Object.keys(before ?? {})])];
  return names
    .map((field) => ({ field, before: before?.[field] ?? null, after: after?.[field] ?? null }))
    .filter((change) => canonical(change.before) !== canonical(change.after));
}

function webhookFields(key: string | null, state: WebhookState): Fields {
  return { key, name: state.name, description: state.description, retentionDays: state.retentionDays };
}

function entrypointFields(key: string | null, state: EntrypointState): Fields {
  return { key, description: state.description, active: state.active };
}

function targetFields(key: string | null, state: TargetState): Fields {
  const http = Object.entries(state.http ?? {}).map(([field, value]) => [`http.${field}`, value]);
  return {
    key,
    name: state.name,
    type: state.type,
    active: state.active,
    ...Object.fromEntries(http),
    filter: state.filter,
    transform: state.transform,
  };
}

/** Items in the order of their keys. */
function byKey<T extends { key: string }>(items: T[]): T[] {
  return [...items].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/**
 * A webhook in the document format: `http` only on `http` targets, `filter` and `transform` only
 * on targets that have one, lists in key order (so exports diff well).
 */
function toDocument(state: WebhookState) {
  return {
    ...state,
    entrypoints: byKey(state.entrypoints),
    targets: byKey(state.targets).map(({ http, filter, transform, ...target }) => ({
      ...target,
      ...(http ? { http } : {}),
      ...(filter ? { filter } : {}),
      ...(transform ? { transform } : {}),
    })),
  };
}

/** Plans, applies and exports a user's configuration as a document of webhooks by key. */
@Injectable()
export class ConfigAsCodeService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly webhooks: WebhooksService,
    private readonly entrypoints: EntrypointsService,
    private readonly targets: TargetsService,
  ) {}

  /** The changes applying the document would make, without making them. */
  async plan(user: AuthenticatedUser, body: unknown, prune: boolean): Promise<ConfigPlanDto> {
    const desired = await this.desiredState(body);
    const stored = await this.storedState(user.id);
    return { changes: this.steps(user.id, stored, desired, prune).map((step) => step.change) };
  }

  /**
   * Makes the document's changes in one transaction, holding the owner's advisory lock so
   * applies never interleave; the plan is made again under the lock, from what is stored then.
   */
  async apply(user: AuthenticatedUser, body: unknown, prune: boolean): Promise<ConfigApplyDto> {
    const desired = await this.desiredState(body);
    const changes = await this.dataSource.transaction(async (manager) => {
      await manager.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [
        `webhooker.config:${user.id}`,
      ]);
      const stored = await this.storedState(user.id, manager);
      const webhookIds = new Map(stored.map((webhook) => [webhook.state.key, webhook.entity.id]));
      const steps = this.steps(user.id, stored, desired, prune);
      for (const step of steps) {
        const signingSecret = await step.run(manager, webhookIds);
        if (signingSecret) step.change.signingSecret = signingSecret;
      }
      return steps.map((step) => step.change);
    });
    return { changes, entrypoints: await this.entrypointUrls(user.id) };
  }

  /** The user's configuration as a document, in key order (keys derived from names where none is stored). */
  async export(user: AuthenticatedUser) {
    const stored = await this.storedState(user.id);
    return { version: 1, webhooks: byKey(stored.map((webhook) => toDocument(webhook.state))) };
  }

  /** The document checked and with every default applied; `http` settings pass the targets' own checks (SSRF guard). */
  private async desiredState(body: unknown): Promise<WebhookState[]> {
    const document = validateDocument(parseBody(body));
    const errors: FieldErrorDto[] = [];
    const webhooks: WebhookState[] = [];
    for (const [w, webhook] of document.webhooks.entries()) {
      const targets: TargetState[] = [];
      for (const [t, target] of (webhook.targets ?? []).entries()) {
        const http = await this.desiredHttp(target, `webhooks[${w}].targets[${t}]`, errors);
        targets.push({
          key: target.key,
          name: target.name,
          type: target.type,
          active: target.active ?? true,
          http,
          filter: target.filter ?? null,
          transform: target.transform?.trim() ? target.transform : null,
        });
      }
      webhooks.push({
        key: webhook.key,
        name: webhook.name,
        description: webhook.description ?? '',
        retentionDays: webhook.retentionDays ?? RETENTION_DAYS.default,
        entrypoints: (webhook.entrypoints ?? []).map((entrypoint) => ({
          key: entrypoint.key,
          description: entrypoint.description ?? '',
          active: entrypoint.active ?? true,
        })),
        targets,
      });
    }
    if (errors.length > 0) throw new ValidationFailedException(errors);
    return webhooks;
  }

  /** A target's effective `http` settings, or null; its errors are collected under `path`. */
  private async desiredHttp(
    target: ConfigTargetDto,
    path: string,
    errors: FieldErrorDto[],
  ): Promise<HttpTargetConfig | null> {
    if (target.type !== 'http') {
      if (target.http !== undefined) {
        errors.push({
          field: `${path}.http`,
          message: `${path}.http is not allowed for a ${target.type} target`,
        });
      }
      return null;
    }
    if (target.http === undefined) {
      errors.push({ field: `${path}.http`, message: `${path}.http is required for an http target` });
      return null;
    }
    try {
      return await this.targets.httpConfig(target.http);
    } catch (error) {
      if (!(error instanceof ValidationFailedException)) throw error;
      errors.push(...error.fieldErrors.map((fieldError) => underPath(path, fieldError)));
      return null;
    }
  }

  /** The owner's webhooks, entrypoints and targets in the document's shape. */
  private async storedState(ownerId: string, manager?: EntityManager): Promise<StoredWebhook[]> {
    const webhooks = await this.webhooks.listOwned(ownerId, manager);
    const keys = effectiveKeys(
      webhooks,
      (webhook) => webhook.key,
      (webhook) => webhook.name,
      'webhook',
    );
    const stored: StoredWebhook[] = [];
    for (const [index, entity] of webhooks.entries()) {
      const entrypoints = await this.entrypoints.listAll(entity.id, manager);
      const targets = await this.targets.listAll(entity.id, manager);
      const entrypointKeys = effectiveKeys(
        entrypoints,
        (e) => e.key,
        (e) => e.description,
        'entrypoint',
      );
      const targetKeys = effectiveKeys(
        targets,
        (t) => t.key,
        (t) => t.name,
        'target',
      );
      const entrypointStates = entrypoints.map((e, i) => ({
        entity: e,
        state: { key: entrypointKeys[i]!, description: e.description, active: e.active },
      }));
      const targetStates = targets.map((t, i) => ({
        entity: t,
        state: {
          key: targetKeys[i]!,
          name: t.name,
          type: t.type,
          active: t.active,
          http: withCurrentFields(t.http),
          filter: t.filter,
          transform: t.transform,
        },
      }));
      stored.push({
        entity,
        state: {
          key: keys[index]!,
          name: entity.name,
          description: entity.description,
          retentionDays: entity.retentionDays,
          entrypoints: entrypointStates.map((e) => e.state),
          targets: targetStates.map((t) => t.state),
        },
        entrypoints: entrypointStates,
        targets: targetStates,
      });
    }
    return stored;
  }

  /** The URL of every entrypoint of the owner's webhooks, by keys. */
  private async entrypointUrls(ownerId: string): Promise<ConfigEntrypointUrlDto[]> {
    const stored = await this.storedState(ownerId);
    return stored.flatMap((webhook) =>
      webhook.entrypoints.map(({ entity, state }) => ({
        webhook: webhook.state.key,
        key: state.key,
        url: EntrypointDto.from(entity, this.config.publicUrl).url,
      })),
    );
  }

  /** The steps from what is stored to what is desired: creates and updates, and deletes with `prune`. */
  private steps(ownerId: string, stored: StoredWebhook[], desired: WebhookState[], prune: boolean): Step[] {
    const steps: Step[] = [];
    const change = (
      action: ChangeAction,
      kind: ChangeKind,
      webhook: string,
      key: string,
      fields: ConfigFieldChangeDto[],
    ) => ({
      action,
      kind,
      webhook,
      key,
      fields,
    });
    const storedByKey = new Map(stored.map((webhook) => [webhook.state.key, webhook]));
    for (const [w, want] of desired.entries()) {
      const have = storedByKey.get(want.key);
      const fields = diff(
        have ? webhookFields(have.entity.key, have.state) : null,
        webhookFields(want.key, want),
      );
      if (!have) {
        steps.push({
          change: change('create', 'webhook', want.key, want.key, fields),
          run: async (manager, webhookIds) => {
            const { entrypoints: _e, targets: _t, ...columns } = want;
            const created = await this.webhooks.insertWithin(manager, ownerId, columns);
            webhookIds.set(want.key, created.id);
          },
        });
      } else if (fields.length > 0) {
        steps.push({
          change: change('update', 'webhook', want.key, want.key, fields),
          run: (manager) =>
            this.webhooks.updateWithin(manager, have.entity.id, {
              key: want.key,
              name: want.name,
              description: want.description,
              retentionDays: want.retentionDays,
            }),
        });
      }
      const storedEntrypoints = new Map((have?.entrypoints ?? []).map((e) => [e.state.key, e]));
      for (const entrypoint of want.entrypoints) {
        const existing = storedEntrypoints.get(entrypoint.key);
        storedEntrypoints.delete(entrypoint.key);
        const entrypointChanges = diff(
          existing ? entrypointFields(existing.entity.key, existing.state) : null,
          entrypointFields(entrypoint.key, entrypoint),
        );
        if (entrypointChanges.length === 0) continue;
        steps.push({
          change: change(
            existing ? 'update' : 'create',
            'entrypoint',
            want.key,
            entrypoint.key,
            entrypointChanges,
          ),
          run: async (manager, webhookIds) => {
            if (existing) await this.entrypoints.updateWithin(manager, existing.entity.id, entrypoint);
            else await this.entrypoints.create(webhookIds.get(want.key)!, entrypoint, manager);
          },
        });
      }
      const storedTargets = new Map((have?.targets ?? []).map((t) => [t.state.key, t]));
      for (const [t, target] of want.targets.entries()) {
        const existing = storedTargets.get(target.key);
        storedTargets.delete(target.key);
        if (existing && existing.state.type !== target.type) {
          const field = `webhooks[${w}].targets[${t}].type`;
          throw new ValidationFailedException([
            {
              field,
              message: `${field} cannot change from ${existing.state.type} to ${target.type}: give the target a new key to replace it`,
            },
          ]);
        }
        const targetChanges = diff(
          existing ? targetFields(existing.entity.key, existing.state) : null,
          targetFields(target.key, target),
        );
        if (targetChanges.length === 0) continue;
        const httpChanged = targetChanges.some((fieldChange) => fieldChange.field.startsWith('http.'));
        steps.push({
          change: change(existing ? 'update' : 'create', 'target', want.key, target.key, targetChanges),
          run: async (manager, webhookIds) => {
            const http = target.http ?? undefined;
            if (existing) {
              await this.targets.updateWithin(manager, existing.entity, {
                key: target.key,
                name: target.name,
                active: target.active,
                http: httpChanged ? http : undefined,
                filter: target.filter,
                transform: target.transform,
              });
              return;
            }
            const created = await this.targets.create(
              webhookIds.get(want.key)!,
              { ...target, http },
              manager,
            );
            return created.signingSecret;
          },
        });
      }
      if (!prune || !have) continue;
      for (const { entity, state } of storedEntrypoints.values()) {
        steps.push({
          change: change(
            'delete',
            'entrypoint',
            want.key,
            state.key,
            diff(entrypointFields(entity.key, state), null),
          ),
          run: (manager) => this.entrypoints.deleteWithin(manager, entity.id),
        });
      }
      for (const { entity, state } of storedTargets.values()) {
        steps.push({
          change: change(
            'delete',
            'target',
            want.key,
            state.key,
            diff(targetFields(entity.key, state), null),
          ),
          run: (manager) => this.targets.deleteWithin(manager, entity.id),
        });
      }
    }
    if (prune) {
      const wanted = new Set(desired.map((webhook) => webhook.key));
      for (const webhook of stored.filter((candidate) => !wanted.has(candidate.state.key))) {
        steps.push({
          change: change(
            'delete',
            'webhook',
            webhook.state.key,
            webhook.state.key,
            diff(webhookFields(webhook.entity.key, webhook.state), null),
          ),
          run: (manager) => this.webhooks.deleteWithin(manager, webhook.entity.id),
        });
      }
    }
    return steps;
  }
}
