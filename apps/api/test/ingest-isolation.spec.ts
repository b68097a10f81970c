import { ADMIN_PASSWORD, startTestApp, TestApp } from './test-app';
import { asUser, TestUser, withSql } from './fixtures';

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
  });
});
