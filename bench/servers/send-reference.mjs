// The send reference: the least any delivery does, and nothing else — one signed POST of the
// event's body to the receiver, with the HTTP client webhooker uses (undici, from the build
// snapshot, an Agent like webhooker's), nothing read from or written to a database.
//
// With a PostgreSQL URL (the record round), each delivery also leaves the least an attempt history
// can hold: one row (delivery id, attempt number, start, duration, status code, the answer's first
// bytes) with one index, written in groups as webhooker's result writer does (a 10 ms window, at
// most 1 000 rows a statement, 2 statements at once), into a durable database; the round ends
// when every row is committed. Together, send and record are the least work of a delivery that
// has an attempt history, whatever else the gateway does.
//
// Run as a child process (fork) with argv: <main.js of the build snapshot> <sink URL> <deliveries>
// <targets> <in flight> [<PostgreSQL URL>]. Says `ready`; on a `go` message sends `deliveries`
// POSTs, round-robin to the sink's paths /t/0 … /t/<targets-1>, at most `in flight` at once
// (webhooker's DELIVERY_CONCURRENCY), each with a webhook-id of its own and a Standard Webhooks
// signature (HMAC-SHA256 of id.timestamp.body) as webhooker sends; reports
// { deliveries, failed, elapsedMs, stored } and exits on the next message.
import { Buffer } from 'node:buffer';
import { createHmac, randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import process from 'node:process';
import { attemptTableDdl } from '../lib/attempt-table.mjs';
import { groupCommit } from '../lib/group-commit.mjs';
import { BODY } from '../lib/load.mjs';

const [mainJs, sinkUrl, deliveriesArg, targetsArg, inFlightArg, postgresUrl] = process.argv.slice(2);
const requireBuilt = createRequire(mainJs);
const { Agent, request } = requireBuilt('undici');
const deliveries = Number(deliveriesArg);
const targets = Number(targetsArg);
const inFlight = Number(inFlightArg);
const secret = Buffer.from('webhooker-bench-send-reference-secret');
const agent = new Agent({ keepAliveTimeout: 10_000, connections: 256 });

let next = 0;
let failed = 0;

const RECORD_WINDOW_MS = 10;
const RECORD_MAX_ROWS = 1000;
const RECORD_IN_FLIGHT = 2;
const EXCERPT_BYTES = 4096;

/** Writes attempt rows in groups; `drained` resolves once every row given to `record` is committed. */
async function attemptRecorder(url) {
  const { Pool } = requireBuilt('pg');
  const pool = new Pool({ connectionString: url, max: RECORD_IN_FLIGHT });
  await pool.query(attemptTableDdl('attempts'));
  await pool.query('TRUNCATE attempts');
  await pool.query('CHECKPOINT');
  const rows = groupCommit({
    write: (batch) =>
      pool.query(
        `INSERT INTO attempts (delivery_id, attempt_number, started_at, duration_ms, status_code, response_excerpt)
         SELECT id, 1, started_at, duration_ms, status_code, excerpt
         FROM unnest($1::uuid[], $2::timestamptz[], $3::int[], $4::int[], $5::text[])
           AS r(id, started_at, duration_ms, status_code, excerpt)`,
        [
          batch.map((row) => row.id),
          batch.map((row) => row.startedAt),
          batch.map((row) => row.durationMs),
          batch.map((row) => row.statusCode),
          batch.map((row) => row.excerpt),
        ],
      ),
    windowMs: RECORD_WINDOW_MS,
    maxRows: RECORD_MAX_ROWS,
    maxInFlight: RECORD_IN_FLIGHT,
  });
  return {
    record(row) {
      rows.submit(row).catch(() => failed++);
    },
    async drained() {
      await rows.drained();
      const { rows: stored } = await pool.query('SELECT count(*)::int AS n FROM attempts');
      return { stored: stored[0].n };
    },
    // emptied on the way out, so that the database's autovacuum has nothing to do during the next run
    end: () => pool.query('TRUNCATE attempts').finally(() => pool.end()),
  };
}

const recorder = postgresUrl ? await attemptRecorder(postgresUrl) : null;

async function sendOne(n) {
  const deliveryId = randomUUID();
  const id = `msg_${deliveryId}`;
  const startedAt = new Date();
  const started = performance.now();
  const timestamp = Math.floor(Date.now() / 1000).toString();
  const signature = createHmac('sha256', secret).update(`${id}.${timestamp}.`).update(BODY).digest('base64');
  const response = await request(`${sinkUrl}/t/${n % targets}`, {
    method: 'POST',
    dispatcher: agent,
    headers: {
      'content-type': 'application/json',
      'webhook-id': id,
      'webhook-timestamp': timestamp,
      'webhook-signature': `v1,${signature}`,
    },
    body: BODY,
  });
  if (response.statusCode < 200 || response.statusCode >= 300) failed++;
  if (!recorder) {
    await response.body.dump();
    return;
  }
  const excerpt = (await response.body.text()).slice(0, EXCERPT_BYTES);
  recorder.record({
    id: deliveryId,
    startedAt,
    durationMs: Math.round(performance.now() - started),
    statusCode: response.statusCode,
    excerpt,
  });
}

async function worker() {
  while (next < deliveries) {
    const n = next++;
    try {
      await sendOne(n);
    } catch {
      failed++;
    }
  }
}

process.send({ ready: true });
await new Promise((resolve) => process.once('message', resolve));
const startedAt = performance.now();
await Promise.all(Array.from({ length: inFlight }, worker));
const records = recorder ? await recorder.drained() : null;
const elapsedMs = performance.now() - startedAt;
await agent.close();
process.send({ result: { deliveries, failed, elapsedMs, ...records } });
// Exits when told to: the CPU meter reads the database connections' backends before they end.
await new Promise((resolve) => process.once('message', resolve));
await recorder?.end();
process.exit(0);
