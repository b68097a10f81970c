import {
  BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
} from '@nestjs/common';
import { EventEmitter2, OnEvent } from '@nestjs/event-emitter';
import { SchedulerRegistry } from '@nestjs/schedule';
import { InjectDataSource } from '@nestjs/typeorm';
import { performance } from 'node:perf_hooks';
import { DataSource } from 'typeorm';
import { Batcher } from '../common/batcher';
import { encodeBody } from '../common/body-encoding';
import { redactCredentials } from '../common/http';
import { OPERATIONAL_EVENT, OperationalEvent } from '../common/operational-events';
import { APP_CONFIG, AppConfig } from '../config/config';
import { CONFIG_CHANGED_EVENT } from '../database/config-change.listener';
import { plainArray } from '../database/pg-array';
import { pgPool } from '../database/pg-pool';
import { EventsService } from '../events/events.service';
import { MetricsService } from '../metrics/metrics.service';
import { HTTP_TARGET_DEFAULTS } from '../targets/target.dto';
import { TargetHealthService } from '../targets/target-health.service';
import { Admission, CircuitBreaker, summarizeOutcomes, TargetOutcome } from './circuit-breaker';
import { DELIVERY_TASKS_EVENT, DeliveryTask, EventSnapshot, TargetSnapshot } from './delivery-task';
import { concurrencyOf, HeldBudget, OWNER_RESERVE_DIVISOR, TASKS_PER_CONCURRENCY } from './held-budget';
import { TransformRunner } from '../routing/transform-runner';
import { AttemptOutcome, HttpSender, OutboundRequest, outboundRequest } from './http-sender';
import { INSTANCE_ID } from './instance-id';
import { DeliveryService } from './delivery.service';
import { LaneDispatcher } from './lane-dispatcher';
import { DeliveryUpdate, ResultWriter } from './result-writer';
import { RetryTimers } from './retry-timers';
import { RateLimiter } from './rate-limiter';
import { applyRetryAfter, backoffDelay, RETRY_POLICY, retryAfterMs } from './retry-policy';

/** Retries due within this are held in memory (a timer); later ones wait in the table. */
export const LOCAL_RETRY_HORIZON_MS = 60_000;
/** After interrupting attempts at shutdown, how long they may take to end (their leases are kept otherwise). */
const INTERRUPT_GRACE_MS = 2_000;
/** The error recorded for an attempt interrupted by a shutdown. */
export const INTERRUPTED_BY_SHUTDOWN = 'interrupted: webhooker was shutting down';
/** A delivery whose attempt failed unexpectedly (not by the receiver) waits this long in the table. */
const UNEXPECTED_ERROR_DELAY_MS = 30_000;
/** A receiver's 429 lowers its rate for its Retry-After window, but never for longer than this. */
const MAX_THROTTLE_MS = 3_600_000;
/** A healthy target's successes reach its row at most this often. */
const SUCCESS_WRITE_INTERVAL_MS = 1_000;
/**
 * Rows claimed by one sweep statement at most. Each claim walks past the rows this process already
 * holds in the due index, so fewer, larger claims cost PostgreSQL less per row: 0.024–0.034 ms a
 * claimed row in fan-out against 0.044 with claims of 500.
 */
const SWEEP_BATCH = 2_000;
const SWEEP_JOB = 'delivery-sweep';
const LEASE_RENEWAL_JOB = 'delivery-lease-renewal';
const TARGET_REFRESH_JOB = 'delivery-target-refresh';

/**
 * Claims due deliveries whose lease expired, round-robin across owners and, within an owner, across
 * its targets: the targets with waiting work are found by a skip scan of the per-target due index,
 * each offers its oldest due rows up to its free room in this process, and the claim takes them
 * turn by turn (every owner's next row, taken from its targets in turn, every target's oldest
 * first), up to each owner's room, so neither a target's huge backlog nor a user's many targets
 * take more than one turn. Rooms come from HeldBudget.claimRooms: $4/$5 held targets, $8–$11 held
 * owners (room, and the share and room by bytes of a target not held yet), $12–$14 the same for an
 * owner not held yet; for a target not held, its cap of $6 tasks per unit of its concurrency (default
 * $7) applies, and it may always fill its concurrency. $1 rows at most, $2 lease ms, $3 instance.
 * The claimed rows come oldest first (by due time, then by arrival: resumed deliveries share a due
 * time), so that each target's lane takes them in order of arrival.
 */
