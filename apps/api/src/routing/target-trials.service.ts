import {
  ConflictException,
  HttpException,
  HttpStatus,
  Inject,
  Injectable,
  NotFoundException,
} from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { DataSource } from 'typeorm';
import type { AuthenticatedUser } from '../auth/auth.types';
import { KeyedConcurrencyLimiter, LimiterFullError } from '../common/concurrency-limiter';
import { ValidationFailedException } from '../common/validation';
import { APP_CONFIG, AppConfig } from '../config/config';
import { DeliveryEngine } from '../delivery/delivery-engine';
import type { EventSnapshot } from '../delivery/delivery-task';
import { DeliveryService } from '../delivery/delivery.service';
import { OutboundRequest, outboundRequest } from '../delivery/http-sender';
import { INSTANCE_ID } from '../delivery/instance-id';
import { RETRY_POLICY } from '../delivery/retry-policy';
import { EventsService } from '../events/events.service';
import { TargetHealthService, toSnapshot } from '../targets/target-health.service';
import type { Target } from '../targets/target.entity';
import { TargetsService } from '../targets/targets.service';
import { compileFilter, FilterSyntaxError } from './filter';
import { routingRequest } from './routing-request';
import {
  PreviewResultDto,
  PreviewTargetDto,
  SampleRequestDto,
  TargetTrialDto,
  TestResultDto,
} from './target-trial.dto';
import { TransformRunner, TransformSource } from './transform-runner';

/** Previews and test sends one user may have running at once (they share the transform workers and the outbound budget). */
const TRIALS_PER_USER = 2;
/** Test sends running at once, every user together. */
const MAX_TEST_SENDS = 16;
const MAX_SAMPLE_HEADERS = 100;
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** The request tried when neither an event nor a sample is given. */
const DEFAULT_SAMPLE: SampleRequestDto = {
  method: 'POST',
  path: '/',
  query: '',
  headers: { 'content-type': 'application/json', 'user-agent': 'webhooker-test' },
  body: {
    type: 'webhooker.test',
    id: 'evt_test',
    data: { message: 'A test event sent from webhooker' },
  },
};

/** A request to try, with its body as bytes. */
type TrialRequest = TransformSource;

/**
 * Tries a target: a preview (filter and transform, nothing sent) or a test send (a test event
 * with one delivery to that target, attempted now and recorded). Each user has at most
 * TRIALS_PER_USER of them running: they share the transform workers with deliveries.
 */
