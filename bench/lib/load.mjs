// Load generators: a closed loop (autocannon: N connections, each sending its next request as soon
// as the previous one is answered) and an open loop at a fixed rate (our own paced sender, since
// autocannon's rate limit sends each second's budget in a burst).
import autocannon from 'autocannon';
import { Buffer } from 'node:buffer';
import { connect } from 'node:net';
import { clearInterval, clearTimeout, setInterval, setTimeout } from 'node:timers';
import { URL } from 'node:url';
import { now } from './clock.mjs';
import { NumberList } from './stats.mjs';

/** A ~1 KiB JSON body, the same for every request (exactly 1 024 bytes). */
export const BODY = (() => {
  const event = {
    id: 'evt_1QbenchWebhookerPayload0001',
    type: 'invoice.payment_succeeded',
    created: 1763900000,
    livemode: false,
    data: {
      object: {
        id: 'in_1QbenchInvoice000000000001',
        customer: 'cus_bench0000000001',
        amount_paid: 4200,
        currency: 'eur',
        status: 'paid',
        lines: [{ id: 'il_bench0001', description: 'webhooker bench plan', amount: 4200, quantity: 1 }],
      },
    },
    padding: '',
  };
  const base = Buffer.byteLength(JSON.stringify(event));
  event.padding = 'x'.repeat(1024 - base);
  return Buffer.from(JSON.stringify(event));
})();

const JSON_HEADERS = { 'content-type': 'application/json' };
const ANSWER_TIMEOUT_MS = 60_000;

/**
 * Closed-loop load with autocannon: `connections` connections POST `BODY` (with `headers`) to `url`,
 * either for `durationMs` or until `amount` requests are answered; with `uniqueHeader`, each
 * request carries that header with a value of its own (a dedup key that is never repeated). At the
 * end of the duration every connection finishes the request it has in flight (nothing is cut off),
 * so the responses counted here are exactly the requests the server answered.
 */
export function closedLoad({ url, connections = 100, durationMs, amount, headers = {}, uniqueHeader }) {
  return new Promise((resolve, reject) => {
    const clients = [];
    const latencies = new NumberList();
    const statuses = {};
    let ok = 0;
    let lastResponseAt = 0;
    let stopTimer;
    const startedAt = now();
    const instance = autocannon(
      {
        url,
        method: 'POST',
        headers: { ...JSON_HEADERS, ...headers, ...(uniqueHeader ? { [uniqueHeader]: '[<id>]' } : {}) },
        idReplacement: Boolean(uniqueHeader),
        body: BODY,
        connections,
        // the real end of a timed run is the timer below; `duration` only bounds one that hangs
        ...(amount ? { amount } : { duration: Math.ceil(durationMs / 1000) + 60 }),
        timeout: 30,
        sampleInt: 100,
        setupClient: (client) => clients.push(client),
      },
      (error, result) => {
        clearTimeout(stopTimer);
        if (error) return reject(error);
        const elapsedMs = lastResponseAt - startedAt;
        resolve({
          startedAt,
          elapsedMs,
          sent: result.totalRequests,
          ok,
          statuses,
          errors: result.errors,
          timeouts: result.timeouts,
          rate: elapsedMs > 0 ? (ok * 1000) / elapsedMs : 0,
          latency: latencies.summary(),
        });
      },
    );
    instance.on('response', (_client, statusCode, _bytes, responseTime) => {
      lastResponseAt = now();
      statuses[statusCode] = (statuses[statusCode] ?? 0) + 1;
      if (statusCode >= 200 && statusCode < 300) {
        ok++;
        latencies.push(responseTime);
      }
    });
    // Graceful end: each connection stops after the response to the request it has in flight.
    if (!amount) {
      stopTimer = setTimeout(() => {
        for (const client of clients) client.responseMax = Math.max(1, client.reqsMade);
      }, durationMs);
    }
  });
}

/**
 * One keep-alive HTTP/1.1 connection for the paced sender: one request at a time, responses read
 * by content-length (webhooker always sends one). Lighter than a general client, so the sender
 * takes little of the CPU the measured processes need.
 */
class Connection {
  constructor(port, onFree) {
    this.port = port;
    this.onFree = onFree;
    this.pending = null;
    this.buffer = Buffer.alloc(0);
    this.connect();
  }

