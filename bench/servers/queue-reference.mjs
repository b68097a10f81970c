// The queue reference: webhooker's event flow (README, "How it works") with nothing else — the least any gateway does that
// keeps, as webhooker does, a durable queue row per delivery and an attempt history.
//
// A node:http server. Each request's body is committed as an event row together with one delivery
// row per target (leased to this process), in groups (2 ms or 100 events, at most 4 at once, like
// the durable reference and webhooker's ingest), and answered 200 after the commit. With
// `deliver`, the deliveries are then handed in memory to 64 senders (webhooker's
// DELIVERY_CONCURRENCY), each a signed POST of the body to the sink's path /t/<target> with
// webhooker's own HTTP sender (delivery/http-sender.js of the build snapshot: undici's dispatch, a
// Standard Webhooks signature, the loop header), and every result is written in groups
// as webhooker's result writer writes (a 10 ms window, up to 1 000 a statement, 2 at once): one
// attempt row and the delivery's new state in one statement. With `ingest`, nothing is delivered
// (webhooker's ROLE=api).
//
// Only what the flow itself needs is indexed: the three primary keys and the partial index on due
// deliveries that the sweep claims by. Nothing is bounded: every delivery waits in memory
// (webhooker leaves those beyond MAX_QUEUED_TASKS to the database and claims them back), there are
// no retries, circuit breakers, rate limits, filters, metrics or search index.
//
// Run as a child process (fork) with argv: <main.js of the build snapshot> <PostgreSQL URL>
// <sink URL> <targets> <deliver|ingest>. Reports its port; answers `stats` (requests answered,
// event, delivery and attempt rows, deliveries delivered) and `truncate` messages.
import { Buffer } from 'node:buffer';
import console from 'node:console';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import process from 'node:process';
import { URL } from 'node:url';
import { attemptTableDdl } from '../lib/attempt-table.mjs';
import { groupCommit } from '../lib/group-commit.mjs';

const [mainJs, postgresUrl, sinkUrl, targetsArg, mode] = process.argv.slice(2);
const requireBuilt = createRequire(mainJs);
const fromBuild = (file) => requireBuilt(path.join(path.dirname(mainJs), file));
requireBuilt('reflect-metadata');
const { Pool } = requireBuilt('pg');
const { v7: uuidv7 } = requireBuilt('uuid');
const { HttpSender } = fromBuild('delivery/http-sender.js');
const { newSigningSecret } = fromBuild('targets/signing-secrets.js');

const targets = Number(targetsArg);
const deliver = mode === 'deliver';
const SENDERS = 64;
const LEASE = 'queue-reference';
const ANSWER = '{"status":"ok"}';

const pool = new Pool({ connectionString: postgresUrl, max: 6 });
// webhooker's own sender; the sink's address is a literal 127.0.0.1, so no lookup or check applies
const sender = new HttpSender({ checkAddress: () => ({ allowed: true }) }, null, {
  installationId: 'queue-reference',
});
const target = {
  http: { url: `${sinkUrl}/t/0`, method: 'POST', headers: {}, timeoutMs: 30_000 },
  signingSecrets: [newSigningSecret()],
};
const targetUrls = Array.from({ length: targets }, (_, n) => new URL(`${sinkUrl}/t/${n}`));
await pool.query(`
  CREATE TABLE IF NOT EXISTS queue_events (
    id uuid PRIMARY KEY,
    received_at timestamptz NOT NULL DEFAULT now(),
    body bytea NOT NULL);
  CREATE TABLE IF NOT EXISTS queue_deliveries (
    id uuid PRIMARY KEY,
    event_id uuid NOT NULL,
    target int NOT NULL,
    status text NOT NULL,
    attempt_count int NOT NULL DEFAULT 0,
    next_attempt_at timestamptz,
    lease_expires_at timestamptz,
    leased_by text,
    last_status_code int);
  CREATE INDEX IF NOT EXISTS queue_deliveries_due_idx ON queue_deliveries (target, next_attempt_at)
    WHERE status IN ('pending', 'retrying')`);
await pool.query(attemptTableDdl('queue_attempts'));

const ingest = groupCommit({
  write: (events) => {
    const deliveryIds = [];
    const deliveryEvents = [];
    const deliveryTargets = [];
    for (const event of events) {
      for (const delivery of event.deliveries) {
        deliveryIds.push(delivery.id);
        deliveryEvents.push(event.id);
        deliveryTargets.push(delivery.target);
      }
    }
    return pool.query(
      `WITH events AS (
         INSERT INTO queue_events (id, body) SELECT * FROM unnest($1::uuid[], $2::bytea[])
       )
       INSERT INTO queue_deliveries (id, event_id, target, status, next_attempt_at, lease_expires_at, leased_by)
       SELECT d.id, d.event_id, d.target, 'pending', now(), now() + interval '60 seconds', $6
       FROM unnest($3::uuid[], $4::uuid[], $5::int[]) AS d(id, event_id, target)`,
      [
        events.map((event) => event.id),
        events.map((event) => event.body),
        deliveryIds,
        deliveryEvents,
        deliveryTargets,
        LEASE,
      ],
    );
  },
  windowMs: 2,
  maxRows: 100,
  maxInFlight: 4,
});

