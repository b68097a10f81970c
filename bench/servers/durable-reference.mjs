// The durable reference: a node:http server that stores each request's body as one row in
// PostgreSQL and answers 200 only after that row is committed — the least any durable ingest does.
// Its PostgreSQL is webhooker's embedded one, started by the same code from the build snapshot
// (durable: fsync and synchronous commit on, the same settings), in a data folder of its own.
//
// Group commit: the requests that arrive within 2 ms (or 100 of them, whichever comes first) are
// written by one multi-row INSERT, then all answered; like webhooker's ingest, at most 4 INSERTs
// run at once, each on its own connection.
//
// Run as a child process (fork) with argv: <main.js of the build snapshot> <data folder> <port>.
// Reports its port, answers `stats` (requests answered, rows stored, WAL bytes written since the
// last truncate), `truncate` and `postgres` (its database's URL, which the send reference's
// record rounds write to) messages.
import { Buffer } from 'node:buffer';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import path from 'node:path';
import process from 'node:process';
import { groupCommit } from '../lib/group-commit.mjs';

const [mainJs, dataDir, pgPort] = process.argv.slice(2);
const requireBuilt = createRequire(mainJs);
const { EmbeddedPostgres } = requireBuilt(
  path.join(path.dirname(mainJs), 'database', 'embedded-postgres.js'),
);
const { Pool } = requireBuilt('pg');

const WINDOW_MS = 2;
const MAX_ROWS = 100;
const MAX_IN_FLIGHT = 4;
const ANSWER = '{"status":"ok"}';

const postgres = await EmbeddedPostgres.start({ dataDir, port: Number(pgPort), durable: true });
const pool = new Pool({ connectionString: postgres.url, max: MAX_IN_FLIGHT });
await pool.query(`CREATE TABLE IF NOT EXISTS requests (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  received_at timestamptz NOT NULL DEFAULT now(),
  body bytea NOT NULL)`);

let requests = 0;
const commits = groupCommit({
  write: (bodies) => pool.query('INSERT INTO requests (body) SELECT * FROM unnest($1::bytea[])', [bodies]),
  windowMs: WINDOW_MS,
  maxRows: MAX_ROWS,
  maxInFlight: MAX_IN_FLIGHT,
});

const server = createServer({ keepAliveTimeout: 60_000 }, (request, response) => {
  const chunks = [];
  request.on('data', (chunk) => chunks.push(chunk));
  request.on('end', () => {
    commits
      .submit(Buffer.concat(chunks))
      .then(
        () => 200,
        () => 503,
      )
      .then((status) => {
        if (status === 200) requests++;
        response.writeHead(status, { 'content-type': 'application/json', 'content-length': ANSWER.length });
        response.end(ANSWER);
      });
  });
});

process.on('message', async (message) => {
  if (message?.cmd === 'stats') {
    const { rows } = await pool.query(
      'SELECT (SELECT count(*)::int FROM requests) AS rows, (SELECT wal_bytes::float FROM pg_stat_wal) AS "walBytes"',
    );
    process.send({ id: message.id, stats: { requests, rows: rows[0].rows, walBytes: rows[0].walBytes } });
  }
  if (message?.cmd === 'postgres') process.send({ id: message.id, stats: { url: postgres.url } });
  if (message?.cmd === 'truncate') {
    await pool.query('TRUNCATE requests');
    await pool.query('CHECKPOINT');
    await pool.query(`SELECT pg_stat_reset_shared('wal')`);
    requests = 0;
    process.send({ id: message.id, stats: { requests } });
  }
});

async function stop() {
  server.close();
  await pool.end().catch(() => {});
  await postgres.stop();
  process.exit(0);
}
process.on('SIGTERM', stop);
process.on('disconnect', stop);

server.listen(0, '127.0.0.1', () => process.send({ ready: true, port: server.address().port }));
