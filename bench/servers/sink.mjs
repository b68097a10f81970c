// The sink: webhooker's `http` targets point here (`/t/<n>`). A keep-alive node:http server that
// reads the body and answers 200 at once, counting deliveries (and duplicates, by path and
// webhook-id) and the ingest-to-sink latency from the `x-sent-at` header stamped by the load
// generator. Run as a child process (fork); answers `stats` and `reset` messages.
import { createServer } from 'node:http';
import process from 'node:process';
import { now } from '../lib/clock.mjs';
import { NumberList } from '../lib/stats.mjs';

let count = 0;
let duplicates = 0;
let firstAt = null;
let lastAt = null;
let seen = new Set();
let byPath = new Map();
const latencies = new NumberList();

function reset() {
  count = 0;
  duplicates = 0;
  firstAt = null;
  lastAt = null;
  seen = new Set();
  byPath = new Map();
  latencies.clear();
}

function stats(withLatency) {
  return {
    count,
    unique: seen.size,
    duplicates,
    firstAt,
    lastAt,
    byPath: Object.fromEntries(byPath),
    latency: withLatency ? latencies.summary() : { count: latencies.length },
  };
}

const server = createServer({ keepAliveTimeout: 60_000 }, (request, response) => {
  const sentAt = Number(request.headers['x-sent-at']);
  const key = `${request.url} ${request.headers['webhook-id']}`;
  request.on('data', () => {});
  request.on('end', () => {
    const at = now();
    count++;
    if (firstAt === null) firstAt = at;
    lastAt = at;
    if (seen.has(key)) duplicates++;
    else seen.add(key);
    byPath.set(request.url, (byPath.get(request.url) ?? 0) + 1);
    if (sentAt > 0) latencies.push(at - sentAt);
    response.writeHead(200, { 'content-length': 0 });
    response.end();
  });
});

process.on('message', (message) => {
  if (message?.cmd === 'stats') process.send({ id: message.id, stats: stats(message.latency) });
  if (message?.cmd === 'reset') {
    // answers with the numbers up to the reset
    const before = stats(false);
    reset();
    process.send({ id: message.id, stats: before });
  }
});
process.on('SIGTERM', () => process.exit(0));
process.on('disconnect', () => process.exit(0));

server.listen(0, '127.0.0.1', () => process.send({ ready: true, port: server.address().port }));
