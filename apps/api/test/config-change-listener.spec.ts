import { EventEmitter2 } from '@nestjs/event-emitter';
import { Client } from 'pg';
import { loadConfig } from '../src/config/config';
import { CONFIG_CHANGED_EVENT, ConfigChangeListener } from '../src/database/config-change.listener';
import { waitFor } from './sink';
import { TcpProxy } from './tcp-proxy';
import { createTestDatabase } from './test-database';

const PING_INTERVAL_MS = 300;

// The listener's connection carries every replica's configuration changes: one that dies, loudly
// or silently, must be noticed, reported as a change (notifications may have been missed) and
// replaced by one that receives notifications again.
describe('configuration change listener', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let proxy: TcpProxy;
  let sql: Client;
  let listener: ConfigChangeListener;
  let changes = 0;

  beforeAll(async () => {
    database = await createTestDatabase();
    proxy = await TcpProxy.start(database.url);
    sql = new Client({ connectionString: database.url });
    await sql.connect();
    const emitter = new EventEmitter2();
    emitter.on(CONFIG_CHANGED_EVENT, () => changes++);
    const config = {
      ...loadConfig({ DB_PING_INTERVAL_MS: String(PING_INTERVAL_MS) }),
      databaseUrl: proxy.url,
    };
    listener = new ConfigChangeListener(config, emitter);
    await listener.onApplicationBootstrap();
  });

  afterAll(async () => {
    await listener.onApplicationShutdown();
    await proxy.close();
    await sql.end();
    await database.drop();
  });

  /** Notifies the channel until the listener reports a change: it is listening again. */
  async function listening(): Promise<void> {
    const before = changes;
    await waitFor(
      async () => {
        await sql.query(`NOTIFY webhooker_config`);
        await new Promise((resolve) => setTimeout(resolve, 50));
        return changes > before;
      },
      15_000,
      'a notification to reach the listener',
    );
  }

  /**
   * Waits until the listener reports a change without any notification, counting from `before`
   * (taken before the connection is broken: the listener may notice before the breaking call returns).
   */
  async function changeReported(before: number, what: string): Promise<void> {
    await waitFor(() => changes > before, 15_000, what);
  }

  it('turns a notification into a change', async () => {
    await listening();
  });

  it('notices a connection that went silently dead, reports a change and listens again', async () => {
    const connections = proxy.connections;
    const before = changes;
    proxy.freeze();
    await changeReported(before, 'the ping to find the frozen connection');
    await listening();
    expect(proxy.connections).toBeGreaterThan(connections);
  });

  it('notices a connection the server terminated, reports a change and listens again', async () => {
    const before = changes;
    const { rows } = await sql.query<{ terminated: boolean }>(
      `SELECT pg_terminate_backend(pid) AS terminated FROM pg_stat_activity
        WHERE application_name = 'webhooker config listener' AND datname = current_database()
        ORDER BY backend_start DESC LIMIT 1`,
    );
    expect(rows).toEqual([{ terminated: true }]);
    await changeReported(before, 'the listener to notice its terminated connection');
    await listening();
  });

  it('shuts down even when its connection is frozen', async () => {
    proxy.freeze();
    await listener.onApplicationShutdown();
  });
});
