// The bench scenarios. Each run returns { valid, reasons, metrics, details }: `valid` is false
// (the run is VOID) when the counts do not add up: requests answered 2xx = events stored =
// deliveries done (in the database and at the sink).
import { fork } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import process from 'node:process';
import { now } from './clock.mjs';
import { BODY, closedLoad, pacedLoad } from './load.mjs';
import { cpuMeter, forkServer, freePort, onCleanup, peakRss, waitFor } from './procs.mjs';
import {
  builtMain,
  connectDatabase,
  countRows,
  provision,
  requireBuilt,
  startWebhooker,
  waitForDelivered,
} from './webhooker.mjs';
import { summarize } from './stats.mjs';

const REFERENCE_JS = path.join(import.meta.dirname, '..', 'servers', 'reference.mjs');
const DURABLE_REFERENCE_JS = path.join(import.meta.dirname, '..', 'servers', 'durable-reference.mjs');
const SEND_REFERENCE_JS = path.join(import.meta.dirname, '..', 'servers', 'send-reference.mjs');
const QUEUE_REFERENCE_JS = path.join(import.meta.dirname, '..', 'servers', 'queue-reference.mjs');
/** Deliveries in flight at once in the send reference: webhooker's default DELIVERY_CONCURRENCY. */
const SEND_IN_FLIGHT = 64;

/** Waits (bounded) until the sink has `expected` distinct deliveries; returns its stats either way. */
async function waitForSink(sink, expected, timeoutMs, latency = false) {
  let stats;
  let best = -1;
  let bestAt = Date.now();
  try {
    await waitFor(
      `${expected} deliveries at the sink`,
      async () => {
        stats = await sink.call('stats');
        if (stats.unique > best) {
          best = stats.unique;
          bestAt = Date.now();
        }
        // no progress for 20 s: the rest is not coming (failed, or waiting for a far retry)
        if (Date.now() - bestAt > 20_000) return true;
        return stats.unique >= expected;
      },
      { timeoutMs, intervalMs: 50 },
    );
  } catch {
    // reported by the checks below
  }
  return sink.call('stats', { latency });
}

/** Problems with a load run itself: transport errors, timeouts, non-2xx answers. */
function loadProblems(name, load) {
  const reasons = [];
  if (load.errors) reasons.push(`${name}: ${load.errors} request errors (${load.timeouts} timeouts)`);
  const other = Object.entries(load.statuses).filter(([status]) => status < 200 || status >= 300);
  if (other.length) {
    reasons.push(`${name}: non-2xx answers ${other.map(([s, n]) => `${n}× ${s}`).join(', ')}`);
  }
  return reasons;
}

/** accepted (2xx) = events stored = deliveries done (database and sink). */
function checkCounts({ accepted, targets, counts, sinkUnique, sinkExpected }) {
  const reasons = [];
  const expectedDeliveries = accepted * targets;
  if (counts.events !== accepted) {
    reasons.push(`events stored ${counts.events} ≠ events accepted (2xx) ${accepted}`);
  }
  if (counts.deliveries !== expectedDeliveries) {
    reasons.push(`delivery rows ${counts.deliveries} ≠ ${accepted} events × ${targets} targets`);
  }
  if (counts.delivered !== expectedDeliveries) {
    reasons.push(
      `deliveries done ${counts.delivered} ≠ ${expectedDeliveries} (failed ${counts.failed}, ` +
        `unfinished ${counts.deliveries - counts.delivered - counts.failed})`,
    );
  }
  if (sinkExpected !== undefined && sinkUnique !== sinkExpected) {
    reasons.push(`the sink received ${sinkUnique} distinct deliveries, expected ${sinkExpected}`);
  }
  return reasons;
}

function result(reasons, metrics, details) {
  return { valid: reasons.length === 0, reasons, metrics, details };
}

/** A fresh temporary folder and ports for one webhooker database; removed afterwards. */
async function workspace(ctx, name) {
  const workDir = mkdtempSync(path.join(os.tmpdir(), `webhooker-bench-${name}-`));
  // run as root, the embedded PostgreSQL runs as the `postgres` user: it must reach DATA_DIR
  chmodSync(workDir, 0o755);
  const unregister = onCleanup(() => ctx.keep || rmSync(workDir, { recursive: true, force: true }));
  return {
    workDir,
    port: await freePort(),
    pgPort: await freePort(),
    cpuProfileDir: ctx.cpuProfileDir ? path.join(ctx.cpuProfileDir, `${name}-${ctx.run}`) : undefined,
    webhookerEnv: ctx.webhookerEnv,
    memoryCgroup: ctx.memoryCgroup,
    remove: () => {
      unregister();
      if (!ctx.keep) rmSync(workDir, { recursive: true, force: true });
    },
  };
}

