import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { TransformInput, TransformLimits, TransformResult } from './transform-sandbox';
import type { TransformAnswer, TransformJob, TransformWorkerData } from './transform-worker';

/** Over its limits, a job gets this much more before its worker is stopped (start-up, messaging). */
const WATCHDOG_GRACE_MS = 1_000;
/** Jobs waiting for a worker at most; more fail at once. */
const MAX_WAITING_JOBS = 10_000;

const WORKER_FILE = path.join(__dirname, `transform-worker${path.extname(__filename)}`);

/**
 * Run from sources (under jest): the worker compiles its TypeScript with swc on load. Built
 * (dist), it is plain JavaScript and this is not used.
 */
const SOURCE_BOOTSTRAP = `
const { workerData } = require('node:worker_threads');
const { transformFileSync } = require('@swc/core');
require.extensions['.ts'] = (module, filename) =>
  module._compile(
    transformFileSync(filename, { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } }).code,
    filename,
  );
require(workerData.file);
`;

export type PoolResult = (TransformResult | { kind: 'compiled' }) & { durationMs: number };

interface Pending {
  job: TransformJob;
  /** A preview or a check on save, not a delivery. */
  trial: boolean;
  resolve: (result: PoolResult) => void;
}

/**
 * Deliveries' jobs waiting, one FIFO queue per owner of the targets (a tenant); the owners take
 * turns, so one user's many slow transforms cannot keep everyone else's waiting behind them.
 */
class OwnerQueues {
  private readonly queues = new Map<string, Pending[]>();
  /** Owners with jobs waiting, in turn order. */
  private turns: string[] = [];
  size = 0;

  push(owner: string, pending: Pending): void {
    let queue = this.queues.get(owner);
    if (!queue) {
      queue = [];
      this.queues.set(owner, queue);
      this.turns.push(owner);
    }
    queue.push(pending);
    this.size++;
  }

  /** The oldest job of the owner whose turn it is. */
  shift(): Pending | undefined {
    const owner = this.turns.shift();
    if (owner === undefined) return undefined;
    const queue = this.queues.get(owner)!;
    const pending = queue.shift()!;
    if (queue.length > 0) this.turns.push(owner);
    else this.queues.delete(owner);
    this.size--;
    return pending;
  }

  /** Every job waiting; the queues are left empty. */
  drain(): Pending[] {
    const all = [...this.queues.values()].flat();
    this.queues.clear();
    this.turns = [];
    this.size = 0;
    return all;
  }
}

interface Slot {
  worker: Worker;
  ready: boolean;
  /** Resolved when the worker is ready for jobs (or gone). */
  started: Promise<void>;
  markStarted: () => void;
  busy: Pending | null;
  watchdog?: NodeJS.Timeout;
}

/**
 * Worker threads running transforms (see TransformSandbox), so the event loop never waits for
 * user code: QuickJS interrupts a run at its time limit, and a run that does not stop (a native
 * operation or the collector working on a full heap are not interruptible) has its thread stopped
 * by a watchdog and replaced. Trials (previews, checks on save) never take every worker: with
 * two or more, one is always left to deliveries, which go first.
 */
export class TransformPool {
  private readonly slots: Slot[] = [];
  /** Deliveries' jobs waiting, by owner. */
  private readonly waiting = new OwnerQueues();
  /** Trials' jobs waiting, oldest first. */
  private readonly trials: Pending[] = [];
  private trialsRunning = 0;
  /** A worker failed before it was ready: no other is started until the next job comes. */
  private startFailed = false;
  private nextId = 1;
  private closed = false;

  constructor(
    private readonly limits: TransformLimits,
    private readonly size: number,
  ) {}

  /**
   * Runs the transform `source` (compiled once per `key`) on `input`; `fresh` compiles it for this
   * run only; `trial` for a preview; `owner`, for a delivery, is whose turn among the owners it takes.
   */
  run(
    key: string,
    source: string,
    input: TransformInput,
    { fresh = false, trial = false, owner = '' } = {},
  ): Promise<PoolResult> {
    return this.submit({ id: this.nextId++, key, source, input, fresh }, trial, owner);
  }

  /** Compiles `source` alone (a trial): the error of a source that does not compile, or null. */
  async check(source: string): Promise<string | null> {
    const result = await this.submit({ id: this.nextId++, key: '', source, input: null, fresh: true }, true);
    return result.kind === 'error' ? result.error : null;
  }

