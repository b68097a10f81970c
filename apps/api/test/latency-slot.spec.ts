import { latencySlot, latencySlotSql } from '../src/stats/latency-histogram';
import { useTestDatabase } from './test-database';

// The rollup job counts attempts into latency slots in SQL; the API reads the slots back with
// latencySlot's bounds. Both must put every duration in the same slot, the slots' edges included.
describe('latency slots in SQL and in TypeScript (real PostgreSQL)', () => {
  const database = useTestDatabase();

  it('puts every duration in the slot latencySlot gives it', async () => {
    const edges = Array.from({ length: 62 }, (_, half) => Math.round(2 ** (half / 2)) - 1);
    const durations = [
      ...Array.from({ length: 5001 }, (_, ms) => ms),
      ...edges.flatMap((edge) => [edge - 1, edge, edge + 1]),
      -5,
      2 ** 31 - 1,
    ];
    const { rows } = await database.client.query<{ duration: number; slot: number }>(
      `SELECT d AS duration, ${latencySlotSql('d')} AS slot FROM unnest($1::int[]) AS d`,
      [durations],
    );
    const differing = rows.filter((row) => row.slot !== latencySlot(row.duration));
    expect(differing).toEqual([]);
    expect(rows).toHaveLength(durations.length);
  });
});