/** CPU meter over webhooker, its PostgreSQL, the sink and this process (the load generator). */
function meterAll(ctx, app) {
  return cpuMeter({
    webhooker: app.pid,
    postgres: { below: app.pid },
    sink: ctx.sink.pid,
    loadGenerator: process.pid,
  });
}

/**
 * Starts webhooker (ROLE=all) on a fresh database with one webhook of `targets` http targets to the
 * sink (its entrypoint given the `entrypoint` settings — `verification`, `dedup` — when given, each
 * target the `filter` and the `transform` when given), runs `body({ app, db, url, meter })`, and always stops it and
 * removes its data.
 */
async function withWebhooker(ctx, name, targets, body, entrypoint, filter, transform, role = 'all') {
  const space = await workspace(ctx, name);
  let app;
  let db;
  try {
    app = await startWebhooker({ ...space, role });
    if (ctx.pgStats) {
      app = await withStatementStats(app, space);
    }
    const { entrypointUrl } = await provision(app.baseUrl, {
      sinkUrl: ctx.sink.url,
      targets,
      entrypoint,
      filter,
      transform,
    });
    db = await connectDatabase(app.dataDir, space.pgPort);
    if (!ctx.postgresVersion) {
      ctx.postgresVersion = (await db.query('SHOW server_version')).rows[0].server_version;
    }
    await dropIndexes(ctx, db);
    await ctx.sink.call('reset');
    if (ctx.pgStats) await db.query(`SELECT pg_stat_statements_reset(), pg_stat_reset_shared('wal')`);
    const setupPeakRssBytes = app.takePeakRss();
    const outcome = await body({ app, db, url: entrypointUrl, meter: () => meterAll(ctx, app) });
    if (ctx.pgStats) outcome.details.statements = await statementStats(db, outcome.details.events);
    outcome.metrics.peakRssBytes = app.peakRss();
    outcome.metrics.setupPeakRssBytes = setupPeakRssBytes;
    outcome.details.startupMs = app.startupMs;
    outcome.details.webhookerWarnings = app.warnings;
    if (app.warnings) outcome.details.webhookerLogTail = app.logTail();
    return outcome;
  } finally {
    await db?.end().catch(() => {});
    await app?.stop();
    space.remove();
  }
}

/** Drops the indexes named by --drop-index (to measure what they cost at ingest). */
async function dropIndexes(ctx, db) {
  for (const index of ctx.dropIndexes ?? []) await db.query(`DROP INDEX IF EXISTS "${index}"`);
}

/**
 * --pg-stats: loads pg_stat_statements into webhooker's PostgreSQL (it must be preloaded, so
 * webhooker is started again on the same database) and returns the restarted webhooker.
 */
async function withStatementStats(app, space) {
  const db = await connectDatabase(app.dataDir, space.pgPort);
  try {
    await db.query(`ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'`);
    await db.query(`ALTER SYSTEM SET pg_stat_statements.track = 'all'`);
  } finally {
    await db.end();
  }
  await app.stop();
  const restarted = await startWebhooker({ ...space, role: app.role });
  const again = await connectDatabase(restarted.dataDir, space.pgPort);
  try {
    await again.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
  } finally {
    await again.end();
  }
  return restarted;
}

/** The statements run since the reset (the measured load), per event and by time, and the WAL written per event. */
async function statementStats(db, events) {
  const { rows } = await db.query(`
    SELECT calls::int, round(total_exec_time::numeric, 1)::float AS "totalMs",
           round(mean_exec_time::numeric, 3)::float AS "meanMs", rows::int,
           left(regexp_replace(query, '\\s+', ' ', 'g'), 160) AS query
    FROM pg_stat_statements WHERE query NOT ILIKE '%pg_stat_statements%'
    ORDER BY total_exec_time DESC LIMIT 25`);
  const calls = rows.reduce((sum, row) => sum + row.calls, 0);
  const { rows: wal } = await db.query(
    `SELECT wal_records::float AS records, wal_fpi::float AS "fullPageImages", wal_bytes::float AS bytes FROM pg_stat_wal`,
  );
  const perEvent = (n) => (events ? Math.round((n / events) * 10) / 10 : undefined);
  return {
    events,
    callsPerEvent: events ? calls / events : undefined,
    walPerEvent: {
      records: perEvent(wal[0].records),
      fullPageImages: perEvent(wal[0].fullPageImages),
      bytes: perEvent(wal[0].bytes),
    },
    top: rows,
  };
}