  /** Starts the workers (they start with the first job otherwise) and waits until they are ready. */
  async start(): Promise<void> {
    this.startFailed = false;
    this.pump();
    await Promise.all(this.slots.map((slot) => slot.started));
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const pending of [...this.waiting.drain(), ...this.trials.splice(0)]) {
      pending.resolve(failure('the sandbox is shutting down'));
    }
    await Promise.all(this.slots.splice(0).map((slot) => this.stop(slot)));
  }

  private submit(job: TransformJob, trial: boolean, owner = ''): Promise<PoolResult> {
    if (this.closed) return Promise.resolve(failure('the sandbox is shutting down'));
    if ((trial ? this.trials.length : this.waiting.size) >= MAX_WAITING_JOBS)
      return Promise.resolve(failure('too many transforms waiting; try again later'));
    this.startFailed = false;
    return new Promise((resolve) => {
      if (trial) this.trials.push({ job, trial, resolve });
      else this.waiting.push(owner, { job, trial, resolve });
      this.pump();
    });
  }

  /**
   * The next job to start: deliveries first, the owners taking turns; a trial while trials hold
   * fewer than all workers but one.
   */
  private next(): Pending | undefined {
    if (this.waiting.size > 0) return this.waiting.shift();
    if (this.trials.length > 0 && this.trialsRunning < Math.max(1, this.size - 1)) return this.trials.shift();
    return undefined;
  }

  private pump(): void {
    // Every worker is started with the first job (and replaced at once), so none starts cold when needed.
    while (!this.startFailed && this.slots.length < this.size) this.slots.push(this.spawn());
    for (const slot of this.slots) {
      if (!slot.ready || slot.busy) continue;
      const pending = this.next();
      if (!pending) return;
      this.begin(slot, pending);
    }
  }

  private spawn(): Slot {
    const fromSources = WORKER_FILE.endsWith('.ts');
    const worker = new Worker(fromSources ? SOURCE_BOOTSTRAP : WORKER_FILE, {
      eval: fromSources,
      workerData: { file: WORKER_FILE, limits: this.limits } satisfies TransformWorkerData,
    });
    let markStarted!: () => void;
    const started = new Promise<void>((resolve) => (markStarted = resolve));
    const slot: Slot = { worker, ready: false, busy: null, started, markStarted };
    worker.on('message', (message: TransformAnswer | 'ready') => {
      if (message === 'ready') {
        slot.ready = true;
        slot.markStarted();
      } else if (slot.busy && slot.busy.job.id === message.id) {
        clearTimeout(slot.watchdog);
        const { resolve } = this.finish(slot);
        resolve({ ...message.result, durationMs: message.durationMs });
      }
      this.pump();
    });
    worker.on('error', (error) => this.replace(slot, `sandbox failure: ${error.message}`));
    worker.on('exit', () => this.replace(slot, 'sandbox failure: the worker stopped'));
    worker.unref();
    return slot;
  }

  private begin(slot: Slot, pending: Pending): void {
    slot.busy = pending;
    if (pending.trial) this.trialsRunning++;
    slot.watchdog = setTimeout(
      () => this.replace(slot, `interrupted after ${this.limits.timeoutMs} ms`),
      2 * this.limits.timeoutMs + WATCHDOG_GRACE_MS,
    );
    slot.worker.postMessage(pending.job);
  }

  /** Fails the slot's job with `error`, stops its worker and starts another when work waits. */
  private replace(slot: Slot, error: string): void {
    const index = this.slots.indexOf(slot);
    if (index === -1) return;
    this.slots.splice(index, 1);
    clearTimeout(slot.watchdog);
    if (slot.busy) {
      this.finish(slot).resolve({
        ...failure(error),
        durationMs: 2 * this.limits.timeoutMs + WATCHDOG_GRACE_MS,
      });
    }
    slot.markStarted();
    void this.stop(slot);
    // A worker that failed before it was ready fails what waits (no endless restarts); the next job starts another.
    if (!slot.ready) {
      this.startFailed = true;
      for (const pending of [...this.waiting.drain(), ...this.trials.splice(0)])
        pending.resolve(failure(error));
    }
    if (!this.closed) this.pump();
  }

  /** Frees the slot of its job; returns the job. */
  private finish(slot: Slot): Pending {
    const pending = slot.busy!;
    slot.busy = null;
    if (pending.trial) this.trialsRunning--;
    return pending;
  }

  private async stop(slot: Slot): Promise<void> {
    clearTimeout(slot.watchdog);
    slot.worker.removeAllListeners();
    slot.worker.on('error', () => undefined);
    await slot.worker.terminate();
  }
}

function failure(error: string): PoolResult {
  return { kind: 'error', error, logs: [], durationMs: 0 };
}