  connect() {
    this.ready = false;
    this.socket = connect({ port: this.port, host: '127.0.0.1', noDelay: true });
    this.socket.on('connect', () => {
      this.ready = true;
      this.onFree(this);
    });
    this.socket.on('data', (chunk) => this.read(chunk));
    this.socket.on('error', () => {});
    this.socket.on('close', () => {
      this.ready = false;
      this.buffer = Buffer.alloc(0);
      const pending = this.pending;
      this.pending = null;
      pending?.done(null);
      if (!this.closed) setTimeout(() => this.connect(), 10);
    });
  }

  get free() {
    return this.ready && !this.pending;
  }

  send(head, body, done) {
    this.pending = { done };
    this.socket.cork();
    this.socket.write(head);
    this.socket.write(body);
    this.socket.uncork();
  }

  read(chunk) {
    this.buffer = this.buffer.length ? Buffer.concat([this.buffer, chunk]) : chunk;
    const end = this.buffer.indexOf('\r\n\r\n');
    if (end === -1) return;
    const head = this.buffer.subarray(0, end).toString('latin1');
    const length = /\r\ncontent-length:\s*(\d+)/i.exec(head);
    if (!length) return this.socket.destroy();
    const total = end + 4 + Number(length[1]);
    if (this.buffer.length < total) return;
    this.buffer = this.buffer.subarray(total);
    const pending = this.pending;
    this.pending = null;
    pending?.done(Number(head.slice(9, 12)));
    this.onFree(this);
  }

  close() {
    this.closed = true;
    this.socket.destroy();
  }
}

/**
 * Open-loop load at a fixed rate: requests leave evenly paced (checked every millisecond), each
 * stamped `x-sent-at: <epoch ms>` as it is written to a free connection, whatever the previous
 * responses do (a request waits only when all `connections` are busy: `maxLagMs` says how long).
 * Waits for every response before resolving.
 */
export async function pacedLoad({ url, rate, durationMs, connections = 100 }) {
  const target = new URL(url);
  const headPrefix =
    `POST ${target.pathname}${target.search} HTTP/1.1\r\nhost: ${target.host}\r\n` +
    `content-type: application/json\r\ncontent-length: ${BODY.length}\r\nx-sent-at: `;
  const latencies = new NumberList();
  const statuses = {};
  const total = Math.round((rate * durationMs) / 1000);
  let due = 0;
  let sent = 0;
  let answered = 0;
  let ok = 0;
  let errors = 0;
  let maxLagMs = 0;
  let maxInFlight = 0;
  const free = [];
  let startedAt;
  let lastSentAt;
  let finish;
  const finished = new Promise((resolve) => (finish = resolve));

  const pump = () => {
    while (sent < due && free.length) {
      // the connection free the longest: each one is used in turn, so none idles past the server's
      // keep-alive timeout and gets closed just as a request is written to it
      const connection = free.shift();
      if (!connection.free) continue;
      const sentAt = now();
      const scheduledAt = startedAt + (sent * 1000) / rate;
      maxLagMs = Math.max(maxLagMs, sentAt - scheduledAt);
      sent++;
      lastSentAt = sentAt;
      maxInFlight = Math.max(maxInFlight, sent - answered);
      connection.send(`${headPrefix}${sentAt.toFixed(3)}\r\n\r\n`, BODY, (status) => {
        answered++;
        if (status === null) errors++;
        else {
          latencies.push(now() - sentAt);
          statuses[status] = (statuses[status] ?? 0) + 1;
          if (status >= 200 && status < 300) ok++;
        }
        if (answered === total) finish();
      });
    }
  };
  const onFree = (connection) => {
    free.push(connection);
    pump();
  };
  const pool = Array.from({ length: connections }, () => new Connection(target.port, onFree));
  await waitUntil(() => free.length === connections, 10_000);

  startedAt = now();
  const timer = setInterval(() => {
    due = Math.min(total, Math.floor(((now() - startedAt) * rate) / 1000) + 1);
    pump();
    if (sent >= total) clearInterval(timer);
  }, 1);
  // every request is answered, or its connection closed after a minute at most
  const deadline = setTimeout(
    () => pool.forEach((connection) => connection.close()),
    durationMs + ANSWER_TIMEOUT_MS,
  );
  await finished;
  clearTimeout(deadline);
  const elapsedMs = now() - startedAt;
  for (const connection of pool) connection.close();
  return {
    startedAt,
    elapsedMs,
    sent,
    ok,
    statuses,
    errors,
    timeouts: 0,
    rate: (sent * 1000) / (lastSentAt - startedAt + 1000 / rate),
    maxInFlight,
    maxLagMs,
    latency: latencies.summary(),
  };
}

async function waitUntil(check, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('the paced sender could not connect');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