@Injectable()
export class TargetTrialsService {
  /** Trials of each user running now (none wait: more are refused). */
  private readonly perUser = new KeyedConcurrencyLimiter(TRIALS_PER_USER, 0);
  private testSends = 0;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(INSTANCE_ID) private readonly instanceId: string,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly targets: TargetsService,
    private readonly targetHealth: TargetHealthService,
    private readonly events: EventsService,
    private readonly deliveries: DeliveryService,
    private readonly engine: DeliveryEngine,
    private readonly transforms: TransformRunner,
  ) {}

  async preview(user: AuthenticatedUser, targetId: string, dto: PreviewTargetDto): Promise<PreviewResultDto> {
    const target = await this.targets.get(user, targetId);
    const request = await this.requestOf(target, dto);
    const transform =
      dto.transform === undefined ? target.transform : dto.transform?.trim() ? dto.transform : null;
    if (transform && target.type !== 'http') {
      throw new ValidationFailedException([
        {
          field: 'transform',
          message: `transform is not allowed for a ${target.type} target (only http requests are transformed)`,
        },
      ]);
    }
    return this.limited(user, async () => {
      const start = performance.now();
      const result: PreviewResultDto = {
        matched: this.matches(dto.filter === undefined ? target.filter : dto.filter, request),
        skipped: false,
        skipReason: null,
        request: null,
        url: null,
        error: null,
        logs: [],
        durationMs: 0,
      };
      const snapshot = toSnapshot(target);
      if (!result.matched) {
        Object.assign(result, { skipped: true, skipReason: 'filter' });
      } else if (transform) {
        const outcome =
          dto.transform === undefined
            ? await this.transforms.run(target.id, transform, request, { trial: true })
            : await this.transforms.runOnce(transform, request);
        result.logs = outcome.logs;
        if (outcome.kind === 'skip') Object.assign(result, { skipped: true, skipReason: 'transform' });
        else if (outcome.kind === 'error') result.error = outcome.error;
        else this.show(result, outboundRequest(snapshot, request, request.body, outcome.request));
      } else if (target.type === 'http') {
        this.show(result, outboundRequest(snapshot, request, request.body));
      }
      result.durationMs = Math.round((performance.now() - start) * 1000) / 1000;
      return result;
    });
  }

  async sendTest(user: AuthenticatedUser, targetId: string, dto: TargetTrialDto): Promise<TestResultDto> {
    const target = await this.targets.get(user, targetId);
    if (!target.active) {
      throw new ConflictException('The target is paused: activate it to send a test event');
    }
    if (
      target.type === 'http' &&
      target.consecutiveFailures >= RETRY_POLICY.circuitFailureThreshold &&
      target.circuitOpenUntil &&
      target.circuitOpenUntil.getTime() > Date.now()
    ) {
      throw new ConflictException(
        `The circuit of this target is open until ${target.circuitOpenUntil.toISOString()} (${target.consecutiveFailures} failures in a row): nothing is sent to it meanwhile, tests included`,
      );
    }
    const request = await this.requestOf(target, dto);
    if (this.testSends >= MAX_TEST_SENDS) {
      throw new HttpException(
        'Too many test events are being sent; try again in a moment',
        HttpStatus.SERVICE_UNAVAILABLE,
      );
    }
    return this.limited(user, async () => {
      this.testSends++;
      try {
        return await this.send(target, request);
      } finally {
        this.testSends--;
      }
    });
  }

  private async send(target: Target, request: TrialRequest): Promise<TestResultDto> {
    const rateLimit = target.http?.rateLimit;
    if (rateLimit && (await this.targetHealth.takeRateTokens(target.id, 1, rateLimit)).granted === 0) {
      throw new HttpException(
        "The target's rate limit allows no delivery now; try again in a moment",
        HttpStatus.TOO_MANY_REQUESTS,
      );
    }
    const skipped = !this.matches(target.filter, request);
    // The lease outlasts the attempt (transform and timeout), so no sweep takes the delivery meanwhile.
    const leaseMs =
      this.config.leaseMs + (target.http?.timeoutMs ?? 0) + 2 * this.config.transformTimeoutMs + 1_000;
    const { event, deliveryId } = await this.dataSource.transaction(async (manager) => {
      const event = await this.events.createTest(manager, {
        id: randomUUID(),
        webhookId: target.webhookId,
        method: request.method,
        path: request.path,
        query: request.query,
        headers: request.headers,
        body: request.body,
        contentType: request.contentType,
      });
      const [delivery] = await this.deliveries.createForEvent(
        event,
        [{ id: target.id, paused: false, skipped }],
        this.instanceId,
        leaseMs,
        { manager },
      );
      return { event, deliveryId: delivery!.id };
    });
    if (skipped)
      return { eventId: event.id, deliveryId, status: 'skipped', skipReason: 'filter', attempt: null };
    const snapshot: EventSnapshot = {
      id: event.id,
      webhookId: event.webhookId,
      method: event.method,
      path: event.path,
      query: event.query,
      headers: event.headers,
      contentType: event.contentType,
      sourceIp: null,
      receivedAt: event.receivedAt,
      body: event.body,
    };
    const outcome = await this.engine.sendTest(toSnapshot(target), snapshot, event.body, deliveryId);
    return {
      eventId: event.id,
      deliveryId,
      status: outcome.status,
      skipReason: outcome.status === 'skipped' ? 'transform' : null,
      attempt: outcome.attempt,
    };
  }

  /** Runs `task` when the user has fewer than TRIALS_PER_USER running; 429 otherwise. */
  private async limited<T>(user: AuthenticatedUser, task: () => Promise<T>): Promise<T> {
    try {
      return await this.perUser.run(user.id, task);
    } catch (error) {
      if (!(error instanceof LimiterFullError)) throw error;
      throw new HttpException(
        `At most ${TRIALS_PER_USER} previews or test sends may run at once; wait for one to finish`,
        HttpStatus.TOO_MANY_REQUESTS,
      );
    }
  }

  /** Whether `filter` takes the request (no filter takes all); 400 when it does not compile. */
  private matches(filter: object | null, request: TrialRequest): boolean {
    if (!filter) return true;
    try {
      return compileFilter(filter)(routingRequest(request));
    } catch (error) {
      if (error instanceof FilterSyntaxError) {
        throw new ValidationFailedException([{ field: 'filter', message: `filter ${error.message}` }]);
      }
      throw error;
    }
  }

  private show(result: PreviewResultDto, request: OutboundRequest): void {
    result.url = request.url.toString();
    result.request = {
      method: request.method,
      path: request.url.pathname,
      query: request.url.search.replace(/^\?/, ''),
      headers: request.headers,
      body: request.body.toString('utf8'),
    };
  }

  /** The stored event (of the target's webhook) or the sample to try; exactly one of them, or neither for the default sample. */
  private async requestOf(target: Target, dto: TargetTrialDto): Promise<TrialRequest> {
    if (dto.eventId !== undefined && dto.request !== undefined) {
      throw new ValidationFailedException([
        { field: 'eventId', message: 'give eventId or request, not both' },
      ]);
    }
    if (dto.eventId !== undefined) {
      const event = await this.events.find(target.webhookId, dto.eventId);
      if (!event) throw new NotFoundException(`Event ${dto.eventId} not found`);
      return event;
    }
    return this.sample(dto.request ?? DEFAULT_SAMPLE);
  }

  private sample(sample: SampleRequestDto): TrialRequest {
    const headers: Record<string, string> = {};
    const given = Object.entries(sample.headers ?? {});
    if (given.length > MAX_SAMPLE_HEADERS) {
      throw new ValidationFailedException([
        {
          field: 'request.headers',
          message: `request.headers may have at most ${MAX_SAMPLE_HEADERS} headers`,
        },
      ]);
    }
    for (const [name, value] of given) {
      if (!HEADER_NAME.test(name) || typeof value !== 'string' || /[\r\n\0]/.test(value)) {
        throw new ValidationFailedException([
          {
            field: 'request.headers',
            message: `request.headers["${name.slice(0, 100)}"] must be a valid header name with a string value without line breaks`,
          },
        ]);
      }
      headers[name.toLowerCase()] = value;
    }
    const text = typeof sample.body === 'string';
    const body =
      sample.body === undefined
        ? Buffer.alloc(0)
        : Buffer.from(text ? (sample.body as string) : JSON.stringify(sample.body));
    if (body.length > this.config.maxEventBytes) {
      throw new ValidationFailedException([
        {
          field: 'request.body',
          message: `request.body is larger than ${this.config.maxEventBytes} bytes (MAX_EVENT_BYTES)`,
        },
      ]);
    }
    if (!text && sample.body !== undefined) headers['content-type'] ??= 'application/json';
    return {
      method: sample.method ?? 'POST',
      path: sample.path ?? '/',
      query: sample.query ?? '',
      headers,
      contentType: headers['content-type'] ?? null,
      body,
    };
  }
}
