import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { APP_CONFIG, AppConfig } from '../config/config';
import { PoolResult, TransformPool } from './transform-pool';
import type { TransformInput, TransformResult } from './transform-sandbox';

/** The longest transform a target may have, in characters. */
export const MAX_TRANSFORM_CHARS = 65_536;

/** What a transform is given and where its body comes from: the event (or a sample) as captured. */
export interface TransformSource {
  method: string;
  path: string;
  /** The query string, without `?`. */
  query: string;
  headers: Record<string, string>;
  contentType: string | null;
  body: Buffer;
}

export type TransformOutcome = TransformResult & { durationMs: number };

const JSON_TYPE = /^\s*application\/([\w.+-]+\+)?json\s*(;|$)/i;

/** Name → value, or every value in order when a name is repeated (as filters see the query); `__proto__` is a name like any other. */
function queryParameters(query: string): Record<string, string | string[]> {
  const result: Record<string, string | string[]> = Object.create(null);
  for (const [name, value] of new URLSearchParams(query)) {
    const previous = result[name];
    if (previous === undefined) result[name] = value;
    else if (Array.isArray(previous)) previous.push(value);
    else result[name] = [previous, value];
  }
  return result;
}

/** The request a transform receives: the body as text, to be parsed in the sandbox when it is JSON. */
export function transformInput(source: TransformSource): TransformInput {
  const text = source.body.toString('utf8');
  return {
    method: source.method,
    path: source.path,
    query: queryParameters(source.query),
    headers: source.headers,
    bodyText: text.charCodeAt(0) === 0xfeff ? text.slice(1) : text,
    bodyIsJson: JSON_TYPE.test(source.contentType ?? ''),
  };
}

/**
 * Runs targets' transforms in the sandbox's worker threads, each compiled once per target and
 * version of its source (the worker keeps it under `targetId:sha256(source)`).
 */
@Injectable()
export class TransformRunner implements OnApplicationShutdown {
  private pool?: TransformPool;
  /** The cache key of each target's current source, so the source is hashed once per version. */
  private readonly keys = new Map<string, { source: string; key: string }>();

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  /**
   * Runs `transform`, the saved transform of target `targetId`, on `source`; never rejects. A
   * delivery's run takes its turn among the `owner`s of the targets; a `trial` (preview) waits
   * behind deliveries and never takes every worker.
   */
  async run(
    targetId: string,
    transform: string,
    source: TransformSource,
    { trial = false, owner = '' } = {},
  ): Promise<TransformOutcome> {
    const key = this.keyOf(targetId, transform);
    return this.settle(await this.workers().run(key, transform, transformInput(source), { trial, owner }));
  }

  /** Runs a transform not saved (an editor's content) once, compiled for this run only (a trial). */
  async runOnce(transform: string, source: TransformSource): Promise<TransformOutcome> {
    return this.settle(
      await this.workers().run('', transform, transformInput(source), { fresh: true, trial: true }),
    );
  }

  /** The error of a transform that does not compile (with its line), or null (a trial). */
  check(transform: string): Promise<string | null> {
    return this.workers().check(transform);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.pool?.close();
  }

  private workers(): TransformPool {
    this.pool ??= new TransformPool(
      {
        timeoutMs: this.config.transformTimeoutMs,
        memoryBytes: this.config.transformMemoryMb * 1_048_576,
        maxBodyBytes: this.config.maxEventBytes,
      },
      this.config.transformWorkers,
    );
    return this.pool;
  }

  private keyOf(targetId: string, transform: string): string {
    const known = this.keys.get(targetId);
    if (known && known.source === transform) return known.key;
    const key = `${targetId}:${createHash('sha256').update(transform).digest('base64url')}`;
    this.keys.set(targetId, { source: transform, key });
    return key;
  }

  private settle(result: PoolResult): TransformOutcome {
    if (result.kind === 'compiled') throw new Error('a transform run answered without running');
    return result;
  }
}
