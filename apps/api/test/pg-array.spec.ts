import { newRowId } from '../src/common/row-id';
import { plainArray } from '../src/database/pg-array';
import { useTestDatabase } from './test-database';

// The literals the hot statements pass instead of JavaScript arrays: PostgreSQL must read each back
// as the array it was made from, NULLs and empty arrays included.
describe('plainArray (real PostgreSQL)', () => {
  const database = useTestDatabase();

  async function readBack(values: (string | number | boolean | null)[], type: string): Promise<unknown[]> {
    const { rows } = await database.client.query(
      `SELECT $1::${type}[] AS a, cardinality($1::${type}[]) AS n`,
      [plainArray(values)],
    );
    expect(rows[0].n).toBe(values.length);
    return rows[0].a;
  }

  it('reads ids, numbers, booleans and status words back as they were, NULLs included', async () => {
    const ids = [newRowId(), null, newRowId()];
    expect(await readBack(ids, 'uuid')).toEqual(ids);
    expect(await readBack([0, -7, 2147483647, null], 'int')).toEqual([0, -7, 2147483647, null]);
    expect(await readBack([true, false, null], 'bool')).toEqual([true, false, null]);
    expect(await readBack(['pending', 'skipped', null], 'varchar')).toEqual(['pending', 'skipped', null]);
  });

  it('makes an empty array of an empty list', async () => {
    expect(plainArray([])).toBe('{}');
    expect(
      await database.client.query(`SELECT cardinality($1::uuid[]) AS n`, [plainArray([])]),
    ).toMatchObject({
      rows: [{ n: 0 }],
    });
  });

  it('matches what node-postgres sends for the same array', async () => {
    const ids = Array.from({ length: 500 }, () => newRowId());
    const { rows } = await database.client.query(`SELECT $1::uuid[] = $2::uuid[] AS same`, [
      plainArray(ids),
      ids,
    ]);
    expect(rows[0].same).toBe(true);
  });
});
