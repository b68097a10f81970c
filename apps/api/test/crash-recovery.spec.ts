import { Client } from 'pg';
import { adminApiKey, ApiProcess, ingest, webhookWithHttpTarget } from './api-process';
import { Sink, waitFor } from './sink';
import { createTestDatabase } from './test-database';

// The API runs as a child process and is killed with SIGKILL mid-delivery: nothing accepted may be
// lost, and only attempts in flight at the kill may be repeated.
describe('crash recovery (kill -9 while delivering)', () => {
  it('delivers every accepted event after a restart; duplicates only for attempts in flight', async () => {
    const database = await createTestDatabase();
    const sink = await Sink.start();
    sink.reply = () => ({ status: 200, delayMs: 100 });
    const env = { INSTANCE_ID: 'crash-node', SWEEP_INTERVAL_MS: '200' };
    let api = await ApiProcess.start(database.url, env);
    const db = new Client({ connectionString: database.url });
    await db.connect();
    try {
      const key = await adminApiKey(api.url);
      const webhook = await webhookWithHttpTarget(api.url, key, 'crash', {
        name: 'slow sink',
        http: { url: sink.url, concurrency: 8 },
      });
      const accepted = await ingest(webhook.entrypoints[0]!.url, 500);
      expect(accepted).toHaveLength(500);

      await waitFor(() => sink.requests.length >= 100, 30_000, '100 deliveries before the kill');
      const killedAt = Date.now();
      await api.kill();
      const receivedBeforeKill = sink.requests.filter((r) => r.receivedAt <= killedAt);
      // In flight: received by the sink and not yet answered (100 ms each) or answered too
      // recently for the result to have been written.
      const inFlightAtKill = receivedBeforeKill.filter((r) => r.receivedAt + 100 > killedAt - 50).length;

      api = await ApiProcess.start(database.url, env);
      await waitFor(
        async () => {
          const { rows } = await db.query(
            `SELECT count(*)::int AS n FROM deliveries WHERE status = 'delivered'`,
          );
          return rows[0].n === 500;
        },
        60_000,
        'all 500 deliveries to be delivered after the restart',
      );
      const { rows: events } = await db.query(`SELECT count(*)::int AS n FROM events`);
      expect(events[0].n).toBe(500);
      const receivedIds = sink.requests.map((r) => r.headers['webhook-id'] as string);
      const unique = new Set(receivedIds);
      expect([...accepted].filter((id) => !unique.has(id))).toEqual([]);
      const duplicates = receivedIds.length - unique.size;
      process.stdout.write(
        `crash recovery: 500 accepted, 500 delivered, ${sink.requests.length} requests at the sink, ` +
          `${duplicates} duplicates, ${inFlightAtKill} attempts in flight at the kill\n`,
      );
      expect(duplicates).toBeLessThanOrEqual(inFlightAtKill);
    } finally {
      await db.end();
      await api.stop();
      await sink.stop();
      await database.drop();
    }
  }, 120_000);
});
