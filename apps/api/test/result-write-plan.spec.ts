import { randomUUID } from 'node:crypto';
import { newRowId } from '../src/common/row-id';
import { resultWriteQuery, type WriteItem } from '../src/delivery/result-writer';
import { analyzedPlan } from './query-plan';
import { useTestDatabase } from './test-database';

// The result write finds each delivery of its batch by primary key. Checked on the plan PostgreSQL
// really runs for a batch of the size the engine writes under load (about 80 results), among 50 000
// deliveries in flight, on the migrated schema: an earlier form of the statement led the planner to
// expect one delivery and to compare every delivery with every result (80 results: 6 400
// comparisons, 7.8 of 10 ms), and a plan that reads the whole table grows with it.
describe('the result write plan (real PostgreSQL)', () => {
  const database = useTestDatabase();

  const instanceId = 'wh-5f3a9c0e12b4';
  const webhookId = randomUUID();
  const targets = Array.from({ length: 10 }, () => randomUUID());

  /** `count` deliveries as ingest writes them under load: pending, leased to this instance. */
  async function leasedDeliveries(count: number): Promise<string[]> {
    const ids = Array.from({ length: count }, () => newRowId());
    await database.client.query(
      `INSERT INTO deliveries (id, event_id, webhook_id, target_id, status, next_attempt_at, lease_expires_at, leased_by)
       SELECT id, $2, $3, target_id, 'pending', now(), now() + interval '1 minute', $5
       FROM unnest($1::uuid[], $4::uuid[]) AS d(id, target_id)`,
      [ids, newRowId(), webhookId, ids.map((_, n) => targets[n % 10]), instanceId],
    );
    return ids;
  }

  /**
   * Writes one result per delivery through the writer's statement; returns the comparisons its joins
   * threw away and the scans that read all of `deliveries`.
   */
  async function writeDelivered(ids: string[]): Promise<{ discarded: number; tableScans: number }> {
    const items: WriteItem[] = ids.map((deliveryId) => ({
      kind: 'result',
      attempt: {
        deliveryId,
        webhookId,
        attemptNumber: 1,
        startedAt: new Date(),
        durationMs: 3,
        statusCode: 200,
        responseExcerpt: '{"ok":true}',
        error: null,
      },
      update: {
        deliveryId,
        status: 'delivered',
        attemptCount: 1,
        nextAttemptAt: null,
        keepLease: false,
        recordOutcome: true,
        lastStatusCode: 200,
        lastError: null,
      },
    }));
    const { text, values } = resultWriteQuery(items, instanceId);
    const plan = await analyzedPlan(database.client, text, values);
    return {
      discarded: plan.reduce((sum, node) => sum + (node['Rows Removed by Join Filter'] ?? 0), 0),
      tableScans: plan.filter(
        (node) => node['Node Type'] === 'Seq Scan' && node['Relation Name'] === 'deliveries',
      ).length,
    };
  }

  async function delivered(ids: string[]) {
    const { rows } = await database.client.query(
      `SELECT (SELECT count(*)::int FROM deliveries WHERE id = ANY($1::uuid[]) AND status = 'delivered'
                AND leased_by IS NULL AND last_status_code = 200) AS delivered,
              (SELECT count(*)::int FROM delivery_attempts WHERE delivery_id = ANY($1::uuid[])) AS attempts`,
      [ids],
    );
    return rows[0];
  }

  it('looks up each delivery of an 80-result batch by key, before and after the table is analysed', async () => {
    // a burst in flight on a table autovacuum has not analysed yet (as after every start of a
    // fresh install): the form of the statement before this one compared 80 × 80 pairs here
    await leasedDeliveries(50_000);
    const first = await leasedDeliveries(80);
    expect(await writeDelivered(first)).toEqual({ discarded: 0, tableScans: 0 });
    expect(await delivered(first)).toEqual({ delivered: 80, attempts: 80 });

    await database.client.query('ANALYZE deliveries');
    const second = await leasedDeliveries(80);
    expect(await writeDelivered(second)).toEqual({ discarded: 0, tableScans: 0 });
    expect(await delivered(second)).toEqual({ delivered: 80, attempts: 80 });
  });
});
