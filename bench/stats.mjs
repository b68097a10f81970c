// Statistics bench (`node bench/stats.mjs`, after `npx nx run api:build`): see bench/README.md.
//
//   node bench/stats.mjs [--events=N] [--runs=N] [--keep]
//
// Generates N events (default 1 000 000) spread over the last 6½ days (inside the 7 d window), with one delivery each and
// their attempts (about 1.2 attempts per delivery), straight into the embedded PostgreSQL of a
// webhooker started with ROLE=api (no jobs), as an install upgraded with that history would have
// them. Then starts it again with ROLE=all: the statistics rollup job backfills from the
// migration's watermarks. Prints how long that took and the median time of GET /api/v1/stats per
// window (admin: every webhook; and one webhook), against the target of 200 ms.
import console from 'node:console';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import process from 'node:process';
import { parseArgs } from 'node:util';
import { fetch } from 'undici';
import { cleanupAll, freePort, sleep, waitFor } from './lib/procs.mjs';
import { median } from './lib/stats.mjs';
import { connectDatabase, logIn, request, snapshotBuild, startWebhooker } from './lib/webhooker.mjs';

const WEBHOOKS = 20;
const TARGETS_PER_WEBHOOK = 3;
const CHUNK = 100_000;
const WINDOWS = ['1h', '24h', '7d'];
const TARGET_MS = 200;
const CATCH_UP_TIMEOUT_MS = 10 * 60_000;

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '1000000' },
    runs: { type: 'string', default: '15' },
    keep: { type: 'boolean', default: false },
  },
});
const EVENTS = Number(values.events);
const RUNS = Number(values.runs);
if (!Number.isInteger(EVENTS) || EVENTS < 1 || EVENTS > 20_000_000)
  throw new Error('--events: 1 to 20 000 000');
if (!Number.isInteger(RUNS) || RUNS < 1 || RUNS > 1000) throw new Error('--runs: 1 to 1000');

/**
 * One chunk of events [lo, hi] received evenly over the last 6½ days (newest first), each with a
 * delivery to one of its webhook's targets: 95 % delivered (10 % of them on a second attempt after
 * a 503), 5 % failed after 4 attempts; attempt durations spread log-normally from 5 ms to 2 s.
 */
const GENERATE = `
WITH src AS (
  SELECT n, n % $3 AS w, now() - (n::float8 / $4) * interval '6 days 12 hours' AS at FROM generate_series($1::int, $2::int) AS n
), events AS (
  INSERT INTO events (id, webhook_id, entrypoint_id, method, path, headers, body, content_type, received_at)
  SELECT gen_random_uuid(), ($5::uuid[])[w + 1], ($6::uuid[])[w + 1], 'POST', '/webhook/bench',
         '{"content-type":"application/json"}', convert_to('{"n":' || n || '}', 'UTF8'), 'application/json', at
  FROM src
  RETURNING id, webhook_id, received_at
), planned AS (
  SELECT e.*, abs(hashtext(e.id::text)) AS h, array_position($5::uuid[], e.webhook_id) AS w FROM events e
), deliveries AS (
  INSERT INTO deliveries (id, event_id, webhook_id, target_id, status, attempt_count, created_at, updated_at)
  SELECT gen_random_uuid(), p.id, p.webhook_id, ($7::uuid[])[(p.w - 1) * ${TARGETS_PER_WEBHOOK} + 1 + p.h % ${TARGETS_PER_WEBHOOK}],
         CASE WHEN p.h % 20 = 0 THEN 'failed' ELSE 'delivered' END,
         CASE WHEN p.h % 20 = 0 THEN 4 WHEN p.h % 10 = 1 THEN 2 ELSE 1 END,
         p.received_at, p.received_at
  FROM planned p
  RETURNING id, webhook_id, status, attempt_count, created_at
)
INSERT INTO delivery_attempts (delivery_id, webhook_id, attempt_number, started_at, duration_ms, status_code, error)
SELECT d.id, d.webhook_id, a, d.created_at + (a - 1) * interval '1 second', (5 * exp(random() * 6))::int,
       CASE WHEN d.status = 'delivered' AND a = d.attempt_count THEN 200 WHEN d.status = 'failed' THEN 500 ELSE 503 END,
       CASE WHEN d.status = 'delivered' AND a = d.attempt_count THEN NULL WHEN d.status = 'failed' THEN 'HTTP 500' ELSE 'HTTP 503' END
FROM deliveries d CROSS JOIN LATERAL generate_series(1, d.attempt_count) AS a`;