/** Warm-up: `events` events through webhooker, all delivered, then the sink is reset. */
async function warmUp(ctx, url, events, targets, load = {}) {
  const warm = await closedLoad({ url, amount: events, ...load });
  const stats = await waitForSink(ctx.sink, warm.ok * targets, 60_000);
  await ctx.sink.call('reset');
  const reasons = loadProblems('warm-up', warm);
  if (stats.unique !== warm.ok * targets) {
    reasons.push(`warm-up: the sink received ${stats.unique} of ${warm.ok * targets} deliveries`);
  }
  return { warm, reasons };
}

/** 1. The reference: a bare node:http server under the same load as the ingest. */
export async function reference(ctx) {
  const server = await forkServer(REFERENCE_JS);
  try {
    await closedLoad({ url: server.url, amount: ctx.warmupEvents });
    const before = await server.call('stats');
    const meter = cpuMeter({ server: server.pid, loadGenerator: process.pid });
    const load = await closedLoad({ url: server.url, durationMs: ctx.durationMs });
    const cpuCores = meter.stop();
    const after = await server.call('stats');
    const served = after.requests - before.requests;
    const reasons = loadProblems('load', load);
    if (served !== load.ok)
      reasons.push(`the server answered ${served} requests, the client counted ${load.ok}`);
    return result(
      reasons,
      {
        rate: load.rate,
        p50: load.latency.p50,
        p99: load.latency.p99,
        peakRssBytes: peakRss(server.pid),
      },
      { requests: load.ok, elapsedMs: load.elapsedMs, cpuCores },
    );
  } finally {
    await server.stop();
  }
}

/** The durable reference server (started once, kept for the whole bench; see servers/durable-reference.mjs). */
async function durableServer(ctx) {
  if (!ctx.durable) {
    const space = await workspace(ctx, 'durable-reference');
    const server = await forkServer(
      DURABLE_REFERENCE_JS,
      [builtMain(), path.join(space.workDir, 'data'), String(space.pgPort)],
      90_000,
    );
    onCleanup(async () => {
      await server.stop();
      space.remove();
    });
    ctx.durable = server;
  }
  return ctx.durable;
}

/**
 * A round of the durable reference, run right before each run of a scenario compared with it
 * (interleaved: reference, webhooker, reference, webhooker, …): the same closed-loop load (or, with
 * `rate`, the same paced load) after the same warm-up, on an emptied table. Valid when requests
 * answered 2xx = rows committed.
 */
export async function durableRound(ctx, { rate } = {}) {
  const server = await durableServer(ctx);
  await server.call('truncate');
  try {
    const warm = await closedLoad({ url: server.url, amount: ctx.warmupEvents });
    const meter = cpuMeter({
      server: server.pid,
      postgres: { below: server.pid },
      loadGenerator: process.pid,
    });
    const load = rate
      ? await pacedLoad({ url: server.url, rate, durationMs: ctx.durationMs })
      : await closedLoad({ url: server.url, durationMs: ctx.durationMs });
    const cpuCores = meter.stop();
    const stats = await server.call('stats');
    const reasons = [...loadProblems('warm-up', warm), ...loadProblems('load', load)];
    if (stats.rows !== warm.ok + load.ok || stats.requests !== stats.rows) {
      reasons.push(`rows committed ${stats.rows} ≠ requests answered 2xx ${warm.ok + load.ok}`);
    }
    return result(
      reasons,
      { rate: load.rate, p50: load.latency.p50, p99: load.latency.p99, peakRssBytes: peakRss(server.pid) },
      {
        requests: load.ok,
        elapsedMs: load.elapsedMs,
        cpuCores,
        walBytesPerRequest: Math.round((stats.walBytes / (warm.ok + load.ok)) * 10) / 10,
      },
    );
  } finally {
    // emptied again, so that its database's autovacuum has nothing to do during the run after it
    await server.call('truncate');
  }
}