const results = groupCommit({
  write: (rows) =>
    pool.query(
      `WITH attempts AS (
         INSERT INTO queue_attempts (delivery_id, attempt_number, started_at, duration_ms, status_code, response_excerpt)
         SELECT a.id, 1, a.started_at, a.duration_ms, a.status_code, a.excerpt
         FROM unnest($1::uuid[], $2::timestamptz[], $3::int[], $4::int[], $5::text[])
           AS a(id, started_at, duration_ms, status_code, excerpt)
       )
       UPDATE queue_deliveries d SET status = u.status, attempt_count = 1, next_attempt_at = NULL,
         lease_expires_at = NULL, leased_by = NULL, last_status_code = u.status_code
       FROM unnest($1::uuid[], $4::int[], $6::text[]) AS u(id, status_code, status)
       WHERE d.id = u.id`,
      [
        rows.map((row) => row.id),
        rows.map((row) => row.startedAt),
        rows.map((row) => row.durationMs),
        rows.map((row) => row.statusCode),
        rows.map((row) => row.excerpt),
        rows.map((row) => row.status),
      ],
    ),
  windowMs: 10,
  maxRows: 1000,
  maxInFlight: 2,
});

/**
 * Deliveries waiting for a sender, oldest first from `waitingHead`: taken by index, since `shift()`
 * copies an array this long (30 000 deliveries in fan-out: about 0.7 s of copying in all).
 */
let waiting = [];
let waitingHead = 0;
let sending = 0;
let requests = 0;

async function send(task) {
  const startedAt = new Date();
  const started = performance.now();
  let outcome;
  try {
    outcome = await sender.send(target, task.eventId, {
      url: targetUrls[task.target],
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: task.body,
    });
  } catch (error) {
    outcome = { ok: false, statusCode: null, responseExcerpt: null, error: String(error) };
  }
  // the sender moves on at once, as webhooker's does: nobody waits on a result write
  results
    .submit({
      id: task.id,
      startedAt,
      durationMs: Math.round(performance.now() - started),
      statusCode: outcome.statusCode,
      excerpt: outcome.responseExcerpt ?? outcome.error,
      status: outcome.ok ? 'delivered' : 'failed',
    })
    .catch(() => {});
}

function pump() {
  while (sending < SENDERS && waitingHead < waiting.length) {
    sending++;
    const task = waiting[waitingHead];
    waiting[waitingHead++] = undefined;
    send(task)
      .catch(() => {})
      .finally(() => {
        sending--;
        pump();
      });
  }
  if (waitingHead === waiting.length) {
    waiting = [];
    waitingHead = 0;
  }
}

const server = createServer({ keepAliveTimeout: 60_000 }, (req, response) => {
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => {
    const body = Buffer.concat(chunks);
    const event = {
      id: uuidv7(),
      body,
      deliveries: Array.from({ length: targets }, (_, target) => ({ id: uuidv7(), target })),
    };
    ingest.submit(event).then(
      () => {
        requests++;
        response.writeHead(200, { 'content-type': 'application/json', 'content-length': ANSWER.length });
        response.end(ANSWER);
        if (!deliver) return;
        for (const delivery of event.deliveries) {
          waiting.push({ id: delivery.id, eventId: event.id, target: delivery.target, body });
        }
        pump();
      },
      () => {
        response.writeHead(503, { 'content-length': 0 });
        response.end();
      },
    );
  });
});

async function answer(message) {
  if (message?.cmd === 'stats') {
    const { rows } = await pool.query(`SELECT
      (SELECT count(*)::int FROM queue_events) AS events,
      (SELECT count(*)::int FROM queue_deliveries) AS deliveries,
      (SELECT count(*)::int FROM queue_deliveries WHERE status = 'delivered') AS delivered,
      (SELECT count(*)::int FROM queue_attempts) AS attempts`);
    process.send({ id: message.id, stats: { requests, ...rows[0] } });
  }
  if (message?.cmd === 'truncate') {
    await pool.query('TRUNCATE queue_events, queue_deliveries, queue_attempts');
    await pool.query('CHECKPOINT');
    requests = 0;
    process.send({ id: message.id, stats: { requests } });
  }
}
// a query that fails ends the process, and the bench's call rejects (bench/lib/procs.mjs)
process.on('message', (message) =>
  answer(message).catch((error) => {
    console.error(`queue reference: ${message?.cmd} failed: ${error.message}`);
    process.exit(1);
  }),
);

async function stop() {
  server.close();
  await sender.onApplicationShutdown().catch(() => {});
  await pool.end().catch(() => {});
  process.exit(0);
}
process.on('SIGTERM', stop);
process.on('disconnect', stop);

server.listen(0, '127.0.0.1', () => process.send({ ready: true, port: server.address().port }));
