import { parentPort, workerData } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import {
  CompiledTransform,
  TransformInput,
  TransformLimits,
  TransformResult,
  TransformSandbox,
} from './transform-sandbox';

/** Compiled transforms a worker keeps (least recently used ones are freed first). */
const MAX_COMPILED = 32;

/** Runs made at start so that the engine's code is warm (compiled by V8) before any limit counts. */
const WARM_UP_RUNS = 50;
const WARM_UP_TIMEOUT_MS = 10_000;
const WARM_UP_SOURCE = 'function handler(request) { request.body.seen = true; return request; }';

/** A job for a worker: compile `source` (cached under `key` unless `fresh`), run it on `input` if given. */
export interface TransformJob {
  id: number;
  key: string;
  source: string;
  input: TransformInput | null;
  fresh: boolean;
}

/** A worker's answer: the result of the run (or of the compile alone), and how long the job took. */
export interface TransformAnswer {
  id: number;
  result: TransformResult | { kind: 'compiled' };
  durationMs: number;
}

export interface TransformWorkerData {
  file: string;
  limits: TransformLimits;
}

/**
 * The body of a transform worker thread: compiles and runs transforms one job at a time, keeping
 * the compiled ones it ran last. The pool stops the thread when a job outlasts its limits.
 */
async function serve(): Promise<void> {
  const port = parentPort!;
  const sandbox = await TransformSandbox.load((workerData as TransformWorkerData).limits);
  const compiled = new Map<string, CompiledTransform>();
  warmUp(sandbox);

  const transformFor = (job: TransformJob): CompiledTransform => {
    const cached = job.fresh ? undefined : compiled.get(job.key);
    if (cached) {
      compiled.delete(job.key);
      compiled.set(job.key, cached);
      return cached;
    }
    const transform = sandbox.compile(job.source);
    if (job.fresh) return transform;
    compiled.set(job.key, transform);
    if (compiled.size > MAX_COMPILED) {
      const [oldestKey, oldest] = compiled.entries().next().value!;
      compiled.delete(oldestKey);
      oldest.dispose();
    }
    return transform;
  };

  port.on('message', (job: TransformJob) => {
    const started = performance.now();
    let result: TransformAnswer['result'];
    try {
      const transform = transformFor(job);
      result = job.input ? transform.run(job.input) : { kind: 'compiled' };
      if (job.fresh) transform.dispose();
    } catch (error) {
      result = { kind: 'error', error: (error as Error).message, logs: [] };
    }
    port.postMessage({
      id: job.id,
      result,
      durationMs: performance.now() - started,
    } satisfies TransformAnswer);
  });
  port.postMessage('ready');
}

function warmUp(sandbox: TransformSandbox): void {
  const input: TransformInput = {
    method: 'POST',
    path: '/',
    query: {},
    headers: { 'content-type': 'application/json' },
    bodyText: JSON.stringify({ type: 'warm-up', items: Array.from({ length: 20 }, (_, i) => ({ i })) }),
    bodyIsJson: true,
  };
  // The engine's code is cold (and the machine may be busy): the warm-up has time enough.
  const limits = { ...sandbox.limits, timeoutMs: WARM_UP_TIMEOUT_MS };
  for (let round = 0; round < 5; round++) {
    const transform = sandbox.compile(WARM_UP_SOURCE, limits);
    for (let run = 0; run < WARM_UP_RUNS / 5; run++) transform.run(input);
    transform.dispose();
  }
}

void serve();
