// The send reference: the least any delivery does, and nothing else — one signed POST of the
// event's body to the receiver, with the HTTP client webhooker uses (undici, from the build
// snapshot, an Agent like webhooker's), nothing read from or written to a database.
//
// Run as a child process (fork) with argv: <main.js of the build snapshot> <sink URL> <deliveries>
// <targets> <in flight>. Says `ready`; on a `go` message sends `deliveries` POSTs, round-robin to the sink's paths /t/0 … /t/<targets-1>,
// at most `in flight` at once (webhooker's DELIVERY_CONCURRENCY), each with a webhook-id of its own
// and a Standard Webhooks signature (HMAC-SHA256 of id.timestamp.body) as webhooker sends; reports
// { deliveries, failed, elapsedMs } and exits.
import { Buffer } from 'node:buffer';
import { createHmac, randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import process from 'node:process';
import { BODY } from '../lib/load.mjs';

const [mainJs, sinkUrl, deliveriesArg, targetsArg, inFlightArg] = process.argv.slice(2);
const { Agent, request } = createRequire(mainJs)('undici');
const deliveries = Number(deliveriesArg);
const targets = Number(targetsArg);
const inFlight = Number(inFlightArg);
const secret = Buffer.from('webhooker-bench-send-reference-secret');
const agent = new Agent({ keepAliveTimeout: 10_000, connections: 256 });

let next = 0;
let failed = 0;

async function sendOne(n) {
  const id = `msg_${randomUUID()}`;
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
  await response.body.dump();
  if (response.statusCode < 200 || response.statusCode >= 300) failed++;
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
const elapsedMs = performance.now() - startedAt;
await agent.close();
process.send({ result: { deliveries, failed, elapsedMs } }, () => process.exit(0));
