import diagnostics from 'node:diagnostics_channel';
import { once } from 'node:events';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { AppConfig } from '../config/config';
import { HostResolver } from '../targets/host-resolver';
import { SsrfGuard } from '../targets/ssrf-guard';
import type { TargetSnapshot } from './delivery-task';
import { CONNECTIONS_PER_ORIGIN, HttpSender, RESPONSE_EXCERPT_BYTES } from './http-sender';
import { LOOP_HEADER, LoopGuard } from './loop-guard';
import { waitFor } from '../../test/sink';

type Handler = (request: IncomingMessage, response: ServerResponse) => void;

/** A receiver on 127.0.0.1 whose answer each test sets. */
class Receiver {
  handler: Handler = (_request, response) => response.end();
  readonly requests: IncomingMessage[] = [];
  readonly closed: string[] = [];
  private readonly server: Server = createServer((request, response) => {
    this.requests.push(request);
    response.on('close', () => this.closed.push(request.url ?? ''));
    this.handler(request, response);
  });

  async start(): Promise<string> {
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    this.server.close();
    await once(this.server, 'close');
  }
}

function target(timeoutMs: number, secret?: string): TargetSnapshot {
  return {
    id: 'target',
    webhookId: 'webhook',
    ownerId: 'owner',
    type: 'http',
    active: true,
    http: { url: 'unused', method: 'POST', headers: {}, timeoutMs } as TargetSnapshot['http'],
    signingSecrets: secret
      ? [{ id: 'secret', secret, createdAt: new Date().toISOString(), expiresAt: null }]
      : [],
    consecutiveFailures: 0,
    circuitOpenUntil: null,
    failingSince: null,
    filter: null,
    transform: null,
  };
}

interface SendOptions {
  timeoutMs?: number;
  secret?: string;
  through?: HttpSender;
}