const CLAIM_DUE = `
WITH RECURSIVE waiting_targets AS (
  (SELECT target_id FROM deliveries WHERE status IN ('pending', 'retrying') ORDER BY target_id LIMIT 1)
  UNION ALL
  SELECT (SELECT d.target_id FROM deliveries d
          WHERE d.status IN ('pending', 'retrying') AND d.target_id > w.target_id
          ORDER BY d.target_id LIMIT 1)
  FROM waiting_targets w WHERE w.target_id IS NOT NULL
), room AS (
  SELECT w.target_id, wh.owner_id, coalesce(o.room, $12::int) AS owner_room,
         coalesce(h.room, greatest(0, least(
           $6::int * c.concurrency,
           greatest(c.concurrency, coalesce(o.new_target_share, $13::int)),
           greatest(c.concurrency, coalesce(o.new_target_bytes_room, $14::int))
         ))) AS room
  FROM waiting_targets w
  LEFT JOIN targets t ON t.id = w.target_id
  LEFT JOIN webhooks wh ON wh.id = t.webhook_id
  CROSS JOIN LATERAL (SELECT coalesce((t.http ->> 'concurrency')::int, $7::int) AS concurrency) c
  LEFT JOIN unnest($4::uuid[], $5::int[]) AS h(target_id, room) ON h.target_id = w.target_id
  LEFT JOIN unnest($8::uuid[], $9::int[], $10::int[], $11::int[])
    AS o(owner_id, room, new_target_share, new_target_bytes_room) ON o.owner_id = wh.owner_id
  WHERE w.target_id IS NOT NULL
), due AS (
  SELECT d.id, d.target_id, r.owner_id, r.owner_room, d.next_attempt_at FROM room r CROSS JOIN LATERAL (
    SELECT id, target_id, next_attempt_at FROM deliveries
    WHERE target_id = r.target_id AND status IN ('pending', 'retrying') AND next_attempt_at <= now()
      AND (lease_expires_at IS NULL OR lease_expires_at < now())
    ORDER BY next_attempt_at
    LIMIT r.room
    FOR UPDATE SKIP LOCKED
  ) d
), target_turns AS (
  SELECT id, owner_id, owner_room, next_attempt_at,
         row_number() OVER (PARTITION BY target_id ORDER BY next_attempt_at) AS turn
  FROM due
), owner_turns AS (
  SELECT id, owner_room, next_attempt_at,
         row_number() OVER (PARTITION BY owner_id ORDER BY turn, next_attempt_at) AS turn
  FROM target_turns
), picked AS (
  SELECT id FROM owner_turns WHERE turn <= owner_room
  ORDER BY turn, next_attempt_at
  LIMIT $1
), claimed AS (
  UPDATE deliveries d SET lease_expires_at = now() + make_interval(secs => $2::float8 / 1000), leased_by = $3
  FROM picked WHERE d.id = picked.id
  RETURNING d.id, d.event_id, d.target_id, d.attempt_count, d.replay_base, d.next_attempt_at, d.created_at
)
SELECT id, event_id, target_id, attempt_count, replay_base FROM claimed ORDER BY next_attempt_at, created_at`;

/** What an attempt sends (null for targets without a request), or why it sends nothing. */
type PreparedAttempt =
  { kind: 'send'; request: OutboundRequest | null } | { kind: 'skip' } | { kind: 'error'; error: string };

/** How a test send ended (see sendTest). */
export interface TestOutcome {
  status: 'delivered' | 'failed' | 'skipped';
  attempt: {
    statusCode: number | null;
    durationMs: number;
    responseExcerpt: string | null;
    error: string | null;
  } | null;
}

interface ClaimedRow {
  id: string;
  event_id: string;
  target_id: string;
  attempt_count: number;
  replay_base: number;
}

/**
 * The delivery engine (DESIGN.md §4): takes self-contained tasks from ingest, runs them through a
 * bounded worker pool (global and per-target limits), records every attempt, retries with backoff
 * (near retries on an in-process timer heap, later ones in the table), obeys a circuit breaker per
 * target, and sweeps the table for due work (crash recovery, other replicas' expired leases).
 */
