import { Logger } from '@nestjs/common';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { REDACTED } from '../src/idempotency/idempotency.service';
import { OPERATIONAL_EVENT_TYPES } from '../src/common/operational-events';
import { asUser, createMember, eventually, seedDelivery, seedEvent, TestUser, withSql } from './fixtures';
import { ReceivedRequest, Sink } from './sink';
import { ADMIN_PASSWORD, startTestApp, TestApp } from './test-app';

/** An alert as a subscriber received it, its signature checked. */
interface Alert {
  type: string;
  occurredAt: string;
  webhookId: string;
  data: Record<string, unknown>;
}

/**
 * Alerts (issue 8): operational events reach each user's subscriptions through their system
 * webhook, signed, once per transition, rate-limited where they come in bursts, and never about
 * the system webhook itself.
 */
describe('alerts (real PostgreSQL, real HTTP receivers)', () => {
  let testApp: TestApp;
  let admin: TestUser;
  let member: TestUser;
  const sinks: Sink[] = [];
  /** Every log line the engine's log targets wrote. */
  const logLines: Record<string, unknown>[] = [];

  /** The admin's notification URL, subscribed to every operational event type. */
  let inbox: Sink;
  let inboxSecret: string;

  async function sink(
    reply: (n: number, request: ReceivedRequest) => { status: number } = () => ({ status: 200 }),
  ) {
    const started = await Sink.start();
    started.reply = reply;
    sinks.push(started);
    return started;
  }

  /** Every alert the sink received, each verified against the subscription's signing secret (throws if forged). */
  function alerts(receiver: Sink, secret: string): Alert[] {
    const verifier = new StandardWebhook(secret);
    return receiver.requests.map((request) => {
      expect(request.headers['content-type']).toBe('application/json');
      return verifier.verify(
        request.body.toString('utf8'),
        request.headers as Record<string, string>,
      ) as Alert;
    });
  }

  function alertsAbout(receiver: Sink, secret: string, webhookId: string, type: string): Alert[] {
    return alerts(receiver, secret).filter((alert) => alert.webhookId === webhookId && alert.type === type);
  }

  async function webhookWith(user: TestUser, target: object) {
    const webhook = await user.apiKey.post('/api/v1/webhooks', { name: 'watched' }).expect(201);
    const created = await user.apiKey.post(`/api/v1/webhooks/${webhook.body.id}/targets`, target).expect(201);
    return {
      webhookId: webhook.body.id as string,
      entrypointId: webhook.body.entrypoints[0].id as string,
      ingestPath: `/webhook/${webhook.body.entrypoints[0].id}`,
      targetId: created.body.id as string,
    };
  }

  async function subscribe(user: TestUser, subscription: object) {
    return (await user.apiKey.post('/api/v1/alerts/subscriptions', subscription).expect(201)).body;
  }

  beforeAll(async () => {
    testApp = await startTestApp({
      ALLOW_PRIVATE_TARGETS: 'true',
      SWEEP_INTERVAL_MS: '200',
      CIRCUIT_COOLDOWN_MS: '300',
      // Long enough that no window closes by itself while a test runs: the test closes it.
      ALERT_INTERVAL_MS: '600000',
      BACKLOG_ALERT_THRESHOLD: '10',
      BACKLOG_CHECK_INTERVAL_MS: '200',
    });
    jest.spyOn(Logger.prototype, 'log').mockImplementation(function (this: Logger, message: unknown) {
      if ((this as unknown as { context?: string }).context === 'LogTarget') {
        logLines.push(message as Record<string, unknown>);
      }
    });
    admin = await asUser(testApp, 'admin', ADMIN_PASSWORD);
    member = await createMember(testApp, admin, 'alice');
    inbox = await sink();
    const created = await subscribe(admin, {
      name: 'on-call',
      type: 'http',
      eventTypes: [...OPERATIONAL_EVENT_TYPES],
      http: { url: `${inbox.url}/alerts` },
    });
    inboxSecret = created.signingSecret;
  });

  afterAll(async () => {
    jest.restoreAllMocks();
    await testApp.close();
    await Promise.all(sinks.map((s) => s.stop()));
  });

  it('tells of a circuit opening and closing, once each, signed', async () => {
    let healthy = false;
    const receiver = await sink(() => ({ status: healthy ? 200 : 503 }));
    const { webhookId, ingestPath, targetId } = await webhookWith(admin, {
      name: 'flaky',
      type: 'http',
      http: { url: receiver.url, maxRetries: 10, concurrency: 1 },
    });
    for (let n = 0; n < 6; n++) await testApp.request().post(ingestPath).send({ n }).expect(200);
    await eventually('the circuit-opened alert arrives', async () =>
      inbox.requests.some((r) => r.body.includes(webhookId)),
    );
    healthy = true;
    await eventually(
      'the circuit-closed alert arrives',
      async () => alertsAbout(inbox, inboxSecret, webhookId, 'target.circuit_closed').length > 0,
    );
    const opened = alertsAbout(inbox, inboxSecret, webhookId, 'target.circuit_opened');
    const closed = alertsAbout(inbox, inboxSecret, webhookId, 'target.circuit_closed');
    expect(opened).toEqual([
      {
        type: 'target.circuit_opened',
        occurredAt: expect.any(String),
        webhookId,
        data: { targetId, consecutiveFailures: expect.any(Number), circuitOpenUntil: expect.any(String) },
      },
    ]);
    expect(opened[0]!.data.consecutiveFailures).toBeGreaterThanOrEqual(5);
    expect(closed).toEqual([
      {
        type: 'target.circuit_closed',
        occurredAt: expect.any(String),
        webhookId,
        data: { targetId, consecutiveFailures: 0, circuitOpenUntil: null },
      },
    ]);
  });

  it('tells of a target disabled by a 410 answer, once', async () => {
    const gone = await sink(() => ({ status: 410 }));
    const { webhookId, ingestPath, targetId } = await webhookWith(admin, {
      name: 'retired',
      type: 'http',
      http: { url: gone.url, maxRetries: 5 },
    });
    await testApp.request().post(ingestPath).send({ n: 1 }).expect(200);
    await testApp.request().post(ingestPath).send({ n: 2 }).expect(200);
    await eventually(
      'the target-disabled alert arrives',
      async () => alertsAbout(inbox, inboxSecret, webhookId, 'target.disabled').length > 0,
    );
    expect(alertsAbout(inbox, inboxSecret, webhookId, 'target.disabled')).toEqual([
      {
        type: 'target.disabled',
        occurredAt: expect.any(String),
        webhookId,
        data: { targetId, reason: 'the receiver answered 410 Gone' },
      },
    ]);
  });

  it('folds a burst of 20 failed deliveries into one alert with the count, and opens a new window after it', async () => {
    const failing = await sink(() => ({ status: 500 }));
    const { webhookId, ingestPath, targetId } = await webhookWith(admin, {
      name: 'fire-and-forget',
      type: 'http',
      http: { url: failing.url, maxRetries: 0 },
    });
    const window = () =>
      withSql(testApp, async (sql) => {
        const { rows } = await sql.query(
          `SELECT count FROM alert_windows WHERE type = 'delivery.failed' AND subject_id = $1`,
          [targetId],
        );
        return rows[0]?.count as number | undefined;
      });
    for (let n = 0; n < 20; n++) await testApp.request().post(ingestPath).send({ n }).expect(200);
    await eventually('20 failures are counted in one window', async () => (await window()) === 20);
    expect(failing.requests).toHaveLength(20);
    expect(alertsAbout(inbox, inboxSecret, webhookId, 'delivery.failed')).toEqual([]);

    // The interval passes (the window is made older than ALERT_INTERVAL_MS).
    await withSql(testApp, (sql) =>
      sql.query(`UPDATE alert_windows SET opened_at = opened_at - interval '1 hour' WHERE subject_id = $1`, [
        targetId,
      ]),
    );
    await eventually(
      'the folded alert arrives',
      async () => alertsAbout(inbox, inboxSecret, webhookId, 'delivery.failed').length > 0,
    );
    const [alert, ...more] = alertsAbout(inbox, inboxSecret, webhookId, 'delivery.failed');
    expect(more).toEqual([]);
    expect(alert!.data).toMatchObject({
      targetId,
      count: 20,
      attempts: 1,
      lastStatusCode: 500,
      deliveryId: expect.any(String),
      eventId: expect.any(String),
      firstOccurredAt: expect.any(String),
    });
    expect(Date.parse(alert!.data.firstOccurredAt as string)).toBeLessThanOrEqual(
      Date.parse(alert!.occurredAt),
    );

    await testApp.request().post(ingestPath).send({ n: 21 }).expect(200);
    await eventually('the next failure opens a new window', async () => (await window()) === 1);
  });

  it('tells once when a webhook backlog crosses the threshold, and again only after it fell below half', async () => {
    const { webhookId, entrypointId, targetId } = await webhookWith(admin, { name: 'log', type: 'log' });
    /** Seeds `count` waiting deliveries in one transaction: a check counts all of them or none. */
    const seed = (webhook: { webhookId: string; entrypointId: string; targetId: string }, count: number) =>
      withSql(testApp, async (sql) => {
        await sql.query('BEGIN');
        for (let n = 0; n < count; n++) {
          const eventId = await seedEvent(sql, webhook.webhookId, webhook.entrypointId);
          await seedDelivery(sql, { ...webhook, eventId, status: 'pending' });
        }
        await sql.query('COMMIT');
      });
    const seedWaiting = (count: number) => seed({ webhookId, entrypointId, targetId }, count);
    /** Returns once a check has counted after this call: another webhook's backlog is raised. */
    const aCheckRan = async () => {
      const fence = await webhookWith(admin, { name: 'fence', type: 'log' });
      await seed(fence, 10);
      await eventually(
        'a check after this point',
        async () => alertsAbout(inbox, inboxSecret, fence.webhookId, 'webhook.backlog_high').length > 0,
      );
    };
    const raised = () =>
      withSql(testApp, async (sql) => {
        const { rows } = await sql.query(`SELECT waiting FROM backlog_alerts WHERE webhook_id = $1`, [
          webhookId,
        ]);
        return rows[0]?.waiting as number | undefined;
      });
    const backlogAlerts = () => alertsAbout(inbox, inboxSecret, webhookId, 'webhook.backlog_high');

    await seedWaiting(9);
    await seedWaiting(3);
    await eventually('the backlog alert arrives', async () => backlogAlerts().length > 0);
    expect(backlogAlerts()).toEqual([
      {
        type: 'webhook.backlog_high',
        occurredAt: expect.any(String),
        webhookId,
        data: { waiting: 12, threshold: 10 },
      },
    ]);

    // Still high (more waiting): not raised again. Drained to 6 (not below half): still raised.
    await seedWaiting(2);
    await withSql(testApp, (sql) =>
      sql.query(
        `UPDATE deliveries SET status = 'delivered' WHERE id IN
           (SELECT id FROM deliveries WHERE webhook_id = $1 AND status = 'pending' LIMIT 8)`,
        [webhookId],
      ),
    );
    await aCheckRan();
    expect(await raised()).toBe(12);
    expect(backlogAlerts()).toHaveLength(1);
    await withSql(testApp, (sql) =>
      sql.query(
        `UPDATE deliveries SET status = 'delivered' WHERE id IN
           (SELECT id FROM deliveries WHERE webhook_id = $1 AND status = 'pending' LIMIT 2)`,
        [webhookId],
      ),
    );
    await eventually('the alert re-arms below half', async () => (await raised()) === undefined);
    expect(backlogAlerts()).toHaveLength(1);

    await seedWaiting(8);
    await eventually('the second backlog alert arrives', async () => backlogAlerts().length === 2);
    expect(backlogAlerts()[1]!.data).toEqual({ waiting: 12, threshold: 10 });
  });

  it('writes a log line for a log subscription; other users hear nothing of it, and a failing notification URL never alerts about itself', async () => {
    const logSubscription = await subscribe(member, {
      name: 'log it',
      type: 'log',
      eventTypes: ['target.disabled'],
    });
    expect(logSubscription.signingSecret).toBeUndefined();
    const memberInbox = await sink();
    const memberSubscription = await subscribe(member, {
      name: 'member inbox',
      type: 'http',
      eventTypes: [...OPERATIONAL_EVENT_TYPES],
      http: { url: memberInbox.url },
    });
    const broken = await sink(() => ({ status: 410 }));
    const brokenSubscription = await subscribe(member, {
      name: 'broken',
      type: 'http',
      eventTypes: [...OPERATIONAL_EVENT_TYPES],
      http: { url: broken.url, maxRetries: 0 },
    });

    // The member's webhook loses a target: every subscription of the member hears of it, the admin doesn't.
    const gone = await sink(() => ({ status: 410 }));
    const memberWebhook = await webhookWith(member, { name: 'gone', type: 'http', http: { url: gone.url } });
    await testApp.request().post(memberWebhook.ingestPath).send({}).expect(200);
    await eventually(
      'the member hears of the disabled target',
      async () =>
        alertsAbout(memberInbox, memberSubscription.signingSecret, memberWebhook.webhookId, 'target.disabled')
          .length > 0,
    );
    await eventually('the broken notification URL is disabled by its 410', async () => {
      const shown = await member.apiKey
        .get(`/api/v1/alerts/subscriptions/${brokenSubscription.id}`)
        .expect(200);
      return shown.body.active === false;
    });

    const line = await eventually('the log line is written', async () =>
      logLines.some((l) => l.targetId === logSubscription.id),
    ).then(() => logLines.find((l) => l.targetId === logSubscription.id)!);
    expect(line).toMatchObject({
      msg: 'webhook event',
      contentType: 'application/json',
      bodyEncoding: 'utf8',
    });
    expect(JSON.parse(line.body as string)).toMatchObject({
      type: 'target.disabled',
      webhookId: memberWebhook.webhookId,
      data: { targetId: memberWebhook.targetId },
    });

    // A later alert of the member's arrives after everything the broken subscription could have raised.
    const later = await webhookWith(member, { name: 'gone too', type: 'http', http: { url: gone.url } });
    await testApp.request().post(later.ingestPath).send({}).expect(200);
    await eventually(
      'the later alert arrives',
      async () =>
        alertsAbout(memberInbox, memberSubscription.signingSecret, later.webhookId, 'target.disabled')
          .length > 0,
    );
    const systemWebhookId = memberSubscription.webhookId;
    const heard = alerts(memberInbox, memberSubscription.signingSecret);
    expect(heard.map((alert) => alert.webhookId)).not.toContain(systemWebhookId);
    expect(new Set(heard.map((alert) => alert.webhookId))).toEqual(
      new Set([memberWebhook.webhookId, later.webhookId]),
    );
    expect(alerts(inbox, inboxSecret).map((alert) => alert.webhookId)).not.toContain(memberWebhook.webhookId);
    const windows = await withSql(testApp, (sql) =>
      sql.query(`SELECT 1 FROM alert_windows WHERE webhook_id = $1`, [systemWebhookId]),
    );
    expect(windows.rows).toEqual([]);
    const recorded = await member.apiKey.get('/api/v1/alerts/events?limit=200').expect(200);
    expect(recorded.body.items.map((event: Alert) => event.webhookId)).not.toContain(systemWebhookId);
  });

  // Reads what the tests above raised.
  it('lists the operational events of the caller, newest first, with the delivery to each subscription', async () => {
    const first = await admin.apiKey.get('/api/v1/alerts/events?limit=2').expect(200);
    expect(first.body.items).toHaveLength(2);
    expect(first.body.nextCursor).toEqual(expect.any(String));
    const all = await admin.apiKey.get('/api/v1/alerts/events?limit=200').expect(200);
    const systemWebhookId = (await admin.apiKey.get('/api/v1/alerts/subscriptions').expect(200)).body.items[0]
      .webhookId;
    const recorded = await withSql(testApp, (sql) =>
      sql.query(`SELECT id FROM events WHERE webhook_id = $1 ORDER BY received_at DESC, id DESC`, [
        systemWebhookId,
      ]),
    );
    expect(all.body.items.map((event: { id: string }) => event.id)).toEqual(
      recorded.rows.map((row: { id: string }) => row.id),
    );
    expect(all.body.items.slice(0, 2)).toEqual(first.body.items);
    const next = await admin.apiKey
      .get(`/api/v1/alerts/events?limit=200&cursor=${first.body.nextCursor}`)
      .expect(200);
    expect(next.body.items).toEqual(all.body.items.slice(2));

    const subscriptions = await admin.apiKey.get('/api/v1/alerts/subscriptions').expect(200);
    const onCall = subscriptions.body.items.find((s: { name: string }) => s.name === 'on-call');
    const disabled = all.body.items.find((event: Alert) => event.type === 'target.disabled');
    expect(disabled).toMatchObject({
      id: expect.any(String),
      webhookId: expect.any(String),
      data: { reason: 'the receiver answered 410 Gone' },
      deliveries: [
        {
          subscriptionId: onCall.id,
          status: 'delivered',
          attemptCount: 1,
          lastStatusCode: 200,
          lastError: null,
        },
      ],
    });
    const received = inbox.requests.find((r) => r.headers['webhook-id'] === disabled.id);
    expect(received).toBeDefined();
    const attempts = await admin.apiKey
      .get(`/api/v1/deliveries/${disabled.deliveries[0].id}/attempts`)
      .expect(200);
    expect(attempts.body).toEqual([expect.objectContaining({ attemptNumber: 1, statusCode: 200 })]);

    const memberEvents = await member.apiKey.get('/api/v1/alerts/events?limit=200').expect(200);
    const memberWebhookIds = new Set(memberEvents.body.items.map((event: Alert) => event.webhookId));
    for (const event of all.body.items) expect(memberWebhookIds.has(event.webhookId)).toBe(false);
  });

  describe('subscriptions API', () => {
    it('creates, lists, updates and deletes; the secret is shown once, also on an idempotent replay', async () => {
      const receiver = await sink();
      const body = {
        name: 'pager',
        type: 'http',
        eventTypes: ['target.disabled'],
        http: { url: receiver.url },
      };
      const created = await member.apiKey
        .post('/api/v1/alerts/subscriptions', body)
        .set('Idempotency-Key', 'pager-1')
        .expect(201);
      expect(created.body).toMatchObject({
        name: 'pager',
        type: 'http',
        active: true,
        eventTypes: ['target.disabled'],
        http: { url: receiver.url, maxRetries: 24 },
        signingSecret: expect.stringMatching(/^whsec_/),
      });
      const replay = await member.apiKey
        .post('/api/v1/alerts/subscriptions', body)
        .set('Idempotency-Key', 'pager-1')
        .expect(201);
      expect(replay.headers['idempotent-replayed']).toBe('true');
      expect(replay.body).toMatchObject({ id: created.body.id, signingSecret: REDACTED });

      const listed = await member.apiKey.get('/api/v1/alerts/subscriptions').expect(200);
      expect(listed.body.items.map((s: { id: string }) => s.id)).toContain(created.body.id);
      expect(listed.body.items.every((s: { signingSecret?: string }) => s.signingSecret === undefined)).toBe(
        true,
      );

      const updated = await member.apiKey
        .patch(`/api/v1/alerts/subscriptions/${created.body.id}`, {
          eventTypes: ['delivery.failed', 'webhook.backlog_high'],
          active: false,
          http: { maxRetries: 3 },
        })
        .expect(200);
      expect(updated.body).toMatchObject({
        active: false,
        eventTypes: ['delivery.failed', 'webhook.backlog_high'],
        http: { url: receiver.url, maxRetries: 3 },
      });
      await member.apiKey.delete(`/api/v1/alerts/subscriptions/${created.body.id}`).expect(204);
      await member.apiKey.get(`/api/v1/alerts/subscriptions/${created.body.id}`).expect(404);
    });

    it("answers 404 for another user's subscription, admins included", async () => {
      const mine = await subscribe(member, { name: 'mine', type: 'log', eventTypes: ['delivery.failed'] });
      for (const path of [`/api/v1/alerts/subscriptions/${mine.id}`]) {
        await admin.apiKey.get(path).expect(404);
        await admin.apiKey.patch(path, { name: 'taken' }).expect(404);
        await admin.apiKey.delete(path).expect(404);
      }
      const listed = await admin.apiKey.get('/api/v1/alerts/subscriptions').expect(200);
      expect(listed.body.items.map((s: { id: string }) => s.id)).not.toContain(mine.id);
      await member.apiKey.get(`/api/v1/alerts/subscriptions/${mine.id}`).expect(200);
    });

    it('refuses bad input with the field at fault', async () => {
      const unknownType = await member.apiKey
        .post('/api/v1/alerts/subscriptions', { name: 'x', type: 'log', eventTypes: ['target.exploded'] })
        .expect(400);
      expect(unknownType.body.errors).toEqual([expect.objectContaining({ field: 'eventTypes' })]);
      const none = await member.apiKey
        .post('/api/v1/alerts/subscriptions', { name: 'x', type: 'log', eventTypes: [] })
        .expect(400);
      expect(none.body.errors).toEqual([expect.objectContaining({ field: 'eventTypes' })]);
      const database = await member.apiKey
        .post('/api/v1/alerts/subscriptions', {
          name: 'x',
          type: 'database',
          eventTypes: ['delivery.failed'],
        })
        .expect(400);
      expect(database.body.errors).toEqual([expect.objectContaining({ field: 'type' })]);
      const noUrl = await member.apiKey
        .post('/api/v1/alerts/subscriptions', { name: 'x', type: 'http', eventTypes: ['delivery.failed'] })
        .expect(400);
      expect(noUrl.body.errors).toEqual([expect.objectContaining({ field: 'http' })]);
    });

    it('keeps the system webhook out of the webhooks API: not listed, not editable, no entrypoint', async () => {
      const subscription = await subscribe(member, {
        name: 'sys',
        type: 'log',
        eventTypes: ['delivery.failed'],
      });
      const systemWebhookId = subscription.webhookId;
      const listed = await member.apiKey.get('/api/v1/webhooks?limit=200').expect(200);
      expect(listed.body.items.map((w: { id: string }) => w.id)).not.toContain(systemWebhookId);
      const everyone = await admin.apiKey.get('/api/v1/webhooks?limit=200').expect(200);
      expect(everyone.body.items.map((w: { id: string }) => w.id)).not.toContain(systemWebhookId);
      await member.apiKey.get(`/api/v1/webhooks/${systemWebhookId}`).expect(404);
      await member.apiKey.patch(`/api/v1/webhooks/${systemWebhookId}`, { name: 'mine now' }).expect(404);
      await member.apiKey.delete(`/api/v1/webhooks/${systemWebhookId}`).expect(404);
      await member.apiKey
        .post(`/api/v1/webhooks/${systemWebhookId}/targets`, { name: 'sneaky', type: 'log' })
        .expect(404);
      await member.apiKey.post(`/api/v1/webhooks/${systemWebhookId}/entrypoints`, {}).expect(404);
      await member.apiKey.get(`/api/v1/targets/${subscription.id}`).expect(404);
      await member.apiKey.patch(`/api/v1/targets/${subscription.id}`, { active: false }).expect(404);
      const entrypoints = await withSql(testApp, (sql) =>
        sql.query(`SELECT 1 FROM entrypoints WHERE webhook_id = $1`, [systemWebhookId]),
      );
      expect(entrypoints.rows).toEqual([]);
    });
  });
});
