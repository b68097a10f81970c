// webhooker benchmark (`npm run bench`, after `nx run api:build`): see bench/README.md.
//
//   node bench/run.mjs [--quick] [--runs=N] [--duration=SECONDS] [--only=reference,ingest,...]
//                      [--rate=EVENTS_PER_S] [--cpu-prof] [--pg-stats] [--drop-index=NAME,...] [--keep]
import console from 'node:console';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import process from 'node:process';
import { parseArgs } from 'node:util';
import { cleanupAll, forkServer, memoryCgroup, onCleanup, waitForQuiet } from './lib/procs.mjs';
import { describeMachine, machineFacts, markdownTable, runLine, tableRows, TARGETS } from './lib/report.mjs';
import * as scenarios from './lib/scenarios.mjs';
import { median } from './lib/stats.mjs';
import { soak } from './lib/soak.mjs';
import { snapshotBuild } from './lib/webhooker.mjs';

const BENCH_DIR = import.meta.dirname;
const SCENARIOS = [
  'reference',
  'api',
  'ingest',
  'verified',
  'dedup',
  'filters',
  'latency',
  'fanout',
  'transforms',
  'drain',
];
const USAGE = `Usage: node bench/run.mjs [options]   (build first: npx nx run api:build)

  --quick              1 run of each scenario, shorter loads (to try it out)
  --runs=N             runs per scenario (default 3; the table shows medians)
  --duration=SECONDS   length of the fixed-duration loads (default 10, quick 3)
  --only=LIST          scenarios to run, comma-separated: ${SCENARIOS.join(', ')}
  --rate=N             events/s for the latency scenario (default: half the measured ingest rate)
  --cpu-prof           write V8 CPU profiles of webhooker to bench/results/profiles/
  --pg-stats           load pg_stat_statements into webhooker's PostgreSQL (webhooker is started
                       twice) and record the statements of each run in the JSON
  --drop-index=LIST    drop these indexes from webhooker's database before each run (to measure
                       what they cost), comma-separated
  --soak               instead of the scenarios: sustained load at 60 % of the measured capacity,
                       delivering to 2 targets, sampling the tables every 10 s (bench/results/soak.json)
  --soak-minutes=N     length of the soak (default 10)
  --env=LIST           extra settings for webhooker, comma-separated NAME=VALUE pairs (to measure
                       what a setting changes, e.g. --env=SEARCH_INDEX_INTERVAL_MS=600000)
  --memory-limit=MB    start webhooker (and its embedded PostgreSQL) in a memory cgroup of that size,
                       as a container limited to it would (needs root or a delegated cgroup)
  --keep               keep the temporary data folders of webhooker
  --help               this text`;

/** `NAME=VALUE,NAME=VALUE` as an object. */
function settingsList(list) {
  if (!list) return {};
  return Object.fromEntries(
    list.split(',').map((pair) => {
      const match = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(pair.trim());
      if (!match) throw new Error(`--env: "${pair}" is not NAME=VALUE`);
      return [match[1], match[2]];
    }),
  );
}

