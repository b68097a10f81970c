import { Client } from 'pg';
import { TAKE_RATE_TOKENS, TargetHealthService } from '../src/targets/target-health.service';
import { asUser } from './fixtures';
import { ADMIN_PASSWORD, startTestApp, TestApp } from './test-app';

// A target's rate limit is one bucket in PostgreSQL shared by every replica. Each take runs in its
// own transaction, whose now() is when it began: a take that waited for the bucket's row while
// another replica took tokens is older than the bucket's last refill.
describe("a target's shared rate-limit bucket (real PostgreSQL)", () => {
  let testApp: TestApp;
  let db: Client;
  let targetId: string;
  const limit = { perSecond: 20, burst: 5 };

  beforeAll(async () => {
    testApp = await startTestApp({ ALLOW_PRIVATE_TARGETS: 'true' });
    const { apiKey: api } = await asUser(testApp, 'admin', ADMIN_PASSWORD);
    const webhook = await api.post('/api/v1/webhooks', { name: 'limited' }).expect(201);
    const target = await api
      .post(`/api/v1/webhooks/${webhook.body.id}/targets`, {
        name: 'limited',
        type: 'http',
        http: { url: 'http://127.0.0.1:9/', rateLimit: limit },
      })
      .expect(201);
    targetId = target.body.id;
    db = new Client({ connectionString: testApp.databaseUrl });
    await db.connect();
  });

  async function refilledAt(): Promise<Date> {
    const { rows } = await db.query(`SELECT refilled_at FROM target_rate_buckets WHERE target_id = $1`, [
      targetId,
    ]);
    return rows[0].refilled_at;
  }

  afterAll(async () => {
    await db.end();
    await testApp.close();
  });

  it('grants a take older than the last refill nothing (never less), and keeps the later refill time', async () => {
    const health = testApp.app.get(TargetHealthService);
    expect(await health.takeRateTokens(targetId, 5, limit)).toEqual({ granted: 5, left: 0 });
    let takenAt = 0;

    await db.query('BEGIN');
    try {
      await db.query('SELECT now()');
      await new Promise((resolve) => setTimeout(resolve, 300));
      // Meanwhile another replica takes what 300 ms refilled (about 6 tokens, at most the burst of 5).
      takenAt = Date.now();
      expect((await health.takeRateTokens(targetId, 5, limit)).granted).toBe(5);
      const before = await refilledAt();
      const { rows } = await db.query(TAKE_RATE_TOKENS, [targetId, 4, limit.perSecond, limit.burst]);
      expect(rows[0].granted).toBe(0);
      expect(rows[0].tokens).toBeGreaterThanOrEqual(0);
      expect(await refilledAt()).toEqual(before);
    } finally {
      await db.query('COMMIT');
    }

    // Nothing was counted twice: right after, the bucket holds only what the time since the other
    // replica's take refilled (with the refill time moved back, those 300 ms would be refilled
    // again: 4 tokens granted). A machine busy enough to take 200 ms here could not tell.
    const { granted } = await health.takeRateTokens(targetId, 4, limit);
    const since = Date.now() - takenAt;
    expect(since).toBeLessThan(200);
    expect(granted).toBeLessThanOrEqual(Math.floor((since / 1000) * limit.perSecond));
  });
});
