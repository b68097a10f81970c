import { Client } from 'pg';
import { adminApiKey, ApiProcess, ingest, webhookWithHttpTarget } from './api-process';
import { freePort } from './global-setup';
import { Sink, waitFor } from './sink';
import { createTestDatabase } from './test-database';

const MAX_QUEUED_TASKS = 10_000;
const BACKLOG = 20_000;
const RSS_LIMIT = 300 * 1024 * 1024;

// The receiver is down while 20 000 deliveries pile up: the process keeps at most MAX_QUEUED_TASKS
// in memory (the rest waits in the table) and stays small; when the receiver is back, all drain.
describe('a backlog while the receiver is down', () => {
  it('holds at most MAX_QUEUED_TASKS in memory, stays under 300 MB, and drains when the receiver is back', async () => {
    const database = await createTestDatabase();
    const sinkPort = await freePort();
    const api = await ApiProcess.start(database.url, {
      INSTANCE_ID: 'backlog-node',
      MAX_QUEUED_TASKS: String(MAX_QUEUED_TASKS),
      SWEEP_INTERVAL_MS: '500',
    });
    const db = new Client({ connectionString: database.url });
    await db.connect();
    let sink: Sink | undefined;
    let peakTasks = 0;
    let peakRss = 0;
    const sample = async () => {
      peakTasks = Math.max(peakTasks, await api.metric('webhooker_delivery_tasks_in_memory'));
      peakRss = Math.max(peakRss, await api.metric('process_resident_memory_bytes'));
    };
    try {
      const key = await adminApiKey(api.url);
      const webhook = await webhookWithHttpTarget(api.url, key, 'backlog', {
        name: 'down for now',
        http: { url: `http://127.0.0.1:${sinkPort}/hook`, concurrency: 16 },
      });
      const sampler = setInterval(() => void sample().catch(() => undefined), 250);
      const accepted = await ingest(webhook.entrypoints[0]!.url, BACKLOG, 50);
      expect(accepted).toHaveLength(BACKLOG);
      const { rows } = await db.query(
        `SELECT count(*)::int AS n FROM deliveries WHERE status IN ('pending', 'retrying')`,
      );
      expect(rows[0].n).toBe(BACKLOG);
      await new Promise((resolve) => setTimeout(resolve, 3000));
      clearInterval(sampler);
      await sample();
      process.stdout.write(
        `backlog: ${BACKLOG} pending, peak ${peakTasks} tasks in memory, peak RSS ${(peakRss / 1048576).toFixed(0)} MB\n`,
      );
      expect(peakTasks).toBeGreaterThan(0);
      expect(peakTasks).toBeLessThanOrEqual(MAX_QUEUED_TASKS);
      expect(peakRss).toBeLessThan(RSS_LIMIT);

      sink = await Sink.start(sinkPort);
      const started = Date.now();
      await waitFor(
        async () => {
          const { rows } = await db.query(
            `SELECT count(*)::int AS n FROM deliveries WHERE status = 'delivered'`,
          );
          return rows[0].n === BACKLOG;
        },
        120_000,
        'the backlog to drain',
      );
      process.stdout.write(
        `backlog: drained ${BACKLOG} deliveries ${((Date.now() - started) / 1000).toFixed(1)} s after the receiver came back\n`,
      );
      expect(new Set(sink.requests.map((r) => r.headers['webhook-id']))).toEqual(new Set(accepted));
    } finally {
      await db.end();
      await api.stop();
      await sink?.stop();
      await database.drop();
    }
  }, 240_000);
});