function options() {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      runs: { type: 'string' },
      duration: { type: 'string' },
      only: { type: 'string' },
      rate: { type: 'string' },
      'cpu-prof': { type: 'boolean', default: false },
      'pg-stats': { type: 'boolean', default: false },
      'drop-index': { type: 'string' },
      soak: { type: 'boolean', default: false },
      'soak-minutes': { type: 'string' },
      keep: { type: 'boolean', default: false },
      'memory-limit': { type: 'string' },
      env: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  if (values.soak && values['memory-limit'])
    throw new Error('--memory-limit applies to the scenarios, not to --soak');
  const only = values.only ? values.only.split(',').map((s) => s.trim()) : SCENARIOS;
  const unknown = only.filter((name) => !SCENARIOS.includes(name));
  if (unknown.length) throw new Error(`unknown scenario ${unknown.join(', ')}; choose from ${SCENARIOS}`);
  const number = (name, value) => {
    const n = Number(value);
    if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number`);
    return n;
  };
  const quick = values.quick;
  // The latency scenario runs at half the ingest rate: it needs the ingest runs unless --rate is given.
  const selected = new Set(only);
  if (selected.has('latency') && !values.rate) selected.add('ingest');
  return {
    quick,
    runs: values.runs ? Math.round(number('runs', values.runs)) : quick ? 1 : 3,
    durationMs: (values.duration ? number('duration', values.duration) : quick ? 3 : 10) * 1000,
    scenarios: SCENARIOS.filter((name) => selected.has(name)),
    latencyRate: values.rate ? number('rate', values.rate) : undefined,
    warmupEvents: quick ? 500 : 2000,
    fanoutWarmupEvents: quick ? 100 : 300,
    fanoutEvents: quick ? 1000 : 3000,
    backlogEvents: quick ? 1000 : 2000,
    sendReferenceDeliveries: quick ? 10_000 : 30_000,
    cpuProfileDir: values['cpu-prof'] ? path.join(BENCH_DIR, 'results', 'profiles') : undefined,
    pgStats: values['pg-stats'],
    dropIndexes: values['drop-index'] ? values['drop-index'].split(',').map((s) => s.trim()) : [],
    keep: values.keep,
    memoryLimitMb: values['memory-limit']
      ? Math.round(number('memory-limit', values['memory-limit']))
      : undefined,
    webhookerEnv: settingsList(values.env),
    soakMinutes: values.soak
      ? values['soak-minutes']
        ? number('soak-minutes', values['soak-minutes'])
        : 10
      : undefined,
    // waiting for a quiet machine: at most this long before a run, and this long in all
    quietWaitMs: quick ? 10_000 : 30_000,
    quietBudgetMs: quick ? 20_000 : 60_000,
  };
}

const METRICS = [
  'rate',
  'p50',
  'p99',
  'peakRssBytes',
  'setupPeakRssBytes',
  'unfilteredRate',
  'share',
  'untransformedRate',
  'transformShare',
  'sandboxP50',
  'sandboxP99',
  'refRate',
  'refP50',
  'refP99',
  'refRssBytes',
  'ratio',
  'p50Ratio',
  'p99Ratio',
  'rssRatio',
  'sendRefRate',
  'sendShare',
  'boundRate',
  'boundRatio',
  'recordRefRate',
  'recordShare',
  'queueRefRate',
  'queueShare',
];
/**
 * Scenarios measured against the durable reference: each run is preceded by a round of it (the
 * same closed-loop load; for `latency`, the same paced rate), and its figures are divided by that
 * round's. The table shows the median of these per-pair ratios (adjacent rounds share the
 * machine's state of the moment, which moves 2–3× between runs), not the ratio of the medians.
 */
const PAIRED = new Set(['api', 'ingest', 'latency', 'fanout', 'drain']);
/**
 * Scenarios that deliver, each run also preceded by a round of the send reference (the same
 * deliveries, signed, with webhooker's HTTP client, nothing stored): the deliveries it sends.
 */
const SEND_PAIRED = {
  ingest: (ctx) => ({ deliveries: ctx.sendReferenceDeliveries, targets: 1 }),
  fanout: (ctx) => ({ deliveries: ctx.fanoutEvents * 10, targets: 10 }),
  drain: (ctx) => ({ deliveries: ctx.backlogEvents * 10, targets: 10 }),
};
/**
 * Scenarios whose target is deliveries/s, each run also preceded by a record round: the send
 * reference's deliveries, each also leaving one durable attempt row — the least a delivery with an
 * attempt history costs, and so the most deliveries/s any such gateway reaches on these cores.
 */
const RECORD_PAIRED = new Set(['fanout', 'drain']);
/**
 * Scenarios each run of which is also preceded by a round of the queue reference (the event flow
 * and nothing else: an event row and a delivery row per target at ingest, then the send, an attempt
 * row and the delivery's new state), under the scenario's load: what this design allows on these
 * cores, whatever the gateway around it.
 */
const QUEUE_PAIRED = {
  api: (ctx) => ({ mode: 'ingest', targets: 1, warmupEvents: ctx.warmupEvents }),
  ingest: (ctx) => ({ mode: 'deliver', targets: 1, warmupEvents: ctx.warmupEvents }),
  fanout: (ctx) => ({
    mode: 'deliver',
    targets: 10,
    warmupEvents: ctx.fanoutWarmupEvents,
    amount: ctx.fanoutEvents,
  }),
};
/** Other work above this many cores before or during a run makes it "disturbed" (reported). */
const QUIET_CORES = 0.25;
/** Disturbed runs are run again only this long into the bench, and this many times in all. */
const RETRY_BUDGET_MS = 4 * 60_000;
const MAX_RETRIES = 5;

function medians(runs) {
  const valid = runs.filter((run) => run.valid);
  const result = {};
  for (const key of METRICS) {
    const value = median(valid.map((run) => run.metrics[key]));
    if (value !== undefined) result[key] = value;
  }
  return result;
}

/**
 * Keeps a reference round's figures in a run's details (under `key`); a void round voids the run,
 * its reasons prefixed with `label`. Returns whether the round was valid.
 */
function attachRound(outcome, key, label, round) {
  outcome.details[key] = { ...round.metrics, ...round.details };
  if (round.valid) return true;
  outcome.valid = false;
  outcome.reasons.push(...round.reasons.map((reason) => `${label}: ${reason}`));
  return false;
}

/** Adds the durable reference round's figures to a run, and the run's ratios to them. */
function pair(outcome, reference) {
  if (!attachRound(outcome, 'durableReference', 'durable reference', reference)) return;
  const m = outcome.metrics;
  const ref = reference.metrics;
  Object.assign(m, { refRate: ref.rate, refP50: ref.p50, refP99: ref.p99, refRssBytes: ref.peakRssBytes });
  if (m.rate !== undefined) m.ratio = m.rate / ref.rate;
  if (m.p50 !== undefined) m.p50Ratio = m.p50 / ref.p50;
  if (m.p99 !== undefined) m.p99Ratio = m.p99 / ref.p99;
  if (m.peakRssBytes !== undefined) m.rssRatio = m.peakRssBytes / ref.peakRssBytes;
}

/** Adds the record round's rate to a run, and the run's share of it. */
function pairRecord(outcome, recordReference) {
  if (!attachRound(outcome, 'recordReference', 'record reference', recordReference)) return;
  const m = outcome.metrics;
  m.recordRefRate = recordReference.metrics.rate;
  if (m.rate !== undefined) m.recordShare = m.rate / m.recordRefRate;
}

/** Adds the queue round's rate to a run, and the run's share of it. */
function pairQueue(outcome, queueReference) {
  if (!attachRound(outcome, 'queueReference', 'queue reference', queueReference)) return;
  const m = outcome.metrics;
  m.queueRefRate = queueReference.metrics.rate;
  if (m.rate !== undefined) m.queueShare = m.rate / m.queueRefRate;
}

/**
 * Adds the send reference round's rate to a run: for fan-out and drain the run's share of it; for
 * ingest while delivering, the bound that the two references make together on these cores (an
 * event costs at least a durable commit plus a send: 1 / (1/durable + 1/send) events/s) and that
 * bound as a ratio to the durable reference.
 */
function pairSend(name, outcome, sendReference) {
  if (!attachRound(outcome, 'sendReference', 'send reference', sendReference)) return;
  const m = outcome.metrics;
  m.sendRefRate = sendReference.metrics.rate;
  if (name !== 'ingest') {
    if (m.rate !== undefined) m.sendShare = m.rate / m.sendRefRate;
    return;
  }
  if (m.refRate === undefined) return;
  m.boundRate = 1 / (1 / m.refRate + 1 / m.sendRefRate);
  m.boundRatio = m.boundRate / m.refRate;
  if (m.rate !== undefined) m.sendShare = m.rate / m.boundRate;
}

/** One run of a scenario, after waiting (bounded) for the machine to be quiet. */
async function measure(name, ctx) {
  const waitStartedAt = Date.now();
  const busyBefore = await waitForQuiet({
    maxBusyCores: QUIET_CORES,
    maxMs: Math.min(ctx.quietWaitMs, ctx.quietBudgetMs),
  });
  ctx.quietBudgetMs = Math.max(0, ctx.quietBudgetMs - (Date.now() - waitStartedAt));
  if (busyBefore > QUIET_CORES) {
    console.log(`  (the machine is busy with ${busyBefore.toFixed(2)} cores of other work; running anyway)`);
  }
  let outcome;
  let reference;
  let sendReference;
  let recordReference;
  let queueReference;
  const loadBefore = os.loadavg()[0];
  try {
    if (PAIRED.has(name)) {
      reference = await scenarios.durableRound(ctx, name === 'latency' ? { rate: ctx.latencyRate } : {});
    }
    if (SEND_PAIRED[name]) sendReference = await scenarios.sendRound(ctx, SEND_PAIRED[name](ctx));
    if (RECORD_PAIRED.has(name)) {
      recordReference = await scenarios.sendRound(ctx, { ...SEND_PAIRED[name](ctx), record: true });
    }
    if (QUEUE_PAIRED[name]) queueReference = await scenarios.queueRound(ctx, QUEUE_PAIRED[name](ctx));
    outcome = await scenarios[name](ctx);
  } catch (error) {
    outcome = { valid: false, reasons: [`failed: ${error.message}`], metrics: {}, details: {} };
  }
  if (reference) pair(outcome, reference);
  if (sendReference) pairSend(name, outcome, sendReference);
  if (recordReference) pairRecord(outcome, recordReference);
  if (queueReference) pairQueue(outcome, queueReference);
  outcome.details.loadAverage = [loadBefore, os.loadavg()[0]].map((n) => Math.round(n * 100) / 100);
  outcome.details.otherCoresBefore = Math.round(busyBefore * 100) / 100;
  outcome.disturbed = busyBefore > QUIET_CORES || (outcome.details.cpuCores?.other ?? 0) > QUIET_CORES;
  return outcome;
}

async function main() {
  const settings = options();
  onCleanup(snapshotBuild());
  if (settings.soakMinutes) {
    const sink = await forkServer(path.join(BENCH_DIR, 'servers', 'sink.mjs'));
    const code = await soak({
      sink,
      minutes: settings.soakMinutes,
      resultsDir: path.join(BENCH_DIR, 'results'),
      keep: settings.keep,
      webhookerEnv: settings.webhookerEnv,
    });
    await sink.stop();
    return code;
  }
  const machine = machineFacts();
  const startedAt = new Date();
  console.log(`webhooker bench${settings.quick ? ' (quick)' : ''}: ${settings.scenarios.join(', ')}`);
  console.log(
    `  ${settings.runs} run(s) each; loads of ${settings.durationMs / 1000} s, 100 connections, 1 KiB JSON POST`,
  );

  const sink = await forkServer(path.join(BENCH_DIR, 'servers', 'sink.mjs'));
  const ctx = {
    ...settings,
    sink,
    postgresVersion: undefined,
    run: 0,
    memoryCgroup: settings.memoryLimitMb ? memoryCgroup(settings.memoryLimitMb) : undefined,
  };
  const results = {};
  let retries = 0;
  for (const name of settings.scenarios) {
    if (name === 'latency' && !ctx.latencyRate) {
      const ingestRate = results.ingest?.median.rate;
      if (!ingestRate) {
        console.log('  [latency] skipped: no valid ingest rate to halve (give one with --rate)');
        continue;
      }
      ctx.latencyRate = Math.round(ingestRate / 2);
    }
    const runs = [];
    const discarded = [];
    for (let run = 1; run <= settings.runs; run++) {
      ctx.run = run;
      let outcome = await measure(name, ctx);
      // A valid run skewed by other work on the machine is run again, while the budget lasts; the
      // skewed one is kept in the JSON (discarded). VOID runs are never run again.
      while (
        outcome.valid &&
        outcome.disturbed &&
        retries < MAX_RETRIES &&
        Date.now() - startedAt.getTime() < RETRY_BUDGET_MS
      ) {
        retries++;
        console.log(`${runLine(name, run, settings.runs, outcome)}: run again`);
        discarded.push(outcome);
        outcome = await measure(name, ctx);
      }
      console.log(runLine(name, run, settings.runs, outcome));
      runs.push(outcome);
    }
    results[name] = { runs, median: medians(runs), ...(discarded.length ? { discarded } : {}) };
  }
  await sink.stop();

  const table = markdownTable(tableRows(results, ctx), settings.runs);
  const machineLine = describeMachine(machine, ctx.postgresVersion, settings.memoryLimitMb);
  console.log(`\nMachine: ${machineLine}`);
  console.log(`Date: ${startedAt.toISOString()}\n`);
  console.log(table);
  const voids = Object.entries(results).flatMap(([name, { runs }]) =>
    runs.flatMap((run, i) => (run.valid ? [] : [`${name} run ${i + 1}: ${run.reasons.join('; ')}`])),
  );
  if (voids.length) console.log(`\nVOID runs (left out of the medians):\n  ${voids.join('\n  ')}`);

  const resultsDir = path.join(BENCH_DIR, 'results');
  mkdirSync(resultsDir, { recursive: true });
  const file = path.join(resultsDir, 'latest.json');
  const json = {
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    machine: { ...machine, postgres: ctx.postgresVersion, summary: machineLine },
    settings: { ...settings, latencyRate: ctx.latencyRate, connections: 100, bodyBytes: 1024 },
    targets: TARGETS,
    scenarios: results,
    table,
  };
  writeFileSync(file, `${JSON.stringify(json, null, 2)}\n`);
  console.log(`\nWritten to ${path.relative(process.cwd(), file)}`);
  return voids.length ? 1 : 0;
}

// output piped into `head` and closed early must not kill the bench before it cleans up
process.stdout.on('error', () => {});

let exiting = false;
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    if (exiting) return;
    exiting = true;
    console.error(`\n${signal}: stopping the servers started by the bench…`);
    cleanupAll().finally(() => process.exit(130));
  });
}

main().then(
  async (code) => {
    if (exiting) return;
    await cleanupAll();
    process.exit(code);
  },
  async (error) => {
    if (exiting) return;
    console.error(`bench failed: ${error.stack ?? error}`);
    await cleanupAll();
    process.exit(1);
  },
);
