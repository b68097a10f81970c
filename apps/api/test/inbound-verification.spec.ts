import { createHmac } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { ADMIN_PASSWORD, startTestApp, TestApp } from './test-app';
import { asUser, eventually, TestUser, withSql } from './fixtures';
import { Sink, waitFor } from './sink';

const GITHUB_SECRET = "It's a Secret to Everybody";
const GITHUB_SIGNATURE = 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17';

describe('inbound verification (HTTP, real PostgreSQL)', () => {
  let testApp: TestApp;
  let admin: TestUser;
  let sink: Sink;

  beforeAll(async () => {
    testApp = await startTestApp({ ALLOW_PRIVATE_TARGETS: 'true' });
    admin = await asUser(testApp, 'admin', ADMIN_PASSWORD);
    sink = await Sink.start();
  });
  afterAll(async () => {
    await testApp.close();
    await sink.stop();
  });

  /** A webhook with one http target to the sink and an entrypoint with the given verification. */
  async function entrypointWith(verification: object) {
    const webhook = (await admin.apiKey.post('/api/v1/webhooks', { name: 'verified' }).expect(201)).body;
    await admin.apiKey
      .post(`/api/v1/webhooks/${webhook.id}/targets`, {
        name: 'sink',
        type: 'http',
        http: { url: `${sink.url}/${webhook.id}` },
      })
      .expect(201);
    const entrypoint = (
      await admin.apiKey.post(`/api/v1/webhooks/${webhook.id}/entrypoints`, { verification }).expect(201)
    ).body;
    return { webhookId: webhook.id as string, entrypoint, path: `/webhook/${entrypoint.id}` };
  }

  const eventCount = (entrypointId: string) =>
    withSql(testApp, async (sql) => {
      const { rows } = await sql.query(`SELECT count(*)::int AS n FROM events WHERE entrypoint_id = $1`, [
        entrypointId,
      ]);
      return rows[0].n as number;
    });

  describe('a GitHub entrypoint', () => {
    let setup: Awaited<ReturnType<typeof entrypointWith>>;

    beforeAll(async () => {
      setup = await entrypointWith({ preset: 'github', secret: GITHUB_SECRET });
    });

    it('shows the settings and a hint of the secret, never the secret', async () => {
      const response = await admin.apiKey.get(`/api/v1/entrypoints/${setup.entrypoint.id}`).expect(200);
      expect(response.body.verification).toMatchObject({
        method: 'hmac',
        preset: 'github',
        header: 'x-hub-signature-256',
        algorithm: 'sha256',
        encoding: 'hex',
        prefix: 'sha256=',
        signatureFormat: 'plain',
        signedContent: '{body}',
        secrets: [{ id: expect.any(String), hint: '…body', createdAt: expect.any(String), expiresAt: null }],
      });
      expect(JSON.stringify(response.body)).not.toContain('Secret to');
      expect(JSON.stringify(setup.entrypoint)).not.toContain('Secret to');
    });

    it('stores and delivers the genuine request (the example of GitHub’s documentation)', async () => {
      const response = await testApp
        .request()
        .post(setup.path)
        .set('content-type', 'text/plain')
        .set('x-hub-signature-256', GITHUB_SIGNATURE)
        .send('Hello, World!')
        .expect(200);
      expect(await eventCount(setup.entrypoint.id)).toBe(1);
      const delivered = await waitFor(
        () => sink.requests.find((request) => request.headers['webhook-id'] === response.body.eventId),
        10_000,
        'the delivery',
      );
      expect(delivered!.body.toString()).toBe('Hello, World!');
    });

    it('refuses forged, tampered and unsigned requests with a 401 that says nothing more, and stores none', async () => {
      const before = await eventCount(setup.entrypoint.id);
      const forged = [
        testApp
          .request()
          .post(setup.path)
          .set('x-hub-signature-256', `sha256=${'0'.repeat(64)}`),
        testApp.request().post(setup.path).set('x-hub-signature-256', GITHUB_SIGNATURE),
        testApp.request().post(setup.path),
      ];
      const bodies = ['Hello, World!', 'Hello, World?', 'Hello, World!'];
      for (const [index, request] of forged.entries()) {
        const response = await request.set('content-type', 'text/plain').send(bodies[index]!).expect(401);
        expect(response.headers['content-type']).toBe('application/problem+json');
        expect(response.body).toEqual({
          type: 'https://webhooker.dev/problems/unauthorized',
          title: 'Unauthorized',
          status: 401,
          detail: 'Signature verification failed',
        });
      }
      expect(await eventCount(setup.entrypoint.id)).toBe(before);
    });

    it('counts the rejections, lists the last ones with the failed check and redacted headers, in /metrics too', async () => {
      await eventually('the three rejections are written', async () => {
        const entrypoint = await admin.apiKey.get(`/api/v1/entrypoints/${setup.entrypoint.id}`).expect(200);
        return entrypoint.body.rejectedCount === 3;
      });
      const { body } = await admin.apiKey
        .get(`/api/v1/entrypoints/${setup.entrypoint.id}/rejections`)
        .expect(200);
      expect(body.rejectedCount).toBe(3);
      expect(body.recent.map((rejection: { reason: string }) => rejection.reason)).toEqual([
        'missing',
        'mismatch',
        'mismatch',
      ]);
      expect(body.recent[1]).toEqual({
        at: expect.any(String),
        sourceIp: '127.0.0.1',
        reason: 'mismatch',
        detail: 'x-hub-signature-256 matches none of the live secrets',
        headers: expect.objectContaining({
          'x-hub-signature-256': '[redacted]',
          'content-type': 'text/plain',
        }),
      });
      const list = await admin.apiKey.get(`/api/v1/webhooks/${setup.webhookId}/entrypoints`).expect(200);
      expect(list.body.items[0].rejectedCount).toBe(3);
      const metrics = await testApp.request().get('/metrics').expect(200);
      expect(metrics.text).toMatch(/webhooker_ingest_rejected_total\{reason="mismatch"\} [2-9]/);
      expect(metrics.text).toMatch(/webhooker_ingest_rejected_total\{reason="missing"\} [1-9]/);
    });

    it('raises entrypoint.verification_failed for the alerts, with the entrypoint id', async () => {
      const row = await withSql(testApp, async (sql) => {
        const { rows } = await sql.query(
          `SELECT webhook_id, last_data FROM alert_windows WHERE type = 'entrypoint.verification_failed' AND subject_id = $1`,
          [setup.entrypoint.id],
        );
        return rows[0];
      });
      expect(row.webhook_id).toBe(setup.webhookId);
      expect(row.last_data).toMatchObject({ entrypointId: setup.entrypoint.id, reason: expect.any(String) });
    });
  });

  it('verifies a token in its header or in ?token=, as the curl example sends it', async () => {
    const { entrypoint, path } = await entrypointWith({
      method: 'token',
      header: 'X-Webhook-Token',
      secret: 'a-token-of-the-sender',
    });
    expect(entrypoint.verification).toMatchObject({ method: 'token', header: 'x-webhook-token' });
    await testApp
      .request()
      .post(path)
      .set('x-webhook-token', 'a-token-of-the-sender')
      .send({ a: 1 })
      .expect(200);
    await testApp.request().post(`${path}?token=a-token-of-the-sender`).send({ a: 2 }).expect(200);
    await testApp.request().post(`${path}?token=a-token-of-the-sendeR`).send({ a: 3 }).expect(401);
    await testApp.request().post(path).send({ a: 4 }).expect(401);
    expect(await eventCount(entrypoint.id)).toBe(2);
  });

  it('verifies Basic credentials', async () => {
    const { entrypoint, path } = await entrypointWith({
      method: 'basic',
      username: 'stripe',
      secret: 'a-basic-password',
    });
    await testApp.request().post(path).auth('stripe', 'a-basic-password').send({}).expect(200);
    await testApp.request().post(path).auth('stripe', 'another-password').send({}).expect(401);
    expect(await eventCount(entrypoint.id)).toBe(1);
  });

  it('verifies Standard Webhooks signatures made by the standardwebhooks library', async () => {
    const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
    const { entrypoint, path } = await entrypointWith({ preset: 'standard-webhooks', secret });
    const body = '{"type":"user.created"}';
    const now = new Date();
    const headers = {
      'webhook-id': 'msg_1',
      'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
      'webhook-signature': new Webhook(secret).sign('msg_1', now, body),
    };
    await testApp
      .request()
      .post(path)
      .set(headers)
      .set('content-type', 'application/json')
      .send(body)
      .expect(200);
    const old = new Date(now.getTime() - 600_000);
    const expired = {
      'webhook-id': 'msg_2',
      'webhook-timestamp': String(Math.floor(old.getTime() / 1000)),
      'webhook-signature': new Webhook(secret).sign('msg_2', old, body),
    };
    await testApp
      .request()
      .post(path)
      .set(expired)
      .set('content-type', 'application/json')
      .send(body)
      .expect(401);
    expect(await eventCount(entrypoint.id)).toBe(1);
  });

  it('rotates: old and new secrets both verify during the grace period, the old one no longer after it', async () => {
    const { entrypoint, path } = await entrypointWith({ method: 'token', secret: 'first-token-AAAA' });
    const send = (token: string) => testApp.request().post(path).set('x-webhook-token', token).send({});
    const rotated = await admin.apiKey
      .post(`/api/v1/entrypoints/${entrypoint.id}/verification/secrets`, {
        secret: 'second-token-BBBB',
        gracePeriodHours: 1,
      })
      .expect(201);
    expect(rotated.body.secrets).toEqual([
      expect.objectContaining({ hint: '…BBBB', expiresAt: null }),
      expect.objectContaining({ hint: '…AAAA', expiresAt: expect.any(String) }),
    ]);
    expect(JSON.stringify(rotated.body)).not.toMatch(/first-token|second-token/);
    await send('first-token-AAAA').expect(200);
    await send('second-token-BBBB').expect(200);

    await admin.apiKey
      .post(`/api/v1/entrypoints/${entrypoint.id}/verification/secrets`, {
        secret: 'third-token-CCCC',
        gracePeriodHours: 0,
      })
      .expect(201);
    await send('first-token-AAAA').expect(401);
    await send('second-token-BBBB').expect(401);
    await send('third-token-CCCC').expect(200);
  });

  it('replays an idempotent create without any secret in it', async () => {
    const webhook = (await admin.apiKey.post('/api/v1/webhooks', { name: 'replayed' }).expect(201)).body;
    const create = () =>
      admin.apiKey
        .post(`/api/v1/webhooks/${webhook.id}/entrypoints`, {
          verification: { preset: 'gitlab', secret: 'gitlab-token-1' },
        })
        .set('Idempotency-Key', 'verified-entrypoint');
    const first = await create().expect(201);
    const replay = await create().expect(201);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.body).toEqual(first.body);
    expect(JSON.stringify(replay.body)).not.toContain('gitlab-token-1');
  });

  it('keeps the secrets when a change leaves them out, and switches verification off with method none', async () => {
    const { entrypoint, path } = await entrypointWith({ preset: 'gitlab', secret: 'gitlab-token-2' });
    const changed = await admin.apiKey
      .patch(`/api/v1/entrypoints/${entrypoint.id}`, { verification: { method: 'token', header: 'x-other' } })
      .expect(200);
    expect(changed.body.verification).toMatchObject({ method: 'token', preset: null, header: 'x-other' });
    await testApp.request().post(path).set('x-other', 'gitlab-token-2').send({}).expect(200);
    await testApp.request().post(path).set('x-gitlab-token', 'gitlab-token-2').send({}).expect(401);
    const off = await admin.apiKey
      .patch(`/api/v1/entrypoints/${entrypoint.id}`, { verification: { method: 'none' } })
      .expect(200);
    expect(off.body.verification).toMatchObject({ method: 'none', secrets: [] });
    await testApp.request().post(path).send({}).expect(200);
  });

  it('lists the presets for the dashboard’s form', async () => {
    const { body } = await admin.session.get('/api/v1/verification-presets').expect(200);
    expect(body.map((preset: { id: string }) => preset.id)).toEqual([
      'github',
      'stripe',
      'shopify',
      'slack',
      'gitlab',
      'standard-webhooks',
      'svix',
    ]);
    expect(body[3]).toMatchObject({
      name: 'Slack',
      method: 'hmac',
      header: 'x-slack-signature',
      prefix: 'v0=',
      signedContent: 'v0:{timestamp}:{body}',
      timestampHeader: 'x-slack-request-timestamp',
      toleranceSeconds: 300,
    });
  });

  it.each([
    [{ preset: 'github' }, 'verification.secret', 'verification.secret is required'],
    [
      { secret: 'long-enough-secret' },
      'verification.method',
      'verification.method is required unless a preset is given',
    ],
    [{ method: 'sign', secret: 'long-enough-secret' }, 'verification.method', undefined],
    [
      { method: 'hmac', secret: 'long-enough-secret' },
      'verification.header',
      'verification.header is required by the hmac method',
    ],
    [{ preset: 'github', secret: 'short' }, 'verification.secret', undefined],
    [
      { method: 'hmac', header: 'x-sig', signedContent: '{timestamp}.{body}', secret: 'long-enough-secret' },
      'verification.timestampHeader',
      'verification.timestampHeader is required when signedContent uses {timestamp}',
    ],
    [
      { preset: 'svix', secret: 'not base64 at all!' },
      'verification.secret',
      'verification.secret must be "whsec_" followed by base64 for this signature format',
    ],
    [
      { method: 'token', algorithm: 'sha1', secret: 'long-enough-secret' },
      'verification.algorithm',
      undefined,
    ],
    [{ method: 'basic', secret: 'long-enough-secret' }, 'verification.username', undefined],
    [
      { method: 'token', header: 'bad header', secret: 'long-enough-secret' },
      'verification.header',
      undefined,
    ],
  ])('refuses %j with a 400 naming %s', async (verification, field, message) => {
    const webhook = (await admin.apiKey.post('/api/v1/webhooks', { name: 'invalid' }).expect(201)).body;
    const response = await admin.apiKey
      .post(`/api/v1/webhooks/${webhook.id}/entrypoints`, { verification })
      .expect(400);
    expect(response.headers['content-type']).toContain('application/problem+json');
    expect(response.body.errors).toEqual([
      expect.objectContaining({ field, ...(message ? { message } : {}) }),
    ]);
  });

  it('refuses a rotation of an entrypoint without verification', async () => {
    const webhook = (await admin.apiKey.post('/api/v1/webhooks', { name: 'plain' }).expect(201)).body;
    const response = await admin.apiKey
      .post(`/api/v1/entrypoints/${webhook.entrypoints[0].id}/verification/secrets`, {
        secret: 'long-enough-secret',
      })
      .expect(400);
    expect(response.body.errors).toEqual([expect.objectContaining({ field: 'verification.method' })]);
  });

  it('verifies Slack’s scheme with a fresh timestamp (signed as Slack documents)', async () => {
    const secret = '8f742231b10e8888abcd99yyyzzz85a5';
    const { entrypoint, path } = await entrypointWith({ preset: 'slack', secret });
    const body = 'token=x&text=hello';
    const timestamp = String(Math.floor(Date.now() / 1000));
    const signature = `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
    const send = (at: string) =>
      testApp
        .request()
        .post(path)
        .set('content-type', 'application/x-www-form-urlencoded')
        .set('x-slack-request-timestamp', at)
        .set('x-slack-signature', signature)
        .send(body);
    await send(timestamp).expect(200);
    await send(String(Number(timestamp) - 1)).expect(401);
    expect(await eventCount(entrypoint.id)).toBe(1);
  });
});
