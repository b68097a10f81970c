import { Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import { connect, Socket } from 'node:net';
import { gzipSync } from 'node:zlib';
import { ConfigChangeListener } from '../src/database/config-change.listener';
import { EntrypointsService } from '../src/entrypoints/entrypoints.service';
import { RouteCache } from '../src/ingest/route-cache';
import { ADMIN_PASSWORD, startTestApp, TestApp } from './test-app';
import { asUser, createMember, eventually, TestUser, withSql } from './fixtures';
import { Sink } from './sink';

/** A request written by hand on its own connection: what it has received, and when it ends. */
interface RawRequest {
  socket: Socket;
  /** Everything the server sent, as latin1 text. */
  received: () => string;
  /** Resolves once the server has sent `100 Continue` (when asked for with `Expect`). */
  continued: Promise<void>;
  /** Resolves with everything the server sent once the connection is closed. */
  closed: Promise<string>;
}

/** Opens a connection and writes a request head (and optionally the start of a body). */
function rawRequest(baseUrl: string, head: string, bodyStart = ''): RawRequest {
  const { port } = new URL(baseUrl);
  const socket = connect(Number(port), '127.0.0.1');
  let received = '';
  let onContinue!: () => void;
  const continued = new Promise<void>((resolve) => (onContinue = resolve));
  socket.on('data', (data) => {
    received += data.toString('latin1');
    if (received.startsWith('HTTP/1.1 100 Continue')) onContinue();
  });
  socket.on('error', () => undefined);
  const closed = new Promise<string>((resolve) => socket.on('close', () => resolve(received)));
  socket.write(head + bodyStart, 'latin1');
  return { socket, received: () => received, continued, closed };
}

/** The head of a request to an entrypoint. */
function head(path: string, headers: Record<string, string | number>): string {
  const lines = Object.entries({ host: '127.0.0.1', ...headers }).map(([name, value]) => `${name}: ${value}`);
  return `POST ${path} HTTP/1.1\r\n${lines.join('\r\n')}\r\n\r\n`;
}

/** The status code of the last response on a raw connection. */
function lastStatus(received: string): number {
  const statuses = [...received.matchAll(/HTTP\/1\.1 (\d{3})/g)].map((match) => Number(match[1]));
  return statuses[statuses.length - 1] ?? 0;
}

/** The `detail` of a problem+json answer. */
async function detail(response: Response): Promise<string> {
  return ((await response.json()) as { detail: string }).detail;
}

function post(url: string, body: string, headers: Record<string, string> = {}) {
  return fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
}

/** A webhook without targets; returns the ingest URL of its first entrypoint. */
async function ingestUrl(testApp: TestApp, user: TestUser): Promise<{ url: string; entrypointId: string }> {
  const webhook = await user.apiKey.post('/api/v1/webhooks', { name: 'isolation' }).expect(201);
  const entrypointId = webhook.body.entrypoints[0].id as string;
  return { url: `${testApp.url}/webhook/${entrypointId}`, entrypointId };
}

async function storedEvents(testApp: TestApp, entrypointId: string) {
  return withSql(testApp, async (sql) => {
    const { rows } = await sql.query(
      `SELECT id, source_ip, headers, body FROM events WHERE entrypoint_id = $1 ORDER BY received_at`,
      [entrypointId],
    );
    return rows as { id: string; source_ip: string | null; headers: Record<string, string>; body: Buffer }[];
  });
}

describe('ingest isolation: one sender cannot hurt another (real PostgreSQL, real HTTP)', () => {
  describe('behind a trusted proxy (TRUST_PROXY=true)', () => {
    let testApp: TestApp;
    let admin: TestUser;

    beforeAll(async () => {
      testApp = await startTestApp({ TRUST_PROXY: 'true' });
      admin = await asUser(testApp, 'admin', ADMIN_PASSWORD);
    });
    afterAll(() => testApp.close());

    it('stores a forged over-long X-Forwarded-For without failing the batch of 50 ordinary senders', async () => {
      const { url, entrypointId } = await ingestUrl(testApp, admin);
      const forged = fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-forwarded-for': `::1%${'a'.repeat(120)}` },
        body: '{"forged":true}',
      });
      const ordinary = Array.from({ length: 50 }, (_, i) =>
        fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-forwarded-for': `203.0.113.${i + 1}` },
          body: JSON.stringify({ sender: i }),
        }),
      );
      const responses = await Promise.all([forged, ...ordinary]);
      expect(responses.map((response) => response.status)).toEqual(Array(51).fill(200));

      const events = await storedEvents(testApp, entrypointId);
      expect(events).toHaveLength(51);
      const addresses = events.map((event) => event.source_ip);
      expect(addresses).toContain('::1');
      for (let i = 1; i <= 50; i++) expect(addresses).toContain(`203.0.113.${i}`);
      expect(Math.max(...addresses.map((address) => address!.length))).toBeLessThanOrEqual(64);
    });

    it('answers a flood of random entrypoint ids with 404 from memory, and still serves a real one from cache', async () => {
      const { url, entrypointId } = await ingestUrl(testApp, admin);
      await post(url, '{}').then((response) => expect(response.status).toBe(200));
      const entrypoints = testApp.app.get(EntrypointsService);
      const lookups = jest.spyOn(entrypoints, 'findForIngest');
      const idLoads = jest.spyOn(entrypoints, 'allIds');
      try {
        const statuses: number[] = [];
        const ids = Array.from({ length: 3_000 }, () => randomUUID());
        const sender = async () => {
          for (let id = ids.pop(); id; id = ids.pop()) {
            const response = await post(`${testApp.url}/webhook/${id}`, '{}');
            await response.arrayBuffer();
            statuses.push(response.status);
          }
        };
        await Promise.all(Array.from({ length: 20 }, sender));
        expect(statuses).toHaveLength(3_000);
        expect(statuses.every((status) => status === 404)).toBe(true);
        expect(lookups).not.toHaveBeenCalled();
        // The set of known ids is reloaded for unknown ids at most once a second: a handful of
        // queries for the whole flood, not one each.
        expect(idLoads.mock.calls.length).toBeLessThan(30);

        const real = await post(url, '{"after":"flood"}');
        expect(real.status).toBe(200);
        expect(lookups).not.toHaveBeenCalled();
        expect(await storedEvents(testApp, entrypointId)).toHaveLength(2);
      } finally {
        lookups.mockRestore();
        idLoads.mockRestore();
      }
    });

    it('stores header values and paths byte-safe, and refuses too many or too large headers with 431', async () => {
      const { url, entrypointId } = await ingestUrl(testApp, admin);
      const path = new URL(url).pathname;
      const odd = rawRequest(
        testApp.url,
        head(`${path}?q=%00%FF&x=%E2%82%AC`, {
          'content-length': 2,
          'x-latin1': 'caf\u00e9\tcr\u00e8me \u00ff',
          'x-percent-nul': '%00',
          connection: 'close',
        }),
        '{}',
      );
      expect(lastStatus(await odd.closed)).toBe(200);
      const tooMany: Record<string, string> = { 'content-length': '2', connection: 'close' };
      for (let i = 0; i < 100; i++) tooMany[`x-h${i}`] = 'v';
      const many = rawRequest(testApp.url, head(path, tooMany), '{}');
      const manyAnswer = await many.closed;
      expect(lastStatus(manyAnswer)).toBe(431);
      expect(manyAnswer).toContain('application/problem+json');
      expect(manyAnswer).toContain('The request has 103 headers; at most 100 are accepted');

      const large = await post(url, '{}', { 'x-large': 'v'.repeat(9_000) });
      expect(large.status).toBe(431);
      expect(await detail(large)).toMatch(/bytes of names and values; at most 8192 are accepted/);

      const nul = rawRequest(testApp.url, head(path, { 'content-length': 2, 'x-nul': 'a\u0000b' }), '{}');
      expect(lastStatus(await nul.closed)).toBe(400);

      const events = await storedEvents(testApp, entrypointId);
      expect(events).toHaveLength(1);
      expect(events[0]!.headers).toMatchObject({
        'x-latin1': 'caf\u00e9\tcr\u00e8me \u00ff',
        'x-percent-nul': '%00',
      });
      const { rows } = await withSql(testApp, (sql) =>
        sql.query(`SELECT path, query FROM events WHERE id = $1`, [events[0]!.id]),
      );
      expect(rows[0]).toEqual({ path, query: 'q=%00%FF&x=%E2%82%AC' });
    });

    describe('JSON bodies of the API', () => {
      const login = (headers: Record<string, string>, body: string | Buffer) =>
        fetch(`${testApp.url}/api/v1/auth/login`, { method: 'POST', headers, body });

      it.each([
        [
          'an unsupported charset',
          { 'content-type': 'application/json; charset=iso-8859-1' },
          '{}',
          415,
          'The charset "iso-8859-1" is not supported; send the JSON body as UTF-8',
        ],
        [
          'an unsupported content encoding',
          { 'content-type': 'application/json', 'content-encoding': 'compress' },
          '{}',
          415,
          'The content encoding "compress" is not supported; send identity, gzip, deflate or br',
        ],
        [
          'a body that is not in its content encoding',
          { 'content-type': 'application/json', 'content-encoding': 'gzip' },
          'not gzip',
          400,
          'The body is not valid "gzip" data, as its Content-Encoding says',
        ],
        ['bad JSON', { 'content-type': 'application/json' }, '{"a":', 400, 'The body is not valid JSON'],
      ])('answers %s with a 4xx problem naming it', async (_what, headers, body, status, expected) => {
        const response = await login(headers, body);
        expect(response.status).toBe(status);
        expect(response.headers.get('content-type')).toContain('application/problem+json');
        expect(await detail(response)).toContain(expected);
      });

      it('still reads a gzip body', async () => {
        const response = await login(
          { 'content-type': 'application/json', 'content-encoding': 'gzip' },
          gzipSync(JSON.stringify({ username: 'admin', password: ADMIN_PASSWORD })),
        );
        expect(response.status).toBe(200);
      });
    });
  });

  describe('behind a list of trusted proxy ranges (TRUST_PROXY=loopback,10.0.0.0/8)', () => {
    let testApp: TestApp;
    let admin: TestUser;

    beforeAll(async () => {
      testApp = await startTestApp({ TRUST_PROXY: 'loopback, 10.0.0.0/8', LOGIN_RATE_LIMIT: '2' });
      admin = await asUser(testApp, 'admin', ADMIN_PASSWORD);
    });
    afterAll(() => testApp.close());

    it('records the rightmost untrusted address of X-Forwarded-For as the source address', async () => {
      const { url, entrypointId } = await ingestUrl(testApp, admin);
      const forwarded = [
        '198.51.100.1, 203.0.113.9, 10.1.2.3',
        '10.1.2.3',
        '::ffff:203.0.113.10',
        'garbage, 10.9.9.9',
        '2001:DB8::7%eth0',
        '',
      ];
      for (const header of forwarded) {
        expect((await post(url, '{}', { 'x-forwarded-for': header })).status).toBe(200);
      }
      expect((await storedEvents(testApp, entrypointId)).map((event) => event.source_ip)).toEqual([
        '203.0.113.9',
        '10.1.2.3',
        '203.0.113.10',
        '10.9.9.9',
        '2001:db8::7',
        '127.0.0.1',
      ]);
    });

    it('limits logins by the same address, so a forged leftmost X-Forwarded-For entry does not escape the limit', async () => {
      const attempt = (forwardedFor: string) =>
        post(
          testApp.url + '/api/v1/auth/login',
          JSON.stringify({ username: 'nobody', password: 'wrong-password' }),
          {
            'x-forwarded-for': forwardedFor,
          },
        ).then((response) => response.status);
      expect(await attempt('198.51.100.1, 203.0.113.20')).toBe(401);
      expect(await attempt('198.51.100.2, 203.0.113.20')).toBe(401);
      expect(await attempt('198.51.100.3, 203.0.113.20, 10.0.0.1')).toBe(429);
      expect(await attempt('203.0.113.21')).toBe(401);
    });
  });

  describe('with small limits', () => {
    let testApp: TestApp;
    let admin: TestUser;
    /** Two more owners of webhooks, each with a share of the ingest budget. */
    let members: TestUser[];

    beforeAll(async () => {
      testApp = await startTestApp({
        INGEST_MAX_PENDING_EVENTS: '4',
        MAX_EVENT_BYTES: '2048',
        INGEST_MAX_PENDING_BYTES: '4096',
        HTTP_REQUEST_TIMEOUT_MS: '1000',
        HTTP_HEADERS_TIMEOUT_MS: '1000',
      });
      admin = await asUser(testApp, 'admin', ADMIN_PASSWORD);
      members = [
        await createMember(testApp, admin, 'owner-two'),
        await createMember(testApp, admin, 'owner-three'),
      ];
    });
    afterAll(() => testApp.close());

    /** An upload that has been admitted (100 Continue) and sent part of its body. */
    async function heldUpload(path: string, headers: Record<string, string | number>, bodyStart: string) {
      const upload = rawRequest(testApp.url, head(path, { ...headers, expect: '100-continue' }));
      await upload.continued;
      upload.socket.write(bodyStart);
      return upload;
    }

    it("answers 503 with Retry-After above an owner's share and above the bound on events in flight, and serves again once they finish", async () => {
      const own = await ingestUrl(testApp, admin);
      const other = await ingestUrl(testApp, members[0]!);
      const third = await ingestUrl(testApp, members[1]!);
      expect((await post(own.url, '{"warm":1}')).status).toBe(200);
      const hold = (url: string) =>
        Promise.all(
          [0, 1].map(() =>
            heldUpload(new URL(url).pathname, { 'content-length': 13, connection: 'close' }, '{"held":'),
          ),
        );
      // half of the 4 events in flight are the admin's share
      const held = await hold(own.url);
      const overShare = await post(own.url, '{"refused":1}');
      expect(overShare.status).toBe(503);
      expect(overShare.headers.get('retry-after')).toBe('1');
      expect(overShare.headers.get('content-type')).toContain('application/problem+json');
      expect(await detail(overShare)).toContain("Too many events of this webhook's owner");
      expect((await post(other.url, '{"other":1}')).status).toBe(200);
      // the other half is another owner's: nothing is left for a third
      held.push(...(await hold(other.url)));
      const overTotal = await post(third.url, '{"refused":1}');
      expect(overTotal.status).toBe(503);
      expect(await detail(overTotal)).toContain('Too many events are being received at once');

      // the refused owner now counts among the owners sharing the bound (a third each): the room
      // the admin gives back is left for it
      held[0]!.socket.write('true}');
      expect(lastStatus(await held[0]!.closed)).toBe(200);
      expect((await post(own.url, '{"refused":2}')).status).toBe(503);
      expect((await post(third.url, '{"third":1}')).status).toBe(200);

      for (const upload of held.slice(1)) upload.socket.write('true}');
      expect((await Promise.all(held.slice(1).map((upload) => upload.closed))).map(lastStatus)).toEqual([
        200, 200, 200,
      ]);
      expect((await post(own.url, '{"after":1}')).status).toBe(200);
      expect((await post(third.url, '{"after":1}')).status).toBe(200);
      const bodies = async (entrypointId: string) =>
        (await storedEvents(testApp, entrypointId)).map((event) => event.body.toString()).sort();
      expect(await bodies(own.entrypointId)).toEqual([
        '{"after":1}',
        '{"held":true}',
        '{"held":true}',
        '{"warm":1}',
      ]);
      expect(await bodies(other.entrypointId)).toEqual(['{"held":true}', '{"held":true}', '{"other":1}']);
      expect(await bodies(third.entrypointId)).toEqual(['{"after":1}', '{"third":1}']);
      const metrics = (await testApp.request().get('/metrics').expect(200)).text;
      expect(metrics).toMatch(/^webhooker_ingest_backpressure_total\{bound="owner"\} [1-9]/m);
      expect(metrics).toMatch(/^webhooker_ingest_backpressure_total\{bound="total"\} [1-9]/m);
    });

    it("keeps an owner's slow uploads to half of the bytes in flight, announced or streamed, so other owners are served", async () => {
      const own = await ingestUrl(testApp, admin);
      const other = await ingestUrl(testApp, members[0]!);
      const third = await ingestUrl(testApp, members[1]!);
      const ownPath = new URL(own.url).pathname;
      expect((await post(own.url, '{}')).status).toBe(200);
      const body = `"${'x'.repeat(2_046)}"`;
      // one upload announcing MAX_EVENT_BYTES takes the admin's share, half of the 4 096 bytes
      const held = [await heldUpload(ownPath, { 'content-length': 2_048, connection: 'close' }, '"')];
      const announced = await post(own.url, '{}');
      expect(announced.status).toBe(503);
      expect(announced.headers.get('retry-after')).toBe('1');
      expect(await detail(announced)).toContain("Too many events of this webhook's owner");
      const streamed = await heldUpload(ownPath, { 'transfer-encoding': 'chunked' }, '2\r\n{}\r\n');
      const streamedAnswer = await streamed.closed;
      expect(lastStatus(streamedAnswer)).toBe(503);
      expect(streamedAnswer).toContain('retry-after: 1');
      expect((await post(other.url, '{}')).status).toBe(200);
      // another owner's slow upload takes the other half: a third owner is refused, announced or streamed
      held.push(
        await heldUpload(new URL(other.url).pathname, { 'content-length': 2_048, connection: 'close' }, '"'),
      );
      expect((await post(third.url, '{}')).status).toBe(503);
      const thirdStreamed = await heldUpload(
        new URL(third.url).pathname,
        { 'transfer-encoding': 'chunked' },
        '2\r\n{}\r\n',
      );
      expect(lastStatus(await thirdStreamed.closed)).toBe(503);

      for (const upload of held) upload.socket.write(body.slice(1));
      expect((await Promise.all(held.map((upload) => upload.closed))).map(lastStatus)).toEqual([200, 200]);
      expect((await post(own.url, '{}')).status).toBe(200);
      expect((await post(third.url, '{}')).status).toBe(200);
      expect(await storedEvents(testApp, own.entrypointId)).toHaveLength(3);
      expect(await storedEvents(testApp, other.entrypointId)).toHaveLength(2);
      expect(await storedEvents(testApp, third.entrypointId)).toHaveLength(1);
    });

    it('cuts off a sender trickling its body byte by byte, while ordinary senders get 200', async () => {
      const { url, entrypointId } = await ingestUrl(testApp, admin);
      const path = new URL(url).pathname;
      expect((await post(url, '{}')).status).toBe(200);
      const trickler = rawRequest(testApp.url, head(path, { 'content-length': 1_000, 'x-sender': 'slow' }));
      const slowHead = rawRequest(testApp.url, `POST ${path} HTTP/1.1\r\nhost: 127.0.0.1\r\nx-slow: `);
      const drip = setInterval(() => {
        trickler.socket.write('a');
        slowHead.socket.write('b');
      }, 50);
      try {
        const statuses: number[] = [];
        while (!trickler.socket.destroyed && trickler.received() === '' && statuses.length < 1_000) {
          const response = await post(url, '{}', { 'x-sender': 'ordinary' });
          statuses.push(response.status);
        }
        expect(lastStatus(await trickler.closed)).toBe(408);
        expect(lastStatus(await slowHead.closed)).toBe(408);
        expect(statuses.length).toBeGreaterThan(0);
        expect(statuses.every((status) => status === 200)).toBe(true);
        const events = await storedEvents(testApp, entrypointId);
        expect(events.filter((event) => event.headers['x-sender'] === 'slow')).toHaveLength(0);
        expect(events).toHaveLength(statuses.length + 1);
      } finally {
        clearInterval(drip);
      }
    });

    it('gives back the room of a sender that went away while its route was looked up', async () => {
      const { url } = await ingestUrl(testApp, admin);
      const path = new URL(url).pathname;
      const debug = jest.spyOn(Logger.prototype, 'debug');
      // the route is not cached (it expired, or a replica just started): it is read while the sender leaves
      const routes = testApp.app.get(RouteCache);
      const lookup = routes.get.bind(routes);
      const slowLookup = jest
        .spyOn(routes, 'get')
        .mockImplementation(
          async (id) => new Promise((resolve) => setTimeout(() => resolve(lookup(id)), 300)),
        );
      try {
        // more uploads than the owner's share (2 of the 4 events in flight): without their room
        // given back, the owner's share stays taken for good
        for (let i = 0; i < 6; i++) {
          const upload = await heldUpload(path, { 'content-length': 100 }, '{"gone":');
          upload.socket.destroy();
          await upload.closed;
        }
        const gone = () => debug.mock.calls.filter(([message]) => String(message).includes('went away'));
        await eventually('a departure is logged', async () => gone().length > 0);
        await new Promise((resolve) => setTimeout(resolve, 600));
      } finally {
        slowLookup.mockRestore();
        debug.mockRestore();
      }
      expect((await post(url, '{"after":"departures"}')).status).toBe(200);
    });

    it('stores nothing for an aborted upload, logs it at debug level without a stack, and keeps serving', async () => {
      const { url, entrypointId } = await ingestUrl(testApp, admin);
      const path = new URL(url).pathname;
      expect((await post(url, '{}')).status).toBe(200);
      const debug = jest.spyOn(Logger.prototype, 'debug');
      const error = jest.spyOn(Logger.prototype, 'error');
      try {
        for (let i = 0; i < 5; i++) {
          const upload = await heldUpload(path, { 'content-length': 100 }, '{"aborted":');
          upload.socket.destroy();
          await upload.closed;
        }
        const aborts = () => debug.mock.calls.filter(([message]) => String(message).includes('went away'));
        await eventually('the five aborts are logged', async () => aborts().length === 5);
        for (const [message] of aborts()) expect(String(message)).not.toMatch(/\n\s+at /);
        expect(error).not.toHaveBeenCalled();
        expect((await post(url, '{"after":"aborts"}')).status).toBe(200);
        const bodies = (await storedEvents(testApp, entrypointId)).map((event) => event.body.toString());
        expect(bodies).toEqual(['{}', '{"after":"aborts"}']);
      } finally {
        debug.mockRestore();
        error.mockRestore();
      }
    });
  });

  describe('with a cap on connections (HTTP_MAX_CONNECTIONS=3)', () => {
    let testApp: TestApp;

    beforeAll(async () => {
      testApp = await startTestApp({ HTTP_MAX_CONNECTIONS: '3' });
    });
    afterAll(() => testApp.close());

    it('drops connections over the cap at once, and serves again when they are gone', async () => {
      const connections = Array.from({ length: 4 }, () => rawRequest(testApp.url, ''));
      const dropped = await Promise.race(
        connections.map((connection) => connection.closed.then(() => connection)),
      );
      expect(dropped.received()).toBe('');
      const kept = connections.filter((connection) => connection !== dropped);
      const server = testApp.app.getHttpServer() as Server;
      const count = () => new Promise<number>((resolve) => server.getConnections((_error, n) => resolve(n)));
      expect(await count()).toBe(3);
      expect(kept.every((connection) => !connection.socket.destroyed)).toBe(true);

      for (const connection of kept) connection.socket.destroy();
      await eventually('the connections are closed', async () => (await count()) === 0);
      expect((await fetch(`${testApp.url}/healthz`)).status).toBe(200);
    });
  });

  describe('with a cap per address (HTTP_MAX_CONNECTIONS_PER_ADDRESS=2), listening on both families', () => {
    let testApp: TestApp;

    beforeAll(async () => {
      testApp = await startTestApp({ HTTP_MAX_CONNECTIONS_PER_ADDRESS: '2', HOST: '::' });
    });
    afterAll(() => testApp.close());

    it("drops an address's connections over its cap at once, and still serves other addresses", async () => {
      const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
      try {
        const connections = Array.from({ length: 3 }, () => rawRequest(testApp.url, ''));
        const dropped = await Promise.race(
          connections.map((connection) => connection.closed.then(() => connection)),
        );
        expect(dropped.received()).toBe('');
        const kept = connections.filter((connection) => connection !== dropped);
        expect(kept.every((connection) => !connection.socket.destroyed)).toBe(true);
        const { port } = new URL(testApp.url);
        expect((await fetch(`http://[::1]:${port}/healthz`)).status).toBe(200);
        expect(warn).toHaveBeenCalledWith(expect.stringContaining('Connections from 127.0.0.1 refused'));

        for (const connection of kept) connection.socket.destroy();
        await Promise.all(kept.map((connection) => connection.closed));
        await eventually('127.0.0.1 is served again', async () => {
          const response = await fetch(`${testApp.url}/healthz`).catch(() => null);
          return response?.status === 200;
        });
      } finally {
        warn.mockRestore();
      }
    });
  });

  describe('with a cap per address behind a trusted proxy (TRUST_PROXY=loopback)', () => {
    let testApp: TestApp;

    beforeAll(async () => {
      testApp = await startTestApp({ HTTP_MAX_CONNECTIONS_PER_ADDRESS: '2', TRUST_PROXY: 'loopback' });
    });
    afterAll(() => testApp.close());

    it("does not cap the proxy's connections: every client comes from its address", async () => {
      const connections = Array.from({ length: 4 }, () => rawRequest(testApp.url, ''));
      const server = testApp.app.getHttpServer() as Server;
      const count = () => new Promise<number>((resolve) => server.getConnections((_error, n) => resolve(n)));
      await eventually('the four connections are open', async () => (await count()) === 4);
      expect(connections.every((connection) => !connection.socket.destroyed)).toBe(true);
      for (const connection of connections) connection.socket.destroy();
    });
  });

  describe('with the configuration change listener dead', () => {
    let testApp: TestApp;
    let admin: TestUser;

    beforeAll(async () => {
      testApp = await startTestApp({ ROUTE_CACHE_TTL_MS: '500', ALLOW_PRIVATE_TARGETS: 'true' });
      admin = await asUser(testApp, 'admin', ADMIN_PASSWORD);
      await testApp.app.get(ConfigChangeListener).onApplicationShutdown();
    });
    afterAll(() => testApp.close());

    it('stops sending to a target deactivated behind its back once the TTL has passed', async () => {
      const sink = await Sink.start();
      sink.reply = () => ({ status: 200, delayMs: 100 });
      try {
        const webhook = await admin.apiKey.post('/api/v1/webhooks', { name: 'stale' }).expect(201);
        const target = await admin.apiKey
          .post(`/api/v1/webhooks/${webhook.body.id}/targets`, {
            name: 'slow',
            type: 'http',
            http: { url: sink.url, concurrency: 1 },
          })
          .expect(201);
        const path = `/webhook/${webhook.body.entrypoints[0].id}`;
        for (let n = 0; n < 20; n++) await testApp.request().post(path).send({ n }).expect(200);
        await eventually('the first delivery', async () => sink.requests.length > 0);
        await withSql(testApp, (sql) =>
          sql.query(`UPDATE targets SET active = false WHERE id = $1`, [target.body.id]),
        );
        await new Promise((resolve) => setTimeout(resolve, 1500));
        const sent = sink.requests.length;
        await new Promise((resolve) => setTimeout(resolve, 1000));
        expect(sink.requests.length).toBeLessThanOrEqual(sent + 1);
        expect(sent).toBeLessThan(20);
        const paused = await withSql(testApp, (sql) =>
          sql.query(`SELECT count(*)::int AS n FROM deliveries WHERE target_id = $1 AND status = 'paused'`, [
            target.body.id,
          ]),
        );
        expect(paused.rows[0].n).toBeGreaterThan(0);
      } finally {
        await sink.stop();
      }
    });

    it('answers 410 for an entrypoint deleted behind its back once the route cache TTL has passed', async () => {
      const { url, entrypointId } = await ingestUrl(testApp, admin);
      expect((await post(url, '{}')).status).toBe(200);
      await withSql(testApp, (sql) =>
        sql.query(`UPDATE entrypoints SET deleted_at = now() WHERE id = $1`, [entrypointId]),
      );
      await eventually(
        'the deleted entrypoint answers 410',
        async () => (await post(url, '{}')).status === 410,
        10_000,
      );
    });
  });
});