/** POST as the admin's session; the answer must be 201 Created. */
async function post(baseUrl, session, route, body) {
  const { response, json } = await request(baseUrl, 'POST', route, {
    body,
    headers: { cookie: session.cookie, 'x-csrf-token': session.csrfToken },
  });
  if (response.status !== 201)
    throw new Error(`POST ${route} answered ${response.status}: ${JSON.stringify(json)}`);
  return json;
}

/** WEBHOOKS webhooks with TARGETS_PER_WEBHOOK `http` targets each (never called: their rows are generated). */
async function createWebhooks(baseUrl, session) {
  const ids = [];
  for (let n = 0; n < WEBHOOKS; n++) {
    const webhook = await post(baseUrl, session, '/api/v1/webhooks', { name: `bench ${n}` });
    const targetIds = [];
    for (let t = 0; t < TARGETS_PER_WEBHOOK; t++) {
      const target = await post(baseUrl, session, `/api/v1/webhooks/${webhook.id}/targets`, {
        name: `target ${t}`,
        type: 'http',
        http: { url: `http://127.0.0.1:9/t/${t}` },
      });
      targetIds.push(target.id);
    }
    ids.push({ webhookId: webhook.id, entrypointId: webhook.entrypoints[0].id, targetIds });
  }
  return ids;
}

/** The median time (ms) of GET `route` over RUNS calls, after one warm-up call; and the last answer. */
async function timeGet(baseUrl, { cookie }, route) {
  const times = [];
  let body;
  for (let run = 0; run <= RUNS; run++) {
    const started = performance.now();
    const response = await fetch(`${baseUrl}${route}`, { headers: { cookie } });
    body = await response.json();
    if (response.status !== 200)
      throw new Error(`${route} answered ${response.status}: ${JSON.stringify(body)}`);
    if (run > 0) times.push(performance.now() - started);
  }
  return { ms: median(times), body };
}