/**
 * A round of the send reference (servers/send-reference.mjs), run right before each run of a
 * scenario that delivers: `deliveries` signed POSTs with webhooker's HTTP client to `targets` of
 * the sink's paths, 64 at once, nothing stored. With `record` (the record round), each delivery
 * also leaves one attempt row in the durable reference's PostgreSQL. Valid when the sink received
 * every one, once, and with `record` every row is committed.
 */
export async function sendRound(ctx, { deliveries, targets, record = false }) {
  await ctx.sink.call('reset');
  const durable = record ? await durableServer(ctx) : null;
  const postgresUrl = durable ? [(await durable.call('postgres')).url] : [];
  const child = fork(
    SEND_REFERENCE_JS,
    [builtMain(), ctx.sink.url, String(deliveries), String(targets), String(SEND_IN_FLIGHT), ...postgresUrl],
    {
      execArgv: [],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    },
  );
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const messages = [];
  let wake;
  child.on('message', (message) => {
    messages.push(message);
    wake?.();
  });
  const nextMessage = async () => {
    while (messages.length === 0) {
      const code = await Promise.race([exited, new Promise((resolve) => (wake = resolve))]);
      if (messages.length === 0 && code !== undefined) throw new Error(`send reference exited with ${code}`);
    }
    return messages.shift();
  };
  await nextMessage();
  const meter = cpuMeter({
    sender: child.pid,
    sink: ctx.sink.pid,
    ...(durable ? { postgres: { below: durable.pid } } : {}),
  });
  child.send({ cmd: 'go' });
  const { result: sent } = await nextMessage();
  const cpuCores = meter.stop();
  child.send({ cmd: 'exit' });
  await exited;
  const sink = await ctx.sink.call('reset');
  const reasons = [];
  if (sent.failed > 0) reasons.push(`${sent.failed} of ${deliveries} sends or records failed`);
  if (record && sent.stored !== deliveries)
    reasons.push(`${sent.stored} of ${deliveries} attempt rows committed`);
  if (sink.unique !== deliveries || sink.duplicates > 0) {
    reasons.push(
      `the sink received ${sink.unique} distinct deliveries (${sink.duplicates} duplicates) of ${deliveries}`,
    );
  }
  return result(
    reasons,
    { rate: (deliveries * 1000) / sent.elapsedMs },
    { deliveries, elapsedMs: sent.elapsedMs, cpuCores },
  );
}

/**
 * A round of the queue reference (servers/queue-reference.mjs), run right before each run of `api`,
 * `ingest` and `fanout`: the event flow (README, "How it works") and nothing else, in the durable
 * reference's PostgreSQL. With `deliver`, each event is committed with a delivery row per target, sent to the
 * sink and recorded (an attempt row, the delivery's new state); with `ingest` (for `api`) only
 * committed. The load is the scenario's: `amount` events (fan-out: from the first request to the
 * last delivery at the sink), else a closed loop for the bench's duration, after the same warm-up.
 * Valid when requests answered 2xx = events stored, every delivery row exists and, with `deliver`,
 * every one is delivered and reached the sink once.
 */