describe('HttpSender (real HTTP on 127.0.0.1)', () => {
  const receiver = new Receiver();
  let origin: string;
  let sender: HttpSender;

  async function newSender(): Promise<HttpSender> {
    const config = { allowPrivateTargets: false, allowedTargetCidrs: ['127.0.0.1/32'] } as AppConfig;
    const resolver = new HostResolver();
    const loopGuard = new LoopGuard({ getOrCreate: async () => 'installation-1' } as never);
    await loopGuard.onModuleInit();
    return new HttpSender(new SsrfGuard(config, resolver), resolver, loopGuard);
  }

  beforeAll(async () => {
    origin = await receiver.start();
    sender = await newSender();
  });

  afterAll(async () => {
    await sender.onApplicationShutdown();
    await receiver.stop();
  });

  /** Sends to `to`: a path on the receiver, or a URL of its own. */
  function send(to: string, { timeoutMs = 5_000, secret, through = sender }: SendOptions = {}) {
    return through.send(target(timeoutMs, secret), 'msg_1', {
      url: new URL(to, origin),
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-custom': 'kept' },
      body: Buffer.from('{"n":1}'),
    });
  }

  async function timed<T>(work: Promise<T>): Promise<[T, number]> {
    const start = performance.now();
    const result = await work;
    return [result, performance.now() - start];
  }

  it('sends the body with the Standard Webhooks headers and records the answer', async () => {
    let body = '';
    receiver.handler = (request, response) => {
      request.on('data', (chunk) => (body += chunk));
      request.on('end', () => response.writeHead(201, { 'content-type': 'text/plain' }).end('thanks'));
    };
    const outcome = await send('/ok', { secret: 'whsec_c2VjcmV0' });
    expect(outcome).toEqual({
      ok: true,
      statusCode: 201,
      responseExcerpt: 'thanks',
      error: null,
      retryAfter: undefined,
      gone: false,
    });
    const headers = receiver.requests.at(-1)!.headers;
    expect(body).toBe('{"n":1}');
    expect(headers).toMatchObject({
      'content-type': 'application/json',
      'x-custom': 'kept',
      'webhook-id': 'msg_1',
      [LOOP_HEADER]: 'installation-1',
    });
    expect(headers['webhook-timestamp']).toMatch(/^\d{10}$/);
    expect(headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/);
  });

  it('sends its own webhook-* and loop headers once, over any of the same name in the request', async () => {
    receiver.handler = (_request, response) => response.end();
    await sender.send(target(5_000, 'whsec_c2VjcmV0'), 'msg_1', {
      url: new URL('/own', origin),
      method: 'POST',
      headers: {
        'webhook-id': 'forged',
        'webhook-timestamp': '1',
        'webhook-signature': 'v1,forged',
        [LOOP_HEADER]: 'forged',
        'x-custom': 'kept',
      },
      body: Buffer.from('{"n":1}'),
    });
    const { headers, rawHeaders } = receiver.requests.at(-1)!;
    expect(headers['webhook-id']).toBe('msg_1');
    expect(headers['webhook-timestamp']).toMatch(/^\d{10}$/);
    expect(headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/);
    expect(headers[LOOP_HEADER]).toBe('installation-1');
    expect(headers['x-custom']).toBe('kept');
    expect(
      rawHeaders.filter((_, index) => index % 2 === 0).filter((name) => /^webhook-/i.test(name)),
    ).toHaveLength(3);
  });

  it('reads a failure, its Retry-After, a 410 and a redirect it does not follow', async () => {
    receiver.handler = (request, response) => {
      if (request.url === '/busy') response.writeHead(503, { 'retry-after': '7' }).end('later');
      else if (request.url === '/gone') response.writeHead(410).end();
      else response.writeHead(302, { location: '/elsewhere' }).end();
    };
    expect(await send('/busy')).toMatchObject({
      ok: false,
      statusCode: 503,
      responseExcerpt: 'later',
      error: 'HTTP 503',
      retryAfter: '7',
    });
    expect(await send('/gone')).toMatchObject({
      ok: false,
      statusCode: 410,
      gone: true,
      responseExcerpt: null,
    });
    expect(await send('/moved')).toMatchObject({
      ok: false,
      statusCode: 302,
      error: 'redirect (302) not followed',
    });
    expect(receiver.requests.filter((request) => request.url === '/elsewhere')).toHaveLength(0);
  });

  it('keeps the first 4 KiB of a large answer and drops the connection beyond 64 KiB (keeps it below)', async () => {
    const sockets: Socket[] = [];
    receiver.handler = (request, response) => {
      sockets.push(request.socket);
      response.writeHead(200);
      response.end(request.url === '/large' ? 'a'.repeat(200 * 1024) : 'b'.repeat(32 * 1024));
    };
    const outcome = await send('/large');
    expect(outcome).toMatchObject({ ok: true, statusCode: 200, error: null });
    expect(outcome.responseExcerpt).toBe('a'.repeat(RESPONSE_EXCERPT_BYTES));
    await waitFor(() => sockets[0]!.destroyed, 5_000, 'the connection to be dropped');
    expect((await send('/medium')).responseExcerpt).toBe('b'.repeat(RESPONSE_EXCERPT_BYTES));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(sockets[1]!.destroyed).toBe(false);
  });

  it('ends an attempt without an answer at its timeout', async () => {
    receiver.handler = () => undefined;
    const [outcome, ms] = await timed(send('/silent', { timeoutMs: 300 }));
    expect(outcome).toEqual({ ok: false, statusCode: null, responseExcerpt: null, error: 'timed out' });
    expect(ms).toBeGreaterThanOrEqual(290);
    expect(ms).toBeLessThan(3_000);
  });

  it('ends an attempt whose body trickles at its timeout, with the status and the bytes so far', async () => {
    receiver.handler = (_request, response) => {
      response.writeHead(200);
      const drip = setInterval(() => response.write('x'), 50);
      response.on('close', () => clearInterval(drip));
    };
    const [outcome, ms] = await timed(send('/trickle', { timeoutMs: 400 }));
    expect(outcome).toMatchObject({ ok: true, statusCode: 200, error: null });
    expect(outcome.responseExcerpt).toMatch(/^x+$/);
    // the answer never stops (undici's body timeout restarts with every byte): the deadline ends it
    expect(ms).toBeGreaterThanOrEqual(390);
    expect(ms).toBeLessThan(3_000);
    await waitFor(() => receiver.closed.includes('/trickle'), 5_000, 'the trickling answer to be cut');
  });

  it('keeps the status when the connection breaks in the middle of the body', async () => {
    receiver.handler = (request, response) => {
      response.writeHead(200, { 'content-length': '1000' });
      response.write('partial');
      setTimeout(() => request.socket.destroy(), 20);
    };
    expect(await send('/cut')).toMatchObject({ ok: true, statusCode: 200, responseExcerpt: 'partial' });
  });

  it('ends an attempt still waiting for a connection at its deadline, and never sends it', async () => {
    const crowded = await newSender();
    const held: ServerResponse[] = [];
    receiver.handler = (request, response) => {
      if (request.url === '/held') held.push(response);
      else response.end('sent');
    };
    try {
      const holding = Array.from({ length: CONNECTIONS_PER_ORIGIN }, () =>
        send('/held', { timeoutMs: 30_000, through: crowded }),
      );
      await waitFor(() => held.length === CONNECTIONS_PER_ORIGIN, 5_000, 'every connection held');
      const [outcome, ms] = await timed(send('/queued', { timeoutMs: 300, through: crowded }));
      expect(outcome).toEqual({ ok: false, statusCode: null, responseExcerpt: null, error: 'timed out' });
      expect(ms).toBeGreaterThanOrEqual(290);
      expect(ms).toBeLessThan(3_000);

      for (const response of held) response.end('done');
      expect((await Promise.all(holding)).every((sent) => sent.ok)).toBe(true);
      expect((await send('/after', { through: crowded })).responseExcerpt).toBe('sent');
      expect(receiver.requests.filter((request) => request.url === '/queued')).toHaveLength(0);
    } finally {
      await crowded.onApplicationShutdown();
    }
  });

  it('reports a refused connection as an error', async () => {
    const outcome = await send('http://127.0.0.1:1/', { timeoutMs: 2_000 });
    expect(outcome).toMatchObject({ ok: false, statusCode: null });
    expect(outcome.error).toMatch(/ECONNREFUSED/);
  });

  it('interrupts every attempt in flight at once, before or after the headers, and every later one', async () => {
    const stopping = await newSender();
    const answered = new Set<string>();
    const onHeaders = (message: unknown) =>
      answered.add((message as { request: { path: string } }).request.path);
    diagnostics.subscribe('undici:request:headers', onHeaders);
    receiver.handler = (request, response) => {
      if (request.url === '/headers-only') response.writeHead(200).write('started');
    };
    try {
      const attempts = Promise.all([
        timed(send('/silent', { timeoutMs: 30_000, through: stopping })),
        timed(send('/headers-only', { timeoutMs: 30_000, through: stopping })),
      ]);
      await waitFor(
        () => answered.has('/headers-only') && receiver.requests.some((r) => r.url === '/silent'),
        5_000,
        'both requests under way',
      );
      stopping.interrupt(new Error('interrupted: shutting down'));
      const [[silent, silentMs], [started, startedMs]] = await attempts;
      expect(silent).toEqual({
        ok: false,
        statusCode: null,
        responseExcerpt: null,
        error: 'interrupted: shutting down',
      });
      expect(started).toMatchObject({ ok: true, statusCode: 200, error: null });
      expect(Math.max(silentMs, startedMs)).toBeLessThan(5_000);

      const requestsBefore = receiver.requests.length;
      expect(await send('/late', { timeoutMs: 3_000, through: stopping })).toEqual({
        ok: false,
        statusCode: null,
        responseExcerpt: null,
        error: 'interrupted: shutting down',
      });
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(receiver.requests).toHaveLength(requestsBefore);
    } finally {
      diagnostics.unsubscribe('undici:request:headers', onHeaders);
      await stopping.onApplicationShutdown();
    }
  });

  it('refuses an address the SSRF guard does not allow, without connecting', async () => {
    const before = receiver.requests.length;
    const outcome = await send('http://10.0.0.1:9/', { timeoutMs: 1_000 });
    expect(outcome).toMatchObject({ ok: false, statusCode: null });
    expect(outcome.error).toMatch(/10\.0\.0\.1 is not a public address/);
    expect(receiver.requests).toHaveLength(before);
  });
});