async function main() {
  const removeBuild = snapshotBuild();
  const workDir = mkdtempSync(path.join(os.tmpdir(), 'webhooker-bench-stats-'));
  // The embedded PostgreSQL runs as the postgres user when the bench runs as root: it must enter it.
  chmodSync(workDir, 0o755);
  const ports = { port: await freePort(), pgPort: await freePort() };
  try {
    let webhooker = await startWebhooker({ workDir, ...ports, role: 'api' });
    const webhooks = await createWebhooks(webhooker.baseUrl, await logIn(webhooker.baseUrl));
    const db = await connectDatabase(webhooker.dataDir, ports.pgPort);
    const generateStarted = performance.now();
    for (let lo = 1; lo <= EVENTS; lo += CHUNK) {
      await db.query(GENERATE, [
        lo,
        Math.min(EVENTS, lo + CHUNK - 1),
        webhooks.length,
        EVENTS,
        webhooks.map((webhook) => webhook.webhookId),
        webhooks.map((webhook) => webhook.entrypointId),
        webhooks.flatMap((webhook) => webhook.targetIds),
      ]);
      process.stdout.write(`\rgenerated ${Math.min(EVENTS, lo + CHUNK - 1).toLocaleString()} events`);
    }
    await db.query('VACUUM ANALYZE events, deliveries, delivery_attempts');
    const { rows: counts } = await db.query(
      `SELECT (SELECT count(*) FROM events)::int AS events, (SELECT count(*) FROM deliveries)::int AS deliveries,
              (SELECT count(*) FROM delivery_attempts)::int AS attempts,
              (SELECT max(id) FROM delivery_attempts)::bigint AS max_attempt_id`,
    );
    const generated = counts[0];
    console.log(
      `\n${generated.events.toLocaleString()} events, ${generated.deliveries.toLocaleString()} deliveries, ` +
        `${generated.attempts.toLocaleString()} attempts in ${((performance.now() - generateStarted) / 1000).toFixed(0)} s`,
    );
    await db.end();
    await webhooker.stop();

    webhooker = await startWebhooker({ workDir, ...ports, role: 'all' });
    const started = performance.now();
    const watch = await connectDatabase(webhooker.dataDir, ports.pgPort);
    await waitFor(
      'the rollup job to catch up',
      async () => {
        const { rows } = await watch.query(
          `SELECT attempts_after >= $1 AND received_until > now() - interval '10 seconds' AS done FROM stats_rollup_state`,
          [generated.max_attempt_id],
        );
        return rows[0].done;
      },
      { timeoutMs: CATCH_UP_TIMEOUT_MS, intervalMs: 250 },
    );
    const catchUpS = (performance.now() - started) / 1000;
    // What autovacuum does within a minute of so many new rows: fresh statistics for the planner.
    await watch.query('ANALYZE stats_rollups_minute, stats_rollups_hour');
    const { rows: rollups } = await watch.query(
      `SELECT (SELECT count(*) FROM stats_rollups_minute)::int AS minute, (SELECT count(*) FROM stats_rollups_hour)::int AS hour`,
    );
    await watch.end();
    console.log(
      `rollup job caught up in ${catchUpS.toFixed(1)} s (first run 5 s after start): ` +
        `${rollups[0].minute.toLocaleString()} minute rows, ${rollups[0].hour.toLocaleString()} hour rows`,
    );
    await sleep(1000);

    const session = await logIn(webhooker.baseUrl);
    const rows = [];
    for (const window of WINDOWS) {
      const all = await timeGet(webhooker.baseUrl, session, `/api/v1/stats?window=${window}`);
      const one = await timeGet(
        webhooker.baseUrl,
        session,
        `/api/v1/stats?window=${window}&webhookId=${webhooks[0].webhookId}`,
      );
      rows.push({ window, all, one });
    }
    console.log(`\nGET /api/v1/stats, median of ${RUNS} calls (target < ${TARGET_MS} ms):\n`);
    console.log('| window | every webhook (admin) | events counted | one webhook | events counted |');
    console.log('| ------ | --------------------- | -------------- | ----------- | -------------- |');
    for (const { window, all, one } of rows) {
      const cell = (result) => `${result.ms.toFixed(1)} ms ${result.ms < TARGET_MS ? 'PASS' : 'MISS'}`;
      console.log(
        `| ${window} | ${cell(all)} | ${all.body.totals.eventsReceived.toLocaleString()} | ${cell(one)} | ${one.body.totals.eventsReceived.toLocaleString()} |`,
      );
    }
    const week = rows.find((row) => row.window === '7d').all.body.totals;
    if (week.eventsReceived !== generated.events) {
      throw new Error(
        `the 7d window counts ${week.eventsReceived} events, ${generated.events} were generated`,
      );
    }
    await webhooker.stop();
    if (rows.some(({ all, one }) => all.ms >= TARGET_MS || one.ms >= TARGET_MS)) process.exitCode = 1;
  } finally {
    await cleanupAll();
    removeBuild();
    if (!values.keep) rmSync(workDir, { recursive: true, force: true });
  }
}

let exiting = false;
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    if (exiting) return;
    exiting = true;
    console.error(`\n${signal}: stopping the servers started by the bench…`);
    cleanupAll().finally(() => process.exit(130));
  });
}

main().catch(async (error) => {
  console.error(error);
  await cleanupAll();
  process.exit(1);
});