export async function queueRound(ctx, { mode, targets, amount, warmupEvents }) {
  const durable = await durableServer(ctx);
  const { url: postgresUrl } = await durable.call('postgres');
  const server = await forkServer(QUEUE_REFERENCE_JS, [
    builtMain(),
    postgresUrl,
    ctx.sink.url,
    String(targets),
    mode,
  ]);
  const deliver = mode === 'deliver';
  try {
    await server.call('truncate');
    await ctx.sink.call('reset');
    const { warm, reasons } = deliver
      ? await warmUp(ctx, server.url, warmupEvents, targets)
      : await closedLoad({ url: server.url, amount: warmupEvents }).then((load) => ({
          warm: load,
          reasons: loadProblems('warm-up', load),
        }));
    const meter = cpuMeter({
      server: server.pid,
      postgres: { below: durable.pid },
      ...(deliver ? { sink: ctx.sink.pid } : {}),
      loadGenerator: process.pid,
    });
    // as webhooker's runs are metered: a fan-out until its last delivery, a timed load until it ends
    let cpuCores;
    const load = amount
      ? await closedLoad({ url: server.url, amount })
      : await closedLoad({ url: server.url, durationMs: ctx.durationMs });
    if (!amount) cpuCores = meter.stop();
    const expected = deliver ? load.ok * targets : 0;
    const sink = deliver ? await waitForSink(ctx.sink, expected, 120_000) : await ctx.sink.call('stats');
    if (amount) cpuCores = meter.stop();
    const accepted = warm.ok + load.ok;
    let stats;
    await waitFor(
      'the queue reference to record every delivery',
      async () => {
        stats = await server.call('stats');
        return !deliver || stats.delivered >= accepted * targets;
      },
      { timeoutMs: 30_000 },
    ).catch(() => {});
    reasons.push(...loadProblems('load', load));
    if (stats.events !== accepted || stats.requests !== accepted) {
      reasons.push(`events stored ${stats.events} ≠ requests answered 2xx ${accepted}`);
    }
    if (stats.deliveries !== accepted * targets) {
      reasons.push(`delivery rows ${stats.deliveries} ≠ ${accepted} events × ${targets} targets`);
    }
    if (deliver && (stats.delivered !== accepted * targets || stats.attempts !== accepted * targets)) {
      reasons.push(
        `${stats.delivered} deliveries delivered, ${stats.attempts} attempt rows, of ${accepted * targets}`,
      );
    }
    if (sink.unique !== expected || sink.duplicates > 0) {
      reasons.push(
        `the sink received ${sink.unique} distinct deliveries (${sink.duplicates} duplicates) of ${expected}`,
      );
    }
    const elapsedMs = amount ? sink.lastAt - load.startedAt : load.elapsedMs;
    const rate = amount ? (sink.unique * 1000) / elapsedMs : load.rate;
    return result(reasons, { rate }, { events: load.ok, elapsedMs, cpuCores });
  } finally {
    // nothing left behind for the shared database's autovacuum to work on during webhooker's run
    await server.call('truncate').catch(() => {});
    await server.stop();
    await ctx.sink.call('reset');
  }
}

/** The GitHub secret of the `verified` scenario's entrypoint. */
const GITHUB_SECRET = 'webhooker-bench-github-secret';

/**
 * The closed-loop load against an entrypoint with `targets` http targets (each with `filter` when
 * given), its requests carrying `load` (`headers`, a `uniqueHeader` set to a value of its own per
 * request), the entrypoint given the `entrypoint` settings when given.
 */
async function measureIngest(ctx, name, { load = {}, entrypoint, targets = 1, filter } = {}) {
  return withWebhooker(
    ctx,
    name,
    targets,
    async ({ db, url, meter }) => {
      const { warm, reasons } = await warmUp(ctx, url, ctx.warmupEvents, targets, load);
      if (ctx.pgStats) await db.query(`SELECT pg_stat_statements_reset(), pg_stat_reset_shared('wal')`);
      const cpu = meter();
      const measured = await closedLoad({ url, durationMs: ctx.durationMs, ...load });
      const cpuCores = cpu.stop();
      const loadEndedAt = now();
      const sink = await waitForSink(ctx.sink, measured.ok * targets, 120_000);
      const counts = await waitForDelivered(db, (warm.ok + measured.ok) * targets, 60_000);
      reasons.push(
        ...loadProblems('load', measured),
        ...checkCounts({
          accepted: warm.ok + measured.ok,
          targets,
          counts,
          sinkUnique: sink.unique,
          sinkExpected: measured.ok * targets,
        }),
      );
      return result(
        reasons,
        { rate: measured.rate, p50: measured.latency.p50, p99: measured.latency.p99 },
        {
          events: measured.ok,
          warmUpEvents: warm.ok,
          elapsedMs: measured.elapsedMs,
          deliveriesCaughtUpMsAfterLoad: Math.max(0, sink.lastAt - loadEndedAt),
          cpuCores,
          attempts: counts.attempts,
          duplicatesAtSink: sink.duplicates,
        },
      );
    },
    entrypoint,
    filter,
  );
}

/**
 * 2a. Ingest only: webhooker with ROLE=api (nothing delivered), one http target, the same load:
 * accepted = events stored = pending deliveries, none delivered.
 */
