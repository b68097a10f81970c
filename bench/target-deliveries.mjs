#!/usr/bin/env node
// A target's delivery list on a large history: `node bench/target-deliveries.mjs [--deliveries=1000000] [--runs=5]`.
//
// Starts webhooker (dist/apps/api, ROLE=api: nothing is delivered) on a fresh embedded PostgreSQL,
// makes one webhook with two targets, fills `deliveries` with generate_series (the first target's
// share in every status, a second target's beside them), and times pages of the first target's
// list through the REST API (`GET /api/v1/targets/{id}/deliveries`): newest first over all
// statuses, the 10th page by cursor, and one status. The reference, timed in the same run on the
// same database, is the list's former statement (one ordered read of all the target's deliveries,
// run directly in PostgreSQL): the median of `--runs` after one unmeasured run each.
import console from 'node:console';
import { performance } from 'node:perf_hooks';
import { URLSearchParams } from 'node:url';
import { parseArgs } from 'node:util';
import { cleanupAll } from './lib/procs.mjs';
import { median } from './lib/stats.mjs';
import { adminAuth, request, startStandalone } from './lib/webhooker.mjs';

const { values } = parseArgs({
  options: {
    deliveries: { type: 'string', default: '1000000' },
    runs: { type: 'string', default: '5' },
  },
});
const DELIVERIES = Number(values.deliveries);
const RUNS = Number(values.runs);
const BATCH = 200_000;
const STATUSES = ['pending', 'retrying', 'paused', 'delivered', 'failed', 'cancelled', 'skipped'];

/** Rows $3…$4: 4 in 5 for target $1, the rest for $2; mostly delivered, every status present; one a second back. */
const FILL = `
  INSERT INTO deliveries (id, event_id, webhook_id, target_id, status, next_attempt_at, created_at, updated_at)
  SELECT gen_random_uuid(), gen_random_uuid(), $5, CASE WHEN i % 5 = 4 THEN $2::uuid ELSE $1::uuid END,
         CASE WHEN i % 50 < 44 THEN 'delivered' ELSE ($6::text[])[1 + i % 7] END, now(),
         $7::timestamptz - make_interval(secs => i), $7::timestamptz - make_interval(secs => i)
  FROM generate_series($3::int, $4::int) i`;

/** The list's former statement: the target's deliveries, all statuses, newest first (as TypeORM wrote it). */
const FORMER = `
  SELECT * FROM deliveries WHERE target_id = $1 ORDER BY created_at DESC, id DESC LIMIT 51`;

async function timedMedian(work) {
  await work();
  const times = [];
  for (let run = 0; run < RUNS; run++) {
    const start = performance.now();
    await work();
    times.push(performance.now() - start);
  }
  return median(times);
}

async function main() {
  const { webhooker, db } = await startStandalone('target-list');
  const auth = await adminAuth(webhooker.baseUrl, 'target list bench');
  const { json: webhook } = await request(webhooker.baseUrl, 'POST', '/api/v1/webhooks', {
    body: { name: 'target list bench' },
    headers: auth,
  });
  const targets = [];
  for (const name of ['listed', 'beside it']) {
    const { json } = await request(webhooker.baseUrl, 'POST', `/api/v1/webhooks/${webhook.id}/targets`, {
      body: { name, type: 'http', http: { url: 'http://127.0.0.1:9/never' } },
      headers: auth,
    });
    targets.push(json.id);
  }

  console.log(`Filling ${DELIVERIES.toLocaleString('en')} deliveries (4 in 5 for the listed target)…`);
  const now = new Date();
  for (let first = 1; first <= DELIVERIES; first += BATCH) {
    await db.query(FILL, [
      targets[0],
      targets[1],
      first,
      Math.min(DELIVERIES, first + BATCH - 1),
      webhook.id,
      STATUSES,
      now,
    ]);
  }
  await db.query('VACUUM ANALYZE deliveries');

  const list = (query) =>
    request(
      webhooker.baseUrl,
      'GET',
      `/api/v1/targets/${targets[0]}/deliveries?${new URLSearchParams(query)}`,
      {
        headers: auth,
      },
    );
  let cursor;
  for (let page = 1; page < 10; page++)
    cursor = (await list({ limit: '50', ...(cursor && { cursor }) })).json.nextCursor;
  const cases = [
    ['all statuses, first page', () => list({ limit: '50' })],
    ['all statuses, 10th page (cursor)', () => list({ limit: '50', cursor })],
    ['failed only, first page', () => list({ limit: '50', status: 'failed' })],
  ];
  const former = await timedMedian(() => db.query(FORMER, [targets[0]]));
  console.log(
    `\n| ${(DELIVERIES * 0.8).toLocaleString('en')} deliveries of one target, page of 50 | median of ${RUNS} | × former statement |`,
  );
  console.log('|---|---:|---:|');
  console.log(
    `| former statement, all statuses, first page (in PostgreSQL, no HTTP) | ${former.toFixed(1)} ms | 1 |`,
  );
  for (const [name, work] of cases) {
    const typical = await timedMedian(async () => {
      const { json } = await work();
      if (json.items.length !== 50) throw new Error(`${name}: ${json.items.length} items, expected 50`);
    });
    console.log(`| ${name} (REST API) | ${typical.toFixed(1)} ms | ${(typical / former).toFixed(3)} |`);
  }
}

try {
  await main();
} finally {
  await cleanupAll();
}
