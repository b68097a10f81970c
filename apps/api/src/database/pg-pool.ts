import type { Pool, PoolClient } from 'pg';
import type { DataSource } from 'typeorm';

/** The node-postgres pool TypeORM holds: hot paths run parameterized SQL on it directly. */
export function pgPool(dataSource: DataSource): Pool {
  return (dataSource.driver as unknown as { master: Pool }).master;
}

/**
 * Runs `run` in a transaction that holds the transaction-level advisory lock `lockKey`, and
 * commits; undefined (nothing done) when another session holds the lock. A failure rolls back.
 */
export async function inTransactionUnderLock<T>(
  pool: Pool,
  lockKey: number,
  run: (client: PoolClient) => Promise<T>,
): Promise<T | undefined> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const { rows } = await client.query<{ locked: boolean }>(
      `SELECT pg_try_advisory_xact_lock($1) AS locked`,
      [lockKey],
    );
    if (!rows[0]!.locked) {
      await client.query('ROLLBACK');
      return undefined;
    }
    const result = await run(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}