export async function api(ctx) {
  return withWebhooker(
    ctx,
    'api',
    1,
    async ({ db, url, meter }) => {
      const warm = await closedLoad({ url, amount: ctx.warmupEvents });
      if (ctx.pgStats) await db.query(`SELECT pg_stat_statements_reset(), pg_stat_reset_shared('wal')`);
      const cpu = meter();
      const measured = await closedLoad({ url, durationMs: ctx.durationMs });
      const cpuCores = cpu.stop();
      const counts = await countRows(db);
      const accepted = warm.ok + measured.ok;
      const reasons = [...loadProblems('warm-up', warm), ...loadProblems('load', measured)];
      if (counts.events !== accepted || counts.deliveries !== accepted || counts.delivered !== 0) {
        reasons.push(
          `${counts.events} events, ${counts.deliveries} deliveries (${counts.delivered} delivered) ` +
            `after ${accepted} accepted by ROLE=api`,
        );
      }
      const sink = await ctx.sink.call('reset');
      if (sink.count) reasons.push(`ROLE=api delivered ${sink.count} requests`);
      return result(
        reasons,
        { rate: measured.rate, p50: measured.latency.p50, p99: measured.latency.p99 },
        { events: measured.ok, warmUpEvents: warm.ok, elapsedMs: measured.elapsedMs, cpuCores },
      );
    },
    undefined,
    undefined,
    undefined,
    'api',
  );
}

/** 2. Ingest: the same closed-loop load against an entrypoint with one http target. */
export async function ingest(ctx) {
  return measureIngest(ctx, 'ingest');
}

/**
 * 2b. Verified ingest: the same, the entrypoint verifying GitHub signatures (HMAC-SHA256 of each
 * body, computed by webhooker per request); the load generator signs the body as GitHub does.
 */
export async function verified(ctx) {
  const signature = `sha256=${createHmac('sha256', GITHUB_SECRET).update(BODY).digest('hex')}`;
  return measureIngest(ctx, 'verified', {
    load: { headers: { 'x-hub-signature-256': signature } },
    entrypoint: { verification: { preset: 'github', secret: GITHUB_SECRET } },
  });
}

/** 2c. Ingest with dedup on: the same load, each request with an Idempotency-Key of its own. */
export async function dedup(ctx) {
  return measureIngest(ctx, 'dedup', {
    load: { uniqueHeader: 'idempotency-key' },
    entrypoint: { dedup: { header: 'Idempotency-Key' } },
  });
}

/**
 * What each target of the `filters` scenario takes: conditions on the body, a header and the path
 * that the bench body matches, so both sides of the comparison make the same deliveries.
 */
const BENCH_FILTER = {
  body: {
    type: { $startsWith: 'invoice.' },
    'data.object.amount_paid': { $gte: 100 },
    'data.object.lines.quantity': { $in: [1, 2] },
  },
  'headers.content-type': { $contains: 'json' },
  $not: { path: { $endsWith: '/test' } },
};

/**
 * 2d. Ingest with filters: the same load on a webhook of 10 http targets, first without filters,
 * then with a filter on each target (BENCH_FILTER, matched by every event): events/s with filters,
 * and their share of the rate without.
 */
export async function filters(ctx) {
  const targets = 10;
  const without = await measureIngest(ctx, 'filters-off', { targets });
  const withFilters = await measureIngest(ctx, 'filters-on', { targets, filter: BENCH_FILTER });
  const reasons = [
    ...without.reasons.map((reason) => `without filters: ${reason}`),
    ...withFilters.reasons.map((reason) => `with filters: ${reason}`),
  ];
  return result(
    reasons,
    {
      ...withFilters.metrics,
      unfilteredRate: without.metrics.rate,
      share: withFilters.metrics.rate / without.metrics.rate,
    },
    {
      ...withFilters.details,
      withoutFilters: { ...without.metrics, ...without.details },
      cpuCores: withFilters.details.cpuCores,
    },
  );
}

