import { Client } from 'pg';
import { apiKeyClient, ApiClient } from './fixtures';
import { Sink, waitFor } from './sink';
import { ADMIN_PASSWORD, login, startTestApp, TestApp } from './test-app';
import { sessionClient } from './fixtures';

// Whatever makes PostgreSQL refuse one row (today's sanitising covers the causes known so far),
// that row must fail alone. A trigger stands in for the unknown cause: it refuses, with a data
// exception, the one event or attempt row that carries the word "poison".
describe('a row PostgreSQL refuses fails alone (real PostgreSQL, real HTTP)', () => {
  let testApp: TestApp;
  let api: ApiClient;
  let db: Client;
  let sink: Sink;

  beforeAll(async () => {
    testApp = await startTestApp({
      ALLOW_PRIVATE_TARGETS: 'true',
      SWEEP_INTERVAL_MS: '200',
      CIRCUIT_COOLDOWN_MS: '200',
    });
    const session = sessionClient(await login(testApp, 'admin', ADMIN_PASSWORD));
    const key = await session.post('/api/v1/api-keys', { name: 'bad rows' }).expect(201);
    api = apiKeyClient(testApp, key.body.key);
    db = new Client({ connectionString: testApp.databaseUrl });
    await db.connect();
    for (const [table, column] of [
      ['events', `convert_from(NEW.body, 'UTF8')`],
      ['delivery_attempts', `coalesce(NEW.response_excerpt, '')`],
    ]) {
      await db.query(`
        CREATE FUNCTION refuse_poisoned_${table}() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF position('poison' IN ${column}) > 0 THEN
            RAISE EXCEPTION 'refused for the test' USING ERRCODE = '22000';
          END IF;
          RETURN NEW;
        END $$`);
      await db.query(
        `CREATE TRIGGER refuse_poison BEFORE INSERT ON ${table} FOR EACH ROW EXECUTE FUNCTION refuse_poisoned_${table}()`,
      );
    }
    sink = await Sink.start();
  });

  afterAll(async () => {
    await db.end();
    await sink.stop();
    await testApp.close();
  });

  async function webhookTo(url: string): Promise<string> {
    const webhook = await api.post('/api/v1/webhooks', { name: 'bad rows' }).expect(201);
    await api
      .post(`/api/v1/webhooks/${webhook.body.id}/targets`, {
        name: 'sink',
        type: 'http',
        http: { url, maxRetries: 2 },
      })
      .expect(201);
    return `/webhook/${webhook.body.entrypoints[0].id}`;
  }

  it('ingest: the refused event gets 503, the 50 sent with it get 200 and are stored', async () => {
    const path = await webhookTo(sink.url);
    const answers = await Promise.all(
      Array.from({ length: 51 }, (_, n) =>
        testApp
          .request()
          .post(path)
          .send({ n, text: n === 25 ? 'poison' : 'fine' })
          .then((response) => ({ n, status: response.status, eventId: response.body.eventId as string })),
      ),
    );
    expect(answers.filter((a) => a.status !== 200)).toEqual([{ n: 25, status: 503, eventId: undefined }]);
    const stored = await db.query(`SELECT count(*)::int AS n FROM events WHERE id = ANY($1::uuid[])`, [
      answers.filter((a) => a.status === 200).map((a) => a.eventId),
    ]);
    expect(stored.rows[0].n).toBe(50);
  });

  it('results: an attempt whose row is refused is recorded without the answer, its neighbours as they came', async () => {
    sink.reply = (_n, request) => ({
      status: 500,
      body: JSON.parse(request.body.toString()).n === 3 ? 'poison' : 'busy',
    });
    const path = await webhookTo(sink.url);
    const eventIds: string[] = [];
    for (let n = 0; n < 8; n++)
      eventIds.push((await testApp.request().post(path).send({ n }).expect(200)).body.eventId);
    await waitFor(
      async () => {
        const { rows } = await db.query(
          `SELECT count(*)::int AS n FROM deliveries WHERE event_id = ANY($1::uuid[]) AND status = 'failed'`,
          [eventIds],
        );
        return rows[0].n === 8;
      },
      45_000,
      'every delivery to fail after its retries',
    );
    const { rows } = await db.query(
      `SELECT d.event_id, d.attempt_count, count(a.id)::int AS attempts,
              array_agg(DISTINCT coalesce(a.response_excerpt, a.error)) AS answers
       FROM deliveries d JOIN delivery_attempts a ON a.delivery_id = d.id
       WHERE d.event_id = ANY($1::uuid[]) GROUP BY d.id`,
      [eventIds],
    );
    const poisoned = rows.find((row) => row.event_id === eventIds[3]);
    expect(poisoned).toMatchObject({
      attempt_count: 3,
      attempts: 3,
      answers: ['the result could not be recorded as it came'],
    });
    for (const row of rows.filter((r) => r.event_id !== eventIds[3])) {
      expect(row).toMatchObject({ attempt_count: 3, attempts: 3, answers: ['busy'] });
    }
    const sent = sink.requests.filter((r) => eventIds.includes(r.headers['webhook-id'] as string));
    expect(sent).toHaveLength(24);
  }, 60_000);
});
