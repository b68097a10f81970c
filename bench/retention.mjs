// Retention throughput: how fast the retention job (its batched deletes) removes expired events
// with their deliveries and attempts, on a table of generated history (see bench/README.md).
//
//   node bench/retention.mjs [--events=N] [--keep]   (build first: npx nx run api:build)
import console from 'node:console';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import process from 'node:process';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { BODY } from './lib/load.mjs';
import { cleanupAll, onCleanup } from './lib/procs.mjs';
import { provision, requireBuilt, startStandalone } from './lib/webhooker.mjs';

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '1000000' },
    keep: { type: 'boolean', default: false },
  },
});
const EVENTS = Number(values.events);
if (!Number.isInteger(EVENTS) || EVENTS < 1000 || EVENTS > 20_000_000) {
  throw new Error('--events: 1 000 to 20 000 000');
}
const CHUNK = 50_000;
const RETENTION_DAYS = 30;

/**
 * Events [lo, hi] received 31 to 40 days ago (past a 30-day retention), the bench's 1 KiB JSON body
 * with its number in it, each with one delivered delivery and its attempt (a tenth with two).
 */
const GENERATE = `
WITH src AS (
  SELECT n, now() - interval '31 days' - (n::float8 / $3) * interval '9 days' AS at
  FROM generate_series($1::int, $2::int) AS n
), events AS (
  INSERT INTO events (id, webhook_id, entrypoint_id, method, path, headers, body, content_type, received_at)
  SELECT gen_random_uuid(), $4, $5, 'POST', '/webhook/bench',
         jsonb_build_object('content-type', 'application/json', 'idempotency-key', 'key-' || n),
         overlay($6::bytea placing convert_to(lpad(n::text, 12, '0'), 'UTF8') from 10 for 12),
         'application/json', at
  FROM src
  RETURNING id, received_at
), deliveries AS (
  INSERT INTO deliveries (id, event_id, webhook_id, target_id, status, attempt_count, created_at, updated_at)
  SELECT gen_random_uuid(), e.id, $4, $7, 'delivered', CASE WHEN abs(hashtext(e.id::text)) % 10 = 0 THEN 2 ELSE 1 END,
         e.received_at, e.received_at
  FROM events e
  RETURNING id, attempt_count, created_at
)
INSERT INTO delivery_attempts (delivery_id, webhook_id, attempt_number, started_at, duration_ms, status_code, error)
SELECT d.id, $4, a, d.created_at, 12, CASE WHEN a = d.attempt_count THEN 200 ELSE 503 END,
       CASE WHEN a = d.attempt_count THEN NULL ELSE 'HTTP 503' END
FROM deliveries d CROSS JOIN LATERAL generate_series(1, d.attempt_count) AS a`;

async function counts(db) {
  const { rows } = await db.query(`SELECT (SELECT count(*) FROM events)::int AS events,
    (SELECT count(*) FROM deliveries)::int AS deliveries, (SELECT count(*) FROM delivery_attempts)::int AS attempts`);
  return rows[0];
}

async function main() {
  const { webhooker: app, db, pgPort } = await startStandalone('retention', { keep: values.keep });
  const { webhookId } = await provision(app.baseUrl, { sinkUrl: 'http://127.0.0.1:9', targets: 1 });
  const { rows } = await db.query(
    `SELECT w.id, (SELECT id FROM entrypoints WHERE webhook_id = w.id LIMIT 1) AS entrypoint,
            (SELECT id FROM targets WHERE webhook_id = w.id LIMIT 1) AS target
     FROM webhooks w WHERE w.id = $1`,
    [webhookId],
  );
  const { entrypoint, target } = rows[0];

  let started = performance.now();
  for (let lo = 1; lo <= EVENTS; lo += CHUNK) {
    const hi = Math.min(EVENTS, lo + CHUNK - 1);
    await db.query(GENERATE, [lo, hi, EVENTS, webhookId, entrypoint, BODY, target]);
  }
  await db.query('VACUUM ANALYZE events, deliveries, delivery_attempts');
  const generated = await counts(db);
  console.log(
    `generated ${generated.events} events, ${generated.deliveries} deliveries, ${generated.attempts} attempts ` +
      `in ${((performance.now() - started) / 1000).toFixed(0)} s`,
  );
  await db.query('UPDATE webhooks SET retention_days = $1 WHERE id = $2', [RETENTION_DAYS, webhookId]);

  // the retention job of the build, on a pool of its own (one connection, as it uses one at a time)
  const { RetentionJob, RETENTION_BATCH_SIZE } = requireBuilt('retention/retention.job.js');
  const password = readFileSync(path.join(app.dataDir, 'postgres.password'), 'utf8').trim();
  const pool = new pg.Pool({
    connectionString: `postgres://webhooker:${password}@127.0.0.1:${pgPort}/webhooker`,
    max: 1,
  });
  onCleanup(() => pool.end());
  const job = Object.create(RetentionJob.prototype, {
    dataSource: { value: { driver: { master: pool } } },
    logger: { value: { log: () => {} } },
  });
  started = performance.now();
  const deleted = await job.deleteExpiredEvents();
  const deleteS = (performance.now() - started) / 1000;
  const left = await counts(db);
  started = performance.now();
  await db.query('VACUUM events, deliveries, delivery_attempts');
  const vacuumS = (performance.now() - started) / 1000;
  const rowsDeleted =
    generated.events +
    generated.deliveries +
    generated.attempts -
    left.events -
    left.deliveries -
    left.attempts;
  console.log(
    `retention job: ${deleted} events (${rowsDeleted} rows with their deliveries and attempts) in ` +
      `${deleteS.toFixed(1)} s, batches of ${RETENTION_BATCH_SIZE}: ${Math.round(deleted / deleteS)} events/s, ` +
      `${Math.round(rowsDeleted / deleteS)} rows/s; left ${JSON.stringify(left)}`,
  );
  console.log(`VACUUM of the three tables afterwards: ${vacuumS.toFixed(1)} s`);
  return left.events === 0 ? 0 : 1;
}

main().then(
  async (code) => {
    await cleanupAll();
    process.exit(code);
  },
  async (error) => {
    console.error(`retention bench failed: ${error.stack ?? error}`);
    await cleanupAll();
    process.exit(1);
  },
);