/** 3. Ingest-to-sink latency at a fixed rate (half the ingest rate), one http target. */
export async function latency(ctx) {
  return withWebhooker(ctx, 'latency', 1, async ({ db, url, meter }) => {
    const { warm, reasons } = await warmUp(ctx, url, ctx.warmupEvents, 1);
    const cpu = meter();
    const load = await pacedLoad({ url, rate: ctx.latencyRate, durationMs: ctx.durationMs });
    const cpuCores = cpu.stop();
    const sink = await waitForSink(ctx.sink, load.ok, 120_000, true);
    const counts = await waitForDelivered(db, warm.ok + load.ok, 30_000);
    reasons.push(
      ...loadProblems('load', load),
      ...checkCounts({
        accepted: warm.ok + load.ok,
        targets: 1,
        counts,
        sinkUnique: sink.unique,
        sinkExpected: load.ok,
      }),
    );
    if (sink.latency.count !== sink.count) {
      reasons.push(`${sink.count - sink.latency.count} deliveries arrived without x-sent-at`);
    }
    return result(
      reasons,
      { rate: load.rate, p50: sink.latency.p50, p99: sink.latency.p99 },
      {
        events: load.ok,
        sinkLatencyMs: sink.latency,
        ingestResponseMs: load.latency,
        senderMaxInFlight: load.maxInFlight,
        senderMaxLagMs: load.maxLagMs,
        cpuCores,
        attempts: counts.attempts,
        duplicatesAtSink: sink.duplicates,
      },
    );
  });
}

/** 4. Deliveries/s with 10 http targets per event: first ingest to last delivery at the sink. */
export async function fanout(ctx) {
  return measureFanout(ctx, 'fanout');
}

/** Deliveries/s to 10 http targets (each with `transform` when given), first ingest to last delivery. */
async function measureFanout(ctx, name, transform) {
  const targets = 10;
  return withWebhooker(
    ctx,
    name,
    targets,
    async ({ db, url, meter }) => {
      const { warm, reasons } = await warmUp(ctx, url, ctx.fanoutWarmupEvents, targets);
      const cpu = meter();
      const load = await closedLoad({ url, amount: ctx.fanoutEvents });
      const expected = load.ok * targets;
      const sink = await waitForSink(ctx.sink, expected, 120_000);
      const cpuCores = cpu.stop();
      const counts = await waitForDelivered(db, (warm.ok + load.ok) * targets, 30_000);
      reasons.push(
        ...loadProblems('load', load),
        ...checkCounts({
          accepted: warm.ok + load.ok,
          targets,
          counts,
          sinkUnique: sink.unique,
          sinkExpected: expected,
        }),
      );
      const elapsedMs = sink.lastAt - load.startedAt;
      return result(
        reasons,
        { rate: (sink.unique * 1000) / elapsedMs },
        {
          events: load.ok,
          deliveries: sink.unique,
          elapsedMs,
          ingestMs: load.elapsedMs,
          ingestRate: load.rate,
          cpuCores,
          attempts: counts.attempts,
          duplicatesAtSink: sink.duplicates,
        },
      );
    },
    undefined,
    undefined,
    transform,
  );
}

/** The transform of every target in the `transforms` scenario: a typical reshaping of a JSON event. */
const BENCH_TRANSFORM = `function handler(request) {
  const event = request.body;
  request.headers['x-event-type'] = event.type;
  request.body = { id: event.id, type: event.type, invoice: event.data.object, forwardedBy: 'webhooker' };
  return request;
}`;

/** Runs of the sandbox measured one by one (after as many to warm up). */
const SANDBOX_RUNS = 2000;

/**
 * The cost of one transform run as the engine pays it: the worker pool of the build, a 1 KiB JSON
 * body, BENCH_TRANSFORM, runs one after the other (the time from handing the request to the pool
 * to having the checked result back).
 */
async function sandboxOverhead() {
  const { TransformPool } = requireBuilt('routing/transform-pool.js');
  const { transformInput } = requireBuilt('routing/transform-runner.js');
  const pool = new TransformPool({ timeoutMs: 50, memoryBytes: 16 * 2 ** 20, maxBodyBytes: 2 ** 20 }, 1);
  const input = transformInput({
    method: 'POST',
    path: '/webhook/bench',
    query: '',
    headers: { 'content-type': 'application/json' },
    contentType: 'application/json',
    body: BODY,
  });
  try {
    await pool.start();
    const times = [];
    const failures = [];
    for (let run = 0; run < 2 * SANDBOX_RUNS; run++) {
      const started = now();
      const outcome = await pool.run('bench', BENCH_TRANSFORM, input);
      if (run >= SANDBOX_RUNS) times.push(now() - started);
      if (outcome.kind !== 'request') failures.push(outcome.error ?? outcome.kind);
    }
    return { latency: summarize(times), failures: failures.length, firstFailure: failures[0] };
  } finally {
    await pool.close();
  }
}

