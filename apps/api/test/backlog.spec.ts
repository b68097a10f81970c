import { Client } from 'pg';
import { MAX_EVENT_WEIGHT } from '../src/delivery/delivery-task';
import { adminApiKey, ApiProcess, call, ingest, userApiKey, webhookWithHttpTarget } from './api-process';
import { freePort } from './global-setup';
import { MisbehavingReceiver, neverAnswers } from './misbehaving-receivers';
import { Sink, waitFor } from './sink';
import { createTestDatabase } from './test-database';

/** The default of MAX_QUEUED_TASKS. */
const MAX_QUEUED_TASKS = 20_000;
const TARGETS = 20;
const EVENTS = 1_200;
const BACKLOG = EVENTS * TARGETS;
const RSS_LIMIT = 300 * 1024 * 1024;

// The receivers of 20 targets are down while 24 000 deliveries pile up: the process keeps at most
// MAX_QUEUED_TASKS (the default) in memory, the rest waits in the table, and it stays small; when
// the receivers are back, all drain.
describe('a backlog while the receiver is down', () => {
  it('holds at most MAX_QUEUED_TASKS in memory, stays under 300 MB, and drains when the receiver is back', async () => {
    const database = await createTestDatabase();
    const sinkPort = await freePort();
    const api = await ApiProcess.start(database.url, {
      INSTANCE_ID: 'backlog-node',
      SWEEP_INTERVAL_MS: '500',
      CIRCUIT_COOLDOWN_MS: '2000',
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
      const target = {
        name: 'down for now',
        http: { url: `http://127.0.0.1:${sinkPort}/hook`, concurrency: 64 },
      };
      const webhook = await webhookWithHttpTarget(api.url, key, 'backlog', target);
      for (let n = 1; n < TARGETS; n++) {
        await call(api.url, key, 'POST', `/api/v1/webhooks/${webhook.id}/targets`, {
          ...target,
          type: 'http',
        });
      }
      const sampler = setInterval(() => void sample().catch(() => undefined), 250);
      const accepted = await ingest(webhook.entrypoints[0]!.url, EVENTS, 50);
      expect(accepted).toHaveLength(EVENTS);
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
      expect(peakTasks).toBeGreaterThan(MAX_QUEUED_TASKS / 2);
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

  // Events of 15 KiB while the receiver is down: what their events weigh bounds the deliveries
  // held (MAX_QUEUED_BYTES), far below MAX_QUEUED_TASKS, both while they pile up and while the
  // sweep claims them back; none is lost.
  it('holds the deliveries whose events weigh at most MAX_QUEUED_BYTES, and drains them all', async () => {
    const maxQueuedBytes = 1_048_576;
    const concurrency = 4;
    const events = 300;
    const database = await createTestDatabase();
    const sinkPort = await freePort();
    const api = await ApiProcess.start(database.url, {
      INSTANCE_ID: 'backlog-bytes-node',
      MAX_QUEUED_BYTES: String(maxQueuedBytes),
      SWEEP_INTERVAL_MS: '200',
      CIRCUIT_COOLDOWN_MS: '500',
    });
    let sink: Sink | undefined;
    let peakTasks = 0;
    let peakBytes = 0;
    const sample = async () => {
      peakTasks = Math.max(peakTasks, await api.metric('webhooker_delivery_tasks_in_memory'));
      peakBytes = Math.max(peakBytes, await api.metric('webhooker_delivery_bytes_in_memory'));
    };
    const sampler = setInterval(() => void sample().catch(() => undefined), 50);
    try {
      const key = await adminApiKey(api.url);
      const webhook = await webhookWithHttpTarget(api.url, key, 'heavy', {
        name: 'down for now',
        http: { url: `http://127.0.0.1:${sinkPort}/hook`, concurrency },
      });
      const accepted = await ingest(webhook.entrypoints[0]!.url, events, 10, 15 * 1024);
      expect(accepted).toHaveLength(events);
      await new Promise((resolve) => setTimeout(resolve, 1000));
      await sample();
      const heldWhileDown = peakTasks;
      sink = await Sink.start(sinkPort);
      await waitFor(async () => sink!.requests.length >= events, 60_000, 'every event to be delivered');
      await sample();
      process.stdout.write(
        `backlog of 15 KiB events: peak ${peakTasks} tasks (${heldWhileDown} while down), ${(peakBytes / 1024).toFixed(0)} KiB in memory\n`,
      );
      // A target may always hold its concurrency's worth; beyond it, its share of the bytes: half
      // of its user's (the other half is kept for the user's next target), which is the budget
      // less a sixteenth (kept for another user), so below half of the budget.
      expect(peakBytes).toBeLessThanOrEqual(maxQueuedBytes / 2 + concurrency * MAX_EVENT_WEIGHT);
      expect(heldWhileDown).toBeGreaterThan(concurrency);
      expect(peakTasks).toBeLessThan(maxQueuedBytes / 2 / (15 * 1024) + concurrency);
      expect(new Set(sink.requests.map((r) => r.headers['webhook-id']))).toEqual(new Set(accepted));
      expect(await api.metric('webhooker_delivery_bytes_in_memory')).toBe(0);
    } finally {
      clearInterval(sampler);
      await api.stop();
      await sink?.stop();
      await database.drop();
    }
  }, 120_000);

  // One target's heavy events, its receiver down, fill what its share of MAX_QUEUED_BYTES allows;
  // another target's backlog (a slow receiver, most of it left to the table) is still claimed and
  // delivered meanwhile, instead of waiting for the heavy target's deliveries to leave memory.
  it("a target's heavy events do not take the bytes of all", async () => {
    const maxQueuedBytes = 1_048_576;
    const database = await createTestDatabase();
    const downPort = await freePort();
    const sink = await Sink.start();
    sink.reply = () => ({ status: 200, delayMs: 20 });
    const api = await ApiProcess.start(database.url, {
      INSTANCE_ID: 'backlog-share-node',
      MAX_QUEUED_BYTES: String(maxQueuedBytes),
      SWEEP_INTERVAL_MS: '200',
    });
    try {
      const key = await adminApiKey(api.url);
      const heavy = await webhookWithHttpTarget(api.url, key, 'heavy', {
        name: 'down',
        http: { url: `http://127.0.0.1:${downPort}/hook`, concurrency: 4 },
      });
      const light = await webhookWithHttpTarget(api.url, key, 'light', {
        name: 'slow',
        http: { url: `${sink.url}/hook`, concurrency: 1 },
      });
      await ingest(heavy.entrypoints[0]!.url, 300, 10, 15 * 1024);
      const heldBytes = await api.metric('webhooker_delivery_bytes_in_memory');
      const accepted = await ingest(light.entrypoints[0]!.url, 150, 10);
      await waitFor(
        async () => sink.requests.length >= accepted.length,
        20_000,
        "the light target's backlog",
      );
      process.stdout.write(
        `heavy target held ${(heldBytes / 1024).toFixed(0)} KiB; the light target's ${accepted.length} events delivered\n`,
      );
      expect(heldBytes).toBeGreaterThan(maxQueuedBytes / 4);
      expect(new Set(sink.requests.map((r) => r.headers['webhook-id']))).toEqual(new Set(accepted));
    } finally {
      await api.stop();
      await sink.stop();
      await database.drop();
    }
  }, 60_000);

  // A member points 30 targets of the highest concurrency (256) at a receiver that never answers
  // and sends 64 events: 1 920 deliveries that each target's concurrency alone would let into
  // memory. Her share of MAX_QUEUED_TASKS bounds them, and the admin's backlog (a receiver
  // with concurrency 2, most of its deliveries left to the table) is still claimed and delivered.
  it("one user's many targets cannot take every user's room in memory", async () => {
    const maxQueuedTasks = 400;
    const database = await createTestDatabase();
    const tarpit = await MisbehavingReceiver.start(neverAnswers);
    const sink = await Sink.start();
    sink.reply = () => ({ status: 200, delayMs: 5 });
    const api = await ApiProcess.start(database.url, {
      INSTANCE_ID: 'backlog-owners-node',
      MAX_QUEUED_TASKS: String(maxQueuedTasks),
      SWEEP_INTERVAL_MS: '200',
    });
    let peakTasks = 0;
    const sampler = setInterval(
      () =>
        void api
          .metric('webhooker_delivery_tasks_in_memory')
          .then((tasks) => (peakTasks = Math.max(peakTasks, tasks)))
          .catch(() => undefined),
      50,
    );
    try {
      const adminKey = await adminApiKey(api.url);
      await call(api.url, adminKey, 'POST', '/api/v1/users', {
        username: 'many-targets',
        password: 'password-123',
        role: 'member',
      });
      const memberKey = await userApiKey(api.url, 'many-targets', 'password-123');
      const hanging = {
        http: { url: `${tarpit.url}/hook`, concurrency: 256, timeoutMs: 120_000, maxRetries: 0 },
      };
      const many = await webhookWithHttpTarget(api.url, memberKey, 'many', { name: 'hangs 1', ...hanging });
      for (let n = 2; n <= 30; n++) {
        await call(api.url, memberKey, 'POST', `/api/v1/webhooks/${many.id}/targets`, {
          name: `hangs ${n}`,
          type: 'http',
          ...hanging,
        });
      }
      await ingest(many.entrypoints[0]!.url, 64, 8);
      await waitFor(async () => tarpit.hits.length >= 30, 10_000, 'the hanging attempts to start');
      const heldByMember = await api.metric('webhooker_delivery_tasks_in_memory');

      const admin = await webhookWithHttpTarget(api.url, adminKey, 'admin', {
        name: 'narrow',
        http: { url: `${sink.url}/hook`, concurrency: 2 },
      });
      const started = Date.now();
      const accepted = await ingest(admin.entrypoints[0]!.url, 200, 10);
      await waitFor(async () => sink.requests.length >= accepted.length, 20_000, "the admin's backlog");
      process.stdout.write(
        `one user's 30 hanging targets held ${heldByMember} deliveries of 1 920 (peak ${peakTasks} with the admin's); ` +
          `the admin's ${accepted.length} events delivered in ${((Date.now() - started) / 1000).toFixed(1)} s\n`,
      );
      expect(heldByMember).toBeLessThanOrEqual(maxQueuedTasks);
      // beyond the budget, only the admin's floor (DELIVERY_CONCURRENCY, 64): the member holds hers
      expect(peakTasks).toBeLessThanOrEqual(maxQueuedTasks + 64);
      expect(new Set(sink.requests.map((r) => r.headers['webhook-id']))).toEqual(new Set(accepted));
    } finally {
      clearInterval(sampler);
      await tarpit.stop();
      await api.stop();
      await sink.stop();
      await database.drop();
    }
  }, 90_000);
});
