import { randomUUID } from 'node:crypto';
import { newRowId } from '../src/common/row-id';
import { useTestDatabase } from './test-database';

// A sweep's claim and the lease renewals change only a delivery's lease: with room kept free on
// each page of `deliveries` (fillfactor 50), PostgreSQL makes most of them HOT updates, which add
// no entry to any of the table's five indexes. Counted here on the migrated schema, with rows
// shaped as ingest writes a backlog and a lease holder's name as long as a generated INSTANCE_ID.
describe('lease updates of deliveries (real PostgreSQL)', () => {
  const database = useTestDatabase();

  it('claims a backlog of waiting deliveries in one statement, nearly all of them without an index entry', async () => {
    const webhookId = randomUUID();
    const targets = Array.from({ length: 10 }, () => randomUUID());
    const rows = 2_000;
    // a backlog as ingest leaves it: one event's deliveries to ten targets side by side, unleased
    const ids = Array.from({ length: rows }, () => newRowId());
    const events = Array.from({ length: rows / 10 }, () => newRowId());
    await database.client.query(
      `INSERT INTO deliveries (id, event_id, webhook_id, target_id, status, next_attempt_at)
       SELECT id, event_id, $3, target_id, 'pending', now()
       FROM unnest($1::uuid[], $2::uuid[], $4::uuid[]) AS d(id, event_id, target_id)`,
      [ids, ids.map((_, n) => events[Math.floor(n / 10)]), webhookId, ids.map((_, n) => targets[n % 10])],
    );
    await database.client.query('BEGIN');
    try {
      const claimed = await database.client.query(
        `UPDATE deliveries SET lease_expires_at = now() + interval '1 minute', leased_by = $1
         WHERE id IN (SELECT id FROM deliveries WHERE status IN ('pending', 'retrying')
                      ORDER BY next_attempt_at, id LIMIT 500)`,
        ['wh-5f3a9c0e12b4'],
      );
      const { rows: counts } = await database.client.query(
        `SELECT pg_stat_get_xact_tuples_updated('deliveries'::regclass)::int AS updated,
                pg_stat_get_xact_tuples_hot_updated('deliveries'::regclass)::int AS hot`,
      );
      expect(claimed.rowCount).toBe(500);
      expect(counts[0].updated).toBe(500);
      // measured: 446 of 500 (fillfactor 100 gives 0, 70 gives 188, 45 all 500)
      expect(counts[0].hot).toBeGreaterThanOrEqual(400);
    } finally {
      await database.client.query('ROLLBACK');
    }
  });
});
