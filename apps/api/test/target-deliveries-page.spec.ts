import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { DataSource, type Logger } from 'typeorm';
import { newRowId } from '../src/common/row-id';
import { dataSourceOptions } from '../src/database/data-source';
import { Delivery, DELIVERY_STATUSES } from '../src/delivery/delivery.entity';
import { DeliveryService } from '../src/delivery/delivery.service';
import { analyzedPlan } from './query-plan';
import { createTestDatabase } from './test-database';

/** The SELECTs on `deliveries` a DataSource runs, with their parameters, as PostgreSQL receives them. */
class CapturedQueries implements Logger {
  readonly selects: { text: string; values: unknown[] }[] = [];
  logQuery(query: string, parameters?: unknown[]): void {
    if (/^SELECT .* FROM "deliveries"/s.test(query))
      this.selects.push({ text: query, values: parameters ?? [] });
  }
  logQueryError(): void {}
  logQuerySlow(): void {}
  logSchemaBuild(): void {}
  logMigration(): void {}
  log(): void {}
}

// A target's delivery list without a status filter ("all") is ordered newest first. The index on
// (target_id, status, created_at) gives that order within one status only, so PostgreSQL used to
// read and sort every delivery of the target for each page: at 40 000 deliveries, every one of them
// for a page of 50. The list now merges one ordered read per status.
describe("a target's deliveries, newest first (real PostgreSQL)", () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let dataSource: DataSource;
  let db: Client;
  let service: DeliveryService;
  const captured = new CapturedQueries();
  const targetId = randomUUID();
  const otherTargetId = randomUUID();
  const total = 40_000;

  beforeAll(async () => {
    database = await createTestDatabase();
    dataSource = new DataSource({ ...dataSourceOptions(database.url), logging: ['query'], logger: captured });
    await dataSource.initialize();
    service = new DeliveryService(dataSource.getRepository(Delivery));
    db = new Client({ connectionString: database.url });
    await db.connect();
    // Every status, several deliveries in the same millisecond (ties are ordered by id), and a
    // second target whose deliveries must never show up.
    const ids = Array.from({ length: total }, () => newRowId());
    await db.query(
      `INSERT INTO deliveries (id, event_id, webhook_id, target_id, status, next_attempt_at, created_at)
       SELECT id, $2, $3, CASE WHEN n % 5 = 4 THEN $5::uuid ELSE $4::uuid END,
              ($6::varchar[])[1 + (n * 7919) % 7], now(),
              timestamptz '2026-11-01 00:00:00+00' + make_interval(secs => (n / 3) * 0.5)
       FROM unnest($1::uuid[]) WITH ORDINALITY AS d(id, n)`,
      [ids, newRowId(), randomUUID(), targetId, otherTargetId, [...DELIVERY_STATUSES]],
    );
    await db.query('ANALYZE deliveries');
  });

  afterAll(async () => {
    await db.end();
    await dataSource.destroy();
    await database.drop();
  });

  it('pages through every delivery of the target in (created_at, id) order, newest first', async () => {
    const { rows: expected } = await db.query<{ id: string }>(
      'SELECT id FROM deliveries WHERE target_id = $1 ORDER BY created_at DESC, id DESC',
      [targetId],
    );
    expect(expected).toHaveLength(total * 0.8);
    const seen: string[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 20; page++) {
      const result = await service.listForTarget(targetId, undefined, { limit: 200, cursor });
      seen.push(...result.items.map((item) => item.id));
      expect(result.items.every((item) => item.targetId === targetId)).toBe(true);
      cursor = result.nextCursor ?? undefined;
      expect(cursor).toBeDefined();
    }
    expect(seen).toEqual(expected.slice(0, seen.length).map((row) => row.id));
  });

  it('reaches the last page and ends there', async () => {
    const { rows: oldest } = await db.query<{ id: string }>(
      'SELECT id FROM deliveries WHERE target_id = $1 ORDER BY created_at, id LIMIT 3',
      [targetId],
    );
    const { rows: before } = await db.query<{ created_at: Date; id: string }>(
      'SELECT created_at, id FROM deliveries WHERE target_id = $1 ORDER BY created_at, id OFFSET 3 LIMIT 1',
      [targetId],
    );
    const cursor = Buffer.from(
      JSON.stringify({ createdAt: before[0].created_at.toISOString(), id: before[0].id }),
    ).toString('base64url');
    const last = await service.listForTarget(targetId, undefined, { limit: 50, cursor });
    expect(last.items.map((item) => item.id)).toEqual(oldest.map((row) => row.id).reverse());
    expect(last.nextCursor).toBeNull();
  });

  it('reads about a page per status, not every delivery of the target', async () => {
    captured.selects.length = 0;
    const first = await service.listForTarget(targetId, undefined, { limit: 50 });
    const next = await service.listForTarget(targetId, undefined, { limit: 50, cursor: first.nextCursor! });
    expect(first.items).toHaveLength(50);
    expect(next.items).toHaveLength(50);
    expect(captured.selects).toHaveLength(2);
    for (const { text, values } of captured.selects) {
      const read = (await analyzedPlan(db, text, values))
        .filter((node) => node['Relation Name'] === 'deliveries')
        .reduce(
          (sum, node) =>
            sum + (node['Actual Rows'] + (node['Rows Removed by Filter'] ?? 0)) * node['Actual Loops'],
          0,
        );
      // 51 rows of each of the 7 statuses, read in index order, then looked up by id to be merged
      // (about 720); the old plan read the whole table (40 000 rows) to sort the target's 32 000.
      expect(read).toBeLessThanOrEqual(3 * DELIVERY_STATUSES.length * 51);
    }
  });

  it('still lists one status through its own index order', async () => {
    const failed = await service.listForTarget(targetId, 'failed', { limit: 20 });
    const { rows } = await db.query<{ id: string }>(
      `SELECT id FROM deliveries WHERE target_id = $1 AND status = 'failed' ORDER BY created_at DESC, id DESC LIMIT 20`,
      [targetId],
    );
    expect(failed.items.map((item) => item.id)).toEqual(rows.map((row) => row.id));
  });
});