/**
 * 4b. Transforms: the fan-out load (10 http targets) without, then with a transform on every
 * target (BENCH_TRANSFORM): deliveries/s with transforms, their share of the rate without, and the
 * sandbox's cost per run (p50) for a 1 KiB JSON body.
 */
export async function transforms(ctx) {
  const overhead = await sandboxOverhead();
  const without = await measureFanout(ctx, 'transforms-off');
  const withTransforms = await measureFanout(ctx, 'transforms-on', BENCH_TRANSFORM);
  const reasons = [
    ...without.reasons.map((reason) => `without transforms: ${reason}`),
    ...withTransforms.reasons.map((reason) => `with transforms: ${reason}`),
  ];
  if (overhead.failures) reasons.push(`sandbox: ${overhead.failures} runs failed (${overhead.firstFailure})`);
  return result(
    reasons,
    {
      rate: withTransforms.metrics.rate,
      untransformedRate: without.metrics.rate,
      transformShare: withTransforms.metrics.rate / without.metrics.rate,
      sandboxP50: overhead.latency.p50,
      sandboxP99: overhead.latency.p99,
      peakRssBytes: withTransforms.metrics.peakRssBytes,
      setupPeakRssBytes: withTransforms.metrics.setupPeakRssBytes,
    },
    {
      ...withTransforms.details,
      withoutTransforms: { ...without.metrics, ...without.details },
      sandboxLatencyMs: overhead.latency,
    },
  );
}

/**
 * 5. Drain: webhooker with ROLE=api ingests events for 10 targets (nothing is delivered), stops;
 * started again with ROLE=all on the same database, it delivers the backlog.
 */
export async function drain(ctx) {
  const targets = 10;
  const space = await workspace(ctx, 'drain');
  let app;
  let db;
  try {
    // Phase 1: build the backlog with an ingest-only process.
    app = await startWebhooker({ ...space, role: 'api' });
    const { entrypointUrl } = await provision(app.baseUrl, { sinkUrl: ctx.sink.url, targets });
    db = await connectDatabase(app.dataDir, space.pgPort);
    await dropIndexes(ctx, db);
    await ctx.sink.call('reset');
    const load = await closedLoad({ url: entrypointUrl, amount: ctx.backlogEvents });
    const backlog = await countRows(db);
    await db.end();
    db = undefined;
    const apiPeakRssBytes = app.peakRss();
    await app.stop();
    app = undefined;
    const reasons = loadProblems('ingest', load);
    const expected = load.ok * targets;
    if (backlog.events !== load.ok || backlog.deliveries !== expected || backlog.delivered !== 0) {
      reasons.push(
        `backlog: ${backlog.events} events, ${backlog.deliveries} deliveries (${backlog.delivered} delivered) ` +
          `after ${load.ok} events accepted by ROLE=api`,
      );
    }
    const early = await ctx.sink.call('reset');
    if (early.count) reasons.push(`ROLE=api delivered ${early.count} requests`);

    // Phase 2: a full process on the same database drains it.
    const spawnedAt = now();
    app = await startWebhooker({ ...space, role: 'all' });
    const setupPeakRssBytes = app.takePeakRss();
    const cpu = meterAll(ctx, app);
    const sink = await waitForSink(ctx.sink, expected, 180_000);
    const cpuCores = cpu.stop();
    db = await connectDatabase(app.dataDir, space.pgPort);
    const counts = await waitForDelivered(db, expected, 30_000);
    reasons.push(
      ...checkCounts({
        accepted: load.ok,
        targets,
        counts,
        sinkUnique: sink.unique,
        sinkExpected: expected,
      }),
    );
    const elapsedMs = sink.lastAt - sink.firstAt;
    return result(
      reasons,
      { rate: (sink.unique * 1000) / elapsedMs, peakRssBytes: app.peakRss(), setupPeakRssBytes },
      {
        backlogEvents: load.ok,
        deliveries: sink.unique,
        elapsedMs,
        fromSpawnMs: sink.lastAt - spawnedAt,
        startupMs: app.startupMs,
        apiPeakRssBytes,
        cpuCores,
        attempts: counts.attempts,
        duplicatesAtSink: sink.duplicates,
        webhookerWarnings: app.warnings,
        ...(app.warnings ? { webhookerLogTail: app.logTail() } : {}),
      },
    );
  } finally {
    await db?.end().catch(() => {});
    await app?.stop();
    space.remove();
  }
}