@Injectable()
export class DeliveryEngine implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(DeliveryEngine.name);
  private readonly eventLogger = new Logger('LogTarget');
  private readonly dispatcher: LaneDispatcher;
  private readonly limiter: RateLimiter;
  private readonly timers: RetryTimers;
  private readonly breakers = new Map<string, CircuitBreaker>();
  /**
   * Deliveries this process holds (admitted and being written by ingest, waiting, running, on a
   * retry timer), with their targets, owners and events: the only leases it renews.
   */
  private readonly held: HeldBudget;
  /** Targets with due work left in the table for want of room here: a sweep refills them when they drain. */
  private readonly backlogged = new Set<string>();
  /** The newest known snapshot of every target this process has work for. */
  private readonly targets = new Map<string, TargetSnapshot>();
  private readonly healthWriter: Batcher<TargetOutcome>;
  private started = false;
  private stopping = false;
  private sweeping?: Promise<void>;
  private sweepAgain = false;
  private refreshGeneration = 0;
  /**
   * Reads of target snapshots so far, and the read each target's snapshot came from: a read that
   * began before the snapshot in hand was taken (a refresh still running when a claim read the
   * target again after it was activated) must not replace it.
   */
  private snapshotReads = 0;
  private readonly snapshotReadOf = new Map<string, number>();
  /** When a success of each target was last counted on its row. */
  private readonly successWrittenAt = new Map<string, number>();
  /** Deliveries whose attempt is running now. */
  private readonly running = new Set<string>();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(INSTANCE_ID) private readonly instanceId: string,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly scheduler: SchedulerRegistry,
    private readonly writer: ResultWriter,
    private readonly http: HttpSender,
    private readonly events: EventsService,
    private readonly targetHealth: TargetHealthService,
    private readonly metrics: MetricsService,
    private readonly emitter: EventEmitter2,
    private readonly deliveries: DeliveryService,
    private readonly transforms: TransformRunner,
  ) {
    this.held = new HeldBudget({
      maxDeliveries: config.maxQueuedTasks,
      maxBytes: config.maxQueuedBytes,
      ownerFloor: config.deliveryConcurrency,
    });
    metrics.reportTasksInMemory(
      () => this.tasksInMemory,
      () => this.held.bytes,
    );
    this.dispatcher = new LaneDispatcher(
      config.deliveryConcurrency,
      (targetId, ownerId) => this.laneLimit(targetId, ownerId),
      (task) => this.attempt(task),
      (targetId) => this.limiter.admit(targetId, this.targets.get(targetId)?.http?.rateLimit ?? null),
      () => this.ownerLimit(),
    );
    this.limiter = new RateLimiter(
      (targetId, want, limit) => this.targetHealth.takeRateTokens(targetId, want, limit),
      (targetId) => this.dispatcher.wake(targetId),
      (error) => this.logger.error(`Taking rate-limit tokens failed: ${error}`),
    );
    this.timers = new RetryTimers((task) => this.dispatcher.push(task));
    this.healthWriter = new Batcher((outcomes) => this.writeOutcomes(outcomes), 500, 1);
  }

  get enabled(): boolean {
    return this.config.role !== 'api';
  }

  /** Tasks held in memory: waiting, running, or on a retry timer. */
  get tasksInMemory(): number {
    return this.dispatcher.queued + this.dispatcher.inFlight + this.timers.size;
  }

  async onApplicationBootstrap(): Promise<void> {
    if (!this.enabled) return;
    this.started = true;
    await this.releaseOwnLeases();
    this.scheduler.addInterval(
      SWEEP_JOB,
      setInterval(() => this.sweep(), this.config.sweepIntervalMs),
    );
    this.scheduler.addInterval(
      LEASE_RENEWAL_JOB,
      setInterval(() => this.renewLeases(), Math.floor(this.config.leaseMs / 3)),
    );
    this.scheduler.addInterval(
      TARGET_REFRESH_JOB,
      setInterval(() => this.refreshOnSchedule(), this.config.routeCacheTtlMs),
    );
    this.sweep();
  }

  /**
   * Stops taking work, lets attempts in flight finish within SHUTDOWN_GRACE_MS, then interrupts
   * the rest and records them, and only then hands every lease back: no delivery is ever being
   * sent here while another replica may take it.
   */
  async beforeApplicationShutdown(): Promise<void> {
    if (!this.started || this.stopping) return;
    this.stopping = true;
    for (const job of [SWEEP_JOB, LEASE_RENEWAL_JOB, TARGET_REFRESH_JOB]) {
      if (this.scheduler.doesExist('interval', job)) this.scheduler.deleteInterval(job);
    }
    await this.sweeping;
    const held = this.dispatcher.takeAllWaiting().length + this.timers.takeAll().length;
    if (!(await this.idleWithin(this.config.shutdownGraceMs))) {
      this.logger.warn(`Interrupting ${this.running.size} attempts still in flight`);
      this.http.interrupt(new Error(INTERRUPTED_BY_SHUTDOWN));
      await this.idleWithin(INTERRUPT_GRACE_MS);
    }
    await this.writer.drain();
    await this.healthWriter.drain();
    await this.releaseOwnLeases([...this.running]);
    this.held.clear();
    this.backlogged.clear();
    this.logger.log(`Stopped; ${held} queued deliveries handed back for any replica to take`);
  }

  /** Whether every attempt in flight ended within `ms`. */
  private async idleWithin(ms: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const idle = await Promise.race([
      this.dispatcher.whenIdle().then(() => true),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms))),
    ]);
    clearTimeout(timer);
    return idle;
  }

  /** Freshly committed work from a replay. */
  @OnEvent(DELIVERY_TASKS_EVENT)
  accept(tasks: DeliveryTask[]): void {
    if (!this.enabled) return;
    for (const task of tasks) this.enqueue(task);
  }

  /**
   * Ingest asks, before it writes a pending delivery, whether this process takes it. Yes: the
   * delivery is held from now on (its room counted) and written with this process's lease; its
   * task follows once committed (acceptAdmitted), or its write fails (withdraw). No (no room,
   * another role, shutting down): it is written without a lease, for a sweep to claim when there
   * is room — never written leased only to be handed back.
   */
  admit(target: TargetSnapshot, event: EventSnapshot, deliveryId: string): boolean {
    if (!this.enabled || this.stopping) return false;
    if (!this.held.hasRoomFor(target, event)) {
      this.backlogged.add(target.id);
      return false;
    }
    this.held.hold(deliveryId, target, event);
    return true;
  }

  /** These admitted deliveries were not written (failed write, duplicate event). */
  withdraw(deliveryIds: string[]): void {
    for (const deliveryId of deliveryIds) this.release(deliveryId);
  }

  /** The tasks of admitted deliveries, committed: taken into memory in the room they held. */
  acceptAdmitted(tasks: DeliveryTask[]): void {
    for (const task of tasks) {
      if (this.stopping) {
        this.release(task.deliveryId);
        this.persist(this.writer.handBack(task.deliveryId));
      } else this.take(task);
    }
  }

  /**
   * Configuration changed somewhere: refresh the targets this process has work for. A refresh
   * that a newer one overtook is dropped (its snapshots may be older). Only the targets asked about
   * are refreshed: one first seen while the query ran is missing from its answer without being
   * gone (taken for deleted, its waiting deliveries would be paused).
   */
  @OnEvent(CONFIG_CHANGED_EVENT)
  async refreshTargets(): Promise<void> {
    if (!this.enabled || this.targets.size === 0) return;
    const generation = ++this.refreshGeneration;
    const read = ++this.snapshotReads;
    const ids = [...this.targets.keys()];
    let fresh: Map<string, TargetSnapshot>;
    try {
      fresh = await this.targetHealth.snapshots(ids);
    } catch (error) {
      this.logger.error(`Refreshing targets failed: ${error}`);
      return;
    }
    if (generation !== this.refreshGeneration) return;
    for (const id of ids) {
      const previous = this.targets.get(id);
      if (!previous) continue;
      const snapshot = fresh.get(id) ?? { ...previous, active: false };
      if (!this.adoptSnapshot(snapshot, read)) continue;
      if (snapshot.active && !previous.active) this.breakers.delete(id);
      if (!snapshot.active) {
        this.limiter.forget(id);
        for (const task of this.dispatcher.takeWaiting(id)) this.pause(task);
      }
    }
    this.dispatcher.pump();
  }

  /**
   * Every ROUTE_CACHE_TTL_MS, whether or not a change was announced (a listener may be silently
   * dead): forgets targets it holds no work for and refreshes the others.
   */
  private refreshOnSchedule(): void {
    for (const id of this.targets.keys()) {
      if (!this.held.holdsTarget(id)) {
        this.targets.delete(id);
        this.snapshotReadOf.delete(id);
        this.breakers.delete(id);
        this.successWrittenAt.delete(id);
        this.limiter.forget(id);
      }
    }
    void this.refreshTargets();
  }

  /** Keeps a target's snapshot from `read`, unless the one in hand comes from a later read. */
  private adoptSnapshot(snapshot: TargetSnapshot, read: number): boolean {
    if ((this.snapshotReadOf.get(snapshot.id) ?? 0) > read) return false;
    this.snapshotReadOf.set(snapshot.id, read);
    this.targets.set(snapshot.id, snapshot);
    return true;
  }

  /** Takes a fresh task into memory when its target has room; otherwise leaves it to the table. */
  private enqueue(task: DeliveryTask): void {
    if (this.stopping || !this.held.hasRoomFor(task.target, task.event)) {
      this.backlogged.add(task.target.id);
      this.persist(this.writer.handBack(task.deliveryId));
      return;
    }
    this.take(task);
  }

  /** Into memory (held, if it is not already), to its target's lane. */
  private take(task: DeliveryTask): void {
    if (!this.targets.has(task.target.id)) this.targets.set(task.target.id, task.target);
    this.held.hold(task.deliveryId, task.target, task.event);
    this.dispatcher.push(task);
  }

  private release(deliveryId: string): void {
    const released = this.held.release(deliveryId, this.backlogged);
    if (!released?.refill) return;
    this.backlogged.delete(released.targetId);
    this.sweep();
  }

  /**
   * Attempts in flight a target may have: its `concurrency` (1 while its circuit is tripped), but
   * never more than half of DELIVERY_CONCURRENCY, nor more than an equal share of its owner's
   * limit among the owner's targets with work, so a receiver that never answers cannot hold the
   * slots of everyone else.
   */
  private laneLimit(targetId: string, ownerId: string): number {
    if (this.breakers.get(targetId)?.tripped) return 1;
    const target = this.targets.get(targetId);
    const configured = target ? concurrencyOf(target) : HTTP_TARGET_DEFAULTS.concurrency;
    const share = Math.floor(this.ownerLimit() / Math.max(1, this.dispatcher.lanesWithWorkOf(ownerId)));
    return Math.max(1, Math.min(configured, Math.floor(this.config.deliveryConcurrency / 2), share));
  }

  /**
   * Attempts in flight the targets of one owner (a tenant) may have together: an equal share of
   * DELIVERY_CONCURRENCY among the owners with work, less a reserve (a sixteenth, at least one) that
   * stays free for an owner whose work has not arrived yet, so one user's many targets whose
   * receivers never answer cannot hold every slot.
   */
  private ownerLimit(): number {
    const global = this.config.deliveryConcurrency;
    const reserve = Math.max(1, Math.floor(global / OWNER_RESERVE_DIVISOR));
    return Math.max(1, Math.floor((global - reserve) / Math.max(1, this.dispatcher.ownersWithWork)));
  }

  private breakerFor(target: TargetSnapshot): CircuitBreaker | undefined {
    if (target.type !== 'http' || target.http!.maxRetries === 0) return undefined;
    let breaker = this.breakers.get(target.id);
    if (!breaker) {
      breaker = new CircuitBreaker(target, this.config.circuitCooldownMs);
      this.breakers.set(target.id, breaker);
    }
    return breaker;
  }

  /**
   * Runs one attempt; never rejects. Anything unexpected is logged and the delivery handed back to
   * the table (its lease cleared) for the sweep to try again.
   */
  private async attempt(task: DeliveryTask): Promise<void> {
    this.running.add(task.deliveryId);
    try {
      await this.tryDelivery(task);
    } catch (error) {
      this.logger.error(
        `Delivery ${task.deliveryId} failed unexpectedly: ${error instanceof Error ? error.stack : error}`,
      );
      this.release(task.deliveryId);
      this.persist(
        this.writer.update({
          deliveryId: task.deliveryId,
          status: task.attemptCount === 0 ? 'pending' : 'retrying',
          attemptCount: task.attemptCount,
          nextAttemptAt: new Date(Date.now() + UNEXPECTED_ERROR_DELAY_MS),
          keepLease: false,
          recordOutcome: true,
          lastStatusCode: null,
          lastError: `internal error: ${(error as Error)?.message ?? error}`,
        }),
      );
    } finally {
      this.running.delete(task.deliveryId);
    }
  }

  private async tryDelivery(task: DeliveryTask): Promise<void> {
    const target = this.targets.get(task.target.id) ?? task.target;
    if (!target.active) return this.pause(task);
    const breaker = this.breakerFor(target);
    let admission = breaker?.admit();
    if (admission?.kind === 'probe') admission = await this.claimProbe(target, breaker!);
    if (admission?.kind === 'open') return this.reschedule(task, admission.until.getTime());

    const body = task.event.body ?? (await this.events.body(task.event.id));
    if (!body) return this.cancel(task, 'event was deleted');
    const startedAt = new Date();
    const start = performance.now();
    const prepared = await this.prepare(target, task.event, body);
    if (prepared.kind === 'skip') return this.skip(task);
    const sent =
      prepared.kind === 'error'
        ? { ok: false, statusCode: null, responseExcerpt: null, error: prepared.error }
        : await this.send(target, task.event, body, prepared.request);
    const interrupted = !sent.ok && this.http.interrupted;
    const outcome = interrupted ? { ...sent, error: INTERRUPTED_BY_SHUTDOWN } : sent;
    const durationMs = Math.round(performance.now() - start);
    const attemptNumber = task.attemptCount + 1;

    const update: DeliveryUpdate = {
      deliveryId: task.deliveryId,
      status: 'delivered',
      attemptCount: attemptNumber,
      nextAttemptAt: null,
      keepLease: false,
      recordOutcome: true,
      lastStatusCode: outcome.statusCode,
      lastError: outcome.error,
    };
    let retryAt: number | undefined;
    if (outcome.ok) {
      // A success reaches the row when it clears failures this replica knows of, and otherwise
      // at most once a second per target (failures other replicas counted are cleared by then),
      // so a healthy target costs no write per delivery.
      if (breaker && (breaker.success() || this.successDue(target.id))) this.countOutcome(target.id, true);
    } else {
      if (breaker && !interrupted) {
        const failedAt = new Date();
        breaker.failure(failedAt.getTime());
        this.countOutcome(target.id, false, failedAt);
      }
      const retriesMade = attemptNumber - task.replayBase - 1;
      const maxRetries = target.http?.maxRetries ?? HTTP_TARGET_DEFAULTS.maxRetries;
      if (outcome.gone) {
        update.status = 'failed';
        this.disable(target, 'the receiver answered 410 Gone');
      } else if (retriesMade >= maxRetries) {
        update.status = 'failed';
      } else {
        const delay = interrupted
          ? 0
          : applyRetryAfter(
              backoffDelay(retriesMade + 1, target.http?.maxBackoffMs ?? HTTP_TARGET_DEFAULTS.maxBackoffMs),
              outcome.retryAfter,
            );
        retryAt = Date.now() + delay;
        update.status = 'retrying';
        update.nextAttemptAt = new Date(retryAt);
        update.keepLease = this.canHold(delay);
      }
      this.checkAutoDisable(target, breaker);
    }
    if (outcome.statusCode === 429) {
      this.limiter.throttle(
        target.id,
        Date.now() +
          Math.min(MAX_THROTTLE_MS, retryAfterMs(outcome.retryAfter) ?? RETRY_POLICY.initialDelayMs),
      );
    }
    if (update.status === 'failed') {
      this.emitter.emit(OPERATIONAL_EVENT, {
        type: 'delivery.failed',
        webhookId: task.event.webhookId,
        occurredAt: new Date(),
        data: {
          targetId: target.id,
          deliveryId: task.deliveryId,
          eventId: task.event.id,
          attempts: attemptNumber,
          lastStatusCode: outcome.statusCode,
          lastError: outcome.error,
        },
      } satisfies OperationalEvent);
    }
    this.metrics.attempts.inc({ target_type: target.type, outcome: update.status });
    this.metrics.attemptDuration.observe({ target_type: target.type }, durationMs / 1000);
    if (outcome.ok) {
      this.metrics.ingestToDelivery.observe(
        { target_type: target.type },
        (Date.now() - task.event.receivedAt.getTime()) / 1000,
      );
    }
    this.persist(
      this.writer.recordResult(
        {
          deliveryId: task.deliveryId,
          webhookId: task.event.webhookId,
          attemptNumber,
          startedAt,
          durationMs,
          statusCode: outcome.statusCode,
          responseExcerpt: outcome.responseExcerpt,
          error: outcome.error,
        },
        update,
      ),
    );
    if (update.keepLease && retryAt !== undefined) {
      this.timers.add(retryAt, { ...task, attemptCount: attemptNumber });
    } else {
      this.release(task.deliveryId);
    }
  }

  /**
   * Sends a test event's delivery now, once: through the target's transform, then records the
   * attempt (or the skip). A test is not retried and does not count towards the target's circuit
   * breaker or auto-disable clock.
   */
  async sendTest(
    target: TargetSnapshot,
    event: EventSnapshot,
    body: Buffer,
    deliveryId: string,
  ): Promise<TestOutcome> {
    const startedAt = new Date();
    const start = performance.now();
    const prepared = await this.prepare(target, event, body);
    if (prepared.kind === 'skip') {
      this.metrics.deliveriesSkipped.inc({ reason: 'transform' });
      await this.writer.update({
        deliveryId,
        status: 'skipped',
        attemptCount: 0,
        nextAttemptAt: null,
        keepLease: false,
        recordOutcome: false,
        lastStatusCode: null,
        lastError: null,
      });
      return { status: 'skipped', attempt: null };
    }
    const outcome =
      prepared.kind === 'error'
        ? { ok: false, statusCode: null, responseExcerpt: null, error: prepared.error }
        : await this.send(target, event, body, prepared.request);
    const durationMs = Math.round(performance.now() - start);
    const status = outcome.ok ? 'delivered' : 'failed';
    this.metrics.attempts.inc({ target_type: target.type, outcome: status });
    await this.writer.recordResult(
      {
        deliveryId,
        webhookId: event.webhookId,
        attemptNumber: 1,
        startedAt,
        durationMs,
        statusCode: outcome.statusCode,
        responseExcerpt: outcome.responseExcerpt,
        error: outcome.error,
      },
      {
        deliveryId,
        status,
        attemptCount: 1,
        nextAttemptAt: null,
        keepLease: false,
        recordOutcome: true,
        lastStatusCode: outcome.statusCode,
        lastError: outcome.error,
      },
    );
    return {
      status,
      attempt: {
        statusCode: outcome.statusCode,
        durationMs,
        responseExcerpt: outcome.responseExcerpt,
        error: outcome.error,
      },
    };
  }

  /**
   * The request an `http` target is sent: the event as received, or what the target's transform
   * makes of it (a transform returning null skips the delivery; one that fails fails the attempt).
   */
  private async prepare(
    target: TargetSnapshot,
    event: EventSnapshot,
    body: Buffer,
  ): Promise<PreparedAttempt> {
    if (target.type !== 'http') return { kind: 'send', request: null };
    if (!target.transform) return { kind: 'send', request: outboundRequest(target, event, body) };
    const result = await this.transforms.run(
      target.id,
      target.transform,
      { ...event, body },
      { owner: target.ownerId },
    );
    this.metrics.transformDuration.observe(result.durationMs / 1000);
    switch (result.kind) {
      case 'skip':
        return { kind: 'skip' };
      case 'error':
        return { kind: 'error', error: `transform: ${result.error}` };
      case 'request':
        return { kind: 'send', request: outboundRequest(target, event, body, result.request) };
    }
  }

  private async send(
    target: TargetSnapshot,
    event: EventSnapshot,
    body: Buffer,
    request: OutboundRequest | null,
  ): Promise<AttemptOutcome> {
    try {
      switch (target.type) {
        case 'http':
          return await this.http.send(target, event.id, request!);
        case 'database':
          await this.query(
            `INSERT INTO archived_events
               (event_id, webhook_id, target_id, method, path, query, headers, body, content_type, source_ip, received_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
             ON CONFLICT (event_id, target_id) DO NOTHING`,
            [
              event.id,
              event.webhookId,
              target.id,
              event.method,
              event.path,
              event.query,
              event.headers,
              body,
              event.contentType,
              event.sourceIp,
              event.receivedAt,
            ],
          );
          return { ok: true, statusCode: null, responseExcerpt: null, error: null };
        case 'log':
          this.eventLogger.log({
            msg: 'webhook event',
            eventId: event.id,
            webhookId: event.webhookId,
            targetId: target.id,
            method: event.method,
            path: event.path,
            query: event.query,
            headers: redactCredentials(event.headers),
            contentType: event.contentType,
            receivedAt: event.receivedAt,
            ...encodeBody(body),
          });
          return { ok: true, statusCode: null, responseExcerpt: null, error: null };
      }
    } catch (error) {
      return { ok: false, statusCode: null, responseExcerpt: null, error: (error as Error).message };
    }
  }

  /**
   * A retry may wait in memory when it is due soon and the in-memory budget allows (counted as every
   * room check counts it: the deliveries held, admitted ones included).
   */
  private canHold(delayMs: number): boolean {
    return !this.stopping && delayMs <= LOCAL_RETRY_HORIZON_MS && this.held.belowMaxDeliveries;
  }

  /** The circuit is open: no attempt, no retry spent; try again when the cooldown ends. */
  private reschedule(task: DeliveryTask, at: number): void {
    const hold = this.canHold(at - Date.now());
    this.persist(
      this.writer.update({
        deliveryId: task.deliveryId,
        status: task.attemptCount === 0 ? 'pending' : 'retrying',
        attemptCount: task.attemptCount,
        nextAttemptAt: new Date(at),
        keepLease: hold,
        recordOutcome: false,
        lastStatusCode: null,
        lastError: null,
      }),
    );
    if (hold) this.timers.add(at, task);
    else this.release(task.deliveryId);
  }

  /**
   * The target is paused (deactivated) or deleted: the delivery leaves memory and waits as
   * `paused` (a deleted target's deliveries are already `cancelled`, which the write keeps).
   */
  private pause(task: DeliveryTask): void {
    this.release(task.deliveryId);
    this.persist(
      this.writer.update({
        deliveryId: task.deliveryId,
        status: 'paused',
        attemptCount: task.attemptCount,
        nextAttemptAt: null,
        keepLease: false,
        recordOutcome: false,
        lastStatusCode: null,
        lastError: null,
      }),
    );
  }

  /** The target's transform returned null: the delivery is `skipped` (reason `transform`), without an attempt. */
  private skip(task: DeliveryTask): void {
    this.release(task.deliveryId);
    this.metrics.deliveriesSkipped.inc({ reason: 'transform' });
    this.persist(
      this.writer.update({
        deliveryId: task.deliveryId,
        status: 'skipped',
        attemptCount: task.attemptCount,
        nextAttemptAt: null,
        keepLease: false,
        recordOutcome: false,
        lastStatusCode: null,
        lastError: null,
      }),
    );
  }

  private cancel(task: DeliveryTask, reason: string): void {
    this.release(task.deliveryId);
    this.persist(
      this.writer.update({
        deliveryId: task.deliveryId,
        status: 'cancelled',
        attemptCount: task.attemptCount,
        nextAttemptAt: null,
        keepLease: false,
        recordOutcome: true,
        lastStatusCode: null,
        lastError: reason,
      }),
    );
  }

  private successDue(targetId: string): boolean {
    const now = Date.now();
    if (now - (this.successWrittenAt.get(targetId) ?? 0) < SUCCESS_WRITE_INTERVAL_MS) return false;
    this.successWrittenAt.set(targetId, now);
    return true;
  }

  private countOutcome(targetId: string, ok: boolean, at = new Date()): void {
    const outcome = { targetId, ok, at };
    const breaker = this.breakers.get(targetId);
    breaker?.pending(outcome);
    this.persist(this.healthWriter.submit(outcome).finally(() => breaker?.settled(outcome)));
  }

  /** Counts outcomes on the target rows and takes back the state of record (other replicas' outcomes too). */
  private async writeOutcomes(outcomes: TargetOutcome[]): Promise<void> {
    const health = await this.targetHealth.recordOutcomes(
      summarizeOutcomes(outcomes),
      RETRY_POLICY.circuitFailureThreshold,
      this.config.circuitCooldownMs,
    );
    for (const outcome of outcomes) this.breakers.get(outcome.targetId)?.settled(outcome);
    for (const h of health) {
      this.breakers.get(h.targetId)?.sync(h);
      if (h.circuit) {
        this.emitter.emit(OPERATIONAL_EVENT, {
          type: h.circuit === 'opened' ? 'target.circuit_opened' : 'target.circuit_closed',
          webhookId: h.webhookId,
          occurredAt: new Date(),
          data: {
            targetId: h.targetId,
            consecutiveFailures: h.consecutiveFailures,
            circuitOpenUntil: h.circuitOpenUntil,
          },
        } satisfies OperationalEvent);
      }
    }
  }

  /** The cooldown is over: probe only if this replica is the one that claims the probe. */
  private async claimProbe(target: TargetSnapshot, breaker: CircuitBreaker): Promise<Admission> {
    const { probe, health } = await this.targetHealth.claimProbe(
      target.id,
      RETRY_POLICY.circuitFailureThreshold,
      this.config.circuitCooldownMs,
    );
    breaker.sync(health);
    if (probe) return { kind: 'attempt' };
    const admission = breaker.admit();
    return admission.kind === 'probe'
      ? { kind: 'open', until: new Date(Date.now() + RETRY_POLICY.initialDelayMs) }
      : admission;
  }

  private checkAutoDisable(target: TargetSnapshot, breaker: CircuitBreaker | undefined): void {
    const since = breaker?.failingSinceTime;
    if (since && Date.now() - since.getTime() >= this.config.autoDisableAfterHours * 3_600_000) {
      this.disable(target, `every attempt failed for ${this.config.autoDisableAfterHours} hours`);
    }
  }

  /** Pauses a target on webhooker's own decision: its waiting deliveries are kept, `paused`. */
  private disable(target: TargetSnapshot, reason: string): void {
    this.adoptSnapshot({ ...target, active: false }, ++this.snapshotReads);
    for (const task of this.dispatcher.takeWaiting(target.id)) this.pause(task);
    this.persist(
      this.targetHealth
        .disable(target.id, reason)
        .then(() => this.deliveries.pauseWaiting(target.id))
        .then(() => undefined),
    );
  }

  /**
   * Claims due deliveries whose lease expired (crash recovery, other replicas, the table's retries,
   * backlogged targets that drained). A sweep asked for while one runs follows it.
   */
  private sweep(): void {
    if (this.stopping) return;
    if (this.sweeping) {
      this.sweepAgain = true;
      return;
    }
    this.sweeping = this.claimDue()
      .catch((error) => this.logger.error(`Sweep failed: ${error}`))
      .finally(() => {
        this.sweeping = undefined;
        if (this.sweepAgain) {
          this.sweepAgain = false;
          this.sweep();
        }
      });
  }

  private async claimDue(): Promise<void> {
    for (;;) {
      if (this.stopping) return;
      const capacity = Math.min(SWEEP_BATCH, this.held.claimCapacity());
      const rooms = this.held.claimRooms();
      const claimed = await this.query<ClaimedRow>(CLAIM_DUE, [
        capacity,
        this.config.leaseMs,
        this.instanceId,
        plainArray(rooms.targetIds),
        plainArray(rooms.targetRooms),
        TASKS_PER_CONCURRENCY,
        HTTP_TARGET_DEFAULTS.concurrency,
        plainArray(rooms.ownerIds),
        plainArray(rooms.ownerRooms),
        plainArray(rooms.newTargetShares),
        plainArray(rooms.newTargetBytesRooms),
        rooms.newOwnerRoom,
        rooms.newOwnerTargetShare,
        rooms.newOwnerTargetBytesRoom,
      ]);
      if (claimed.length === 0) return;
      const read = ++this.snapshotReads;
      const [events, targets] = await Promise.all([
        this.events.snapshots([...new Set(claimed.map((row) => row.event_id))]),
        this.targetHealth.snapshots([...new Set(claimed.map((row) => row.target_id))]),
      ]);
      for (const snapshot of targets.values()) this.adoptSnapshot(snapshot, read);
      for (const row of claimed) {
        const event = events.get(row.event_id);
        const target = this.targets.get(row.target_id);
        const task: DeliveryTask = {
          deliveryId: row.id,
          target: target ?? ({ id: row.target_id, ownerId: '', active: false } as TargetSnapshot),
          event: event ?? ({ id: row.event_id } as EventSnapshot),
          attemptCount: row.attempt_count,
          replayBase: row.replay_base,
        };
        if (!event) this.cancel(task, 'event was deleted');
        else if (!target) this.cancel(task, 'target was deleted');
        else if (!target.active) this.pause(task);
        else {
          this.take(task);
          if (!this.held.hasRoomFor(task.target, task.event)) this.backlogged.add(task.target.id);
        }
      }
      if (claimed.length < capacity) return;
    }
  }

  /** Clears the leases this instance holds (but those of `except`, attempts that would not end), so any sweep can take the work at once. */
  private async releaseOwnLeases(except: string[] = []): Promise<void> {
    await this.query(
      `UPDATE deliveries SET lease_expires_at = NULL, leased_by = NULL
       WHERE leased_by = $1 AND status IN ('pending', 'retrying') AND NOT id = ANY($2::uuid[])`,
      [this.instanceId, except],
    );
  }

  private renewLeases(): void {
    if (this.stopping) return;
    if (this.held.size === 0) return;
    this.query(
      `UPDATE deliveries SET lease_expires_at = now() + make_interval(secs => $2::float8 / 1000)
       WHERE id = ANY($3::uuid[]) AND leased_by = $1 AND status IN ('pending', 'retrying')`,
      [this.instanceId, this.config.leaseMs, plainArray([...this.held.deliveryIds()])],
    ).catch((error) => this.logger.error(`Renewing leases failed: ${error}`));
  }

  private async query<T>(text: string, values: unknown[]): Promise<T[]> {
    return (await pgPool(this.dataSource).query(text, values)).rows as T[];
  }

  /**
   * A write that failed is logged. The delivery is no longer held, so its lease is not renewed:
   * it runs out and the sweep takes the delivery again.
   */
  private persist(write: Promise<void>): void {
    write.catch((error) => this.logger.error(`Writing delivery state failed: ${error}`));
  }
}
