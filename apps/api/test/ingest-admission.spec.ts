import { createServer, ServerResponse } from 'node:http';
import { Client } from 'pg';
import { adminApiKey, ApiProcess, ingest, webhookWithHttpTarget } from './api-process';
import { waitFor } from './sink';
import { createTestDatabase } from './test-database';

const EVENTS = 30;

// A receiver that holds every answer until released: the target's one connection stays busy, so the
// engine soon has no room for more of its deliveries. Those are written without a lease at ingest
// (never written leased and then handed back by an update), and a sweep takes them once there is room.
describe('deliveries the engine has no room for at ingest', () => {
  it('are written once, without a lease, and delivered by a sweep when room comes', async () => {
    const database = await createTestDatabase();
    const held: ServerResponse[] = [];
    const received: string[] = [];
    let holding = true;
    const receiver = createServer((request, response) => {
      request.resume();
      request.on('end', () => {
        received.push(String(request.headers['webhook-id']));
        if (holding) held.push(response);
        else response.end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const receiverUrl = `http://127.0.0.1:${(receiver.address() as { port: number }).port}/hook`;
    // room for 10 tasks in all: a target of concurrency 1 may hold its fair share, 10 / 2 = 5
    const api = await ApiProcess.start(database.url, {
      INSTANCE_ID: 'admission-node',
      MAX_QUEUED_TASKS: '10',
      SWEEP_INTERVAL_MS: '100',
    });
    const db = new Client({ connectionString: database.url });
    await db.connect();
    try {
      const key = await adminApiKey(api.url);
      const webhook = await webhookWithHttpTarget(api.url, key, 'admission', {
        name: 'holds its answers',
        http: { url: receiverUrl, concurrency: 1, timeoutMs: 60_000 },
      });
      const accepted = await ingest(webhook.entrypoints[0]!.url, EVENTS, 1);
      await waitFor(async () => received.length === 1, 10_000, 'the first delivery to reach the receiver');
      // time for any state write the engine would make (result writes gather for 10 ms)
      await new Promise((resolve) => setTimeout(resolve, 500));
      const { rows } = await db.query<{ leased: number; unleased: number; updated: number }>(
        `SELECT count(*) FILTER (WHERE d.leased_by IS NOT NULL)::int AS leased,
                count(*) FILTER (WHERE d.leased_by IS NULL AND d.lease_expires_at IS NULL)::int AS unleased,
                count(*) FILTER (WHERE d.xmin <> e.xmin)::int AS updated
         FROM deliveries d JOIN events e ON e.id = d.event_id
         WHERE d.webhook_id = $1 AND d.status = 'pending'`,
        [webhook.id],
      );
      expect(rows[0]!.leased).toBeGreaterThanOrEqual(1);
      expect(rows[0]!.leased).toBeLessThanOrEqual(5);
      expect(rows[0]!.leased + rows[0]!.unleased).toBe(EVENTS);
      // every delivery is still the row its event's transaction wrote: none was handed back
      expect(rows[0]!.updated).toBe(0);
      expect(received).toHaveLength(1);

      holding = false;
      for (const response of held.splice(0)) response.end();
      await waitFor(
        async () => {
          const { rows: done } = await db.query(
            `SELECT count(*)::int AS n FROM deliveries WHERE webhook_id = $1 AND status = 'delivered'`,
            [webhook.id],
          );
          return done[0].n === EVENTS;
        },
        30_000,
        'every delivery to be delivered',
      );
      expect(received.slice().sort()).toEqual(accepted.slice().sort());
    } finally {
      await db.end();
      await api.stop();
      receiver.closeAllConnections();
      await new Promise((resolve) => receiver.close(resolve));
      await database.drop();
    }
  }, 120_000);
});
