import type { Pool } from 'pg';
import type { DataSource } from 'typeorm';

/** The node-postgres pool TypeORM holds: hot paths run parameterized SQL on it directly. */
export function pgPool(dataSource: DataSource): Pool {
  return (dataSource.driver as unknown as { master: Pool }).master;
}
