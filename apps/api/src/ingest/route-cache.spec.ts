import type { AppConfig } from '../config/config';
import type { Entrypoint } from '../entrypoints/entrypoint.entity';
import type { EntrypointsService } from '../entrypoints/entrypoints.service';
import { Logger } from '@nestjs/common';
import type { TargetSnapshot } from '../delivery/delivery-task';
import type { RoutingRequest } from '../routing/routing-request';
import type { TargetHealthService } from '../targets/target-health.service';
import { RouteCache } from './route-cache';

const A = '00000000-0000-4000-8000-00000000000a';
const B = '00000000-0000-4000-8000-00000000000b';
const C = '00000000-0000-4000-8000-00000000000c';
const TTL_MS = 5_000;

function deferred<T>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((done) => (resolve = done));
  return { promise, resolve };
}

function entrypoint(id: string, deleted = false): Entrypoint {
  return {
    id,
    webhookId: 'w',
    active: true,
    deletedAt: deleted ? new Date() : null,
    webhook: { deletedAt: null },
  } as unknown as Entrypoint;
}

describe('RouteCache', () => {
  let allIds: jest.Mock<Promise<string[]>, []>;
  let findForIngest: jest.Mock<Promise<Entrypoint | null>, [string]>;
  let liveSnapshots: jest.Mock<Promise<TargetSnapshot[]>, [string]>;
  let cache: RouteCache;

  beforeEach(() => {
    jest.useFakeTimers({ now: 1_000_000 });
    allIds = jest.fn(async () => [A, B]);
    findForIngest = jest.fn(async (id: string) => entrypoint(id));
    liveSnapshots = jest.fn(async (_webhookId: string): Promise<TargetSnapshot[]> => []);
    cache = new RouteCache(
      { routeCacheTtlMs: TTL_MS } as AppConfig,
      { allIds, findForIngest } as unknown as EntrypointsService,
      { liveSnapshots } as unknown as TargetHealthService,
    );
  });
  afterEach(() => jest.useRealTimers());

  it("compiles the targets' filters once per load; one that does not compile matches nothing and is logged once", async () => {
    const logged = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    const target = (id: string, filter: object | null) => ({ id, filter }) as TargetSnapshot;
    liveSnapshots.mockResolvedValue([
      target('open', null),
      target('paid', { body: { type: 'invoice.paid' } }),
      target('broken', { body: { amount: { $gtt: 5 } } }),
    ]);
    const request: RoutingRequest = {
      method: 'POST',
      path: '/',
      query: {},
      headers: {},
      body: { type: 'invoice.paid' },
    };
    const route = (await cache.get(A))!;
    expect([...route.filters.keys()]).toEqual(['paid', 'broken']);
    expect(route.filters.get('paid')!(request)).toBe(true);
    expect(route.filters.get('broken')!(request)).toBe(false);
    cache.clear();
    await cache.get(A);
    expect(liveSnapshots).toHaveBeenCalledTimes(2);
    expect(logged).toHaveBeenCalledTimes(1);
    expect(logged.mock.calls[0]![0]).toContain('filter.body.amount: unknown operator "$gtt"');
    logged.mockRestore();
  });

  it('answers a flood of unknown ids from the set of known ids, with one load', async () => {
    const answers = await Promise.all(
      Array.from({ length: 1_000 }, (_, i) =>
        cache.get(`00000000-0000-4000-8000-${String(i).padStart(12, '9')}`),
      ),
    );
    expect(answers.every((answer) => answer === null)).toBe(true);
    expect(allIds).toHaveBeenCalledTimes(1);
    expect(findForIngest).not.toHaveBeenCalled();
    expect(await cache.get(A)).toMatchObject({ entrypointId: A, state: 'active' });
    expect(allIds).toHaveBeenCalledTimes(1);
  });

  it('reloads the known ids for an unknown id at most once a second, and at once after a change', async () => {
    await cache.get(A);
    allIds.mockResolvedValue([A, B, 'c']);
    expect(await cache.get('c')).toBeNull();
    jest.advanceTimersByTime(1_000);
    expect(await cache.get('c')).not.toBeNull();
    allIds.mockResolvedValue([A, B, 'c', 'd']);
    cache.clear();
    expect(await cache.get('d')).not.toBeNull();
    expect(allIds).toHaveBeenCalledTimes(3);
  });

  it('answers every unknown id that arrives while a reload is under way from that reload', async () => {
    await cache.get(A);
    const reload = deferred<string[]>();
    allIds.mockReturnValueOnce(reload.promise);
    cache.clear();
    const first = cache.get(C);
    const meanwhile = cache.get(C);
    reload.resolve([A, B, C]);
    expect(await first).toMatchObject({ entrypointId: C, state: 'active' });
    expect(await meanwhile).toMatchObject({ entrypointId: C, state: 'active' });
    expect(allIds).toHaveBeenCalledTimes(2);
  });

  it('does not query for every unknown id while the database fails', async () => {
    await cache.get(A);
    jest.advanceTimersByTime(1_000);
    allIds.mockRejectedValue(new Error('database down'));
    await expect(cache.get('c')).rejects.toThrow('database down');
    expect(await cache.get('d')).toBeNull();
    expect(await cache.get(A)).not.toBeNull();
    expect(allIds).toHaveBeenCalledTimes(2);
  });

  it('loads a route again once its TTL has passed, so a missed change notification heals', async () => {
    expect(await cache.get(A)).toMatchObject({ state: 'active' });
    jest.advanceTimersByTime(TTL_MS - 1);
    expect(await cache.get(A)).toMatchObject({ state: 'active' });
    expect(findForIngest).toHaveBeenCalledTimes(1);
    findForIngest.mockResolvedValue(entrypoint(A, true));
    jest.advanceTimersByTime(1);
    expect(await cache.get(A)).toMatchObject({ state: 'gone' });
  });

  it('reloads known ids after the TTL, so an id removed from the database is forgotten', async () => {
    await cache.get(A);
    allIds.mockResolvedValue([B]);
    findForIngest.mockResolvedValue(null);
    jest.advanceTimersByTime(TTL_MS);
    await cache.get(A);
    await Promise.resolve();
    expect(allIds).toHaveBeenCalledTimes(2);
    expect(await cache.get(A)).toBeNull();
  });

  it('does not keep a route whose load started before a clear', async () => {
    await cache.get(B);
    const stale = deferred<Entrypoint | null>();
    findForIngest.mockReturnValueOnce(stale.promise);
    const before = cache.get(A);
    await Promise.resolve();
    cache.clear();
    findForIngest.mockResolvedValue(entrypoint(A, true));
    stale.resolve(entrypoint(A));
    expect(await before).toMatchObject({ state: 'active' });
    expect(await cache.get(A)).toMatchObject({ state: 'gone' });
  });

  it('ignores a load of known ids that started before a newer one', async () => {
    const older = deferred<string[]>();
    const newer = deferred<string[]>();
    allIds.mockReturnValueOnce(older.promise).mockReturnValueOnce(newer.promise);
    const first = cache.get(A);
    cache.clear();
    const second = cache.get(B);
    newer.resolve([A, B]);
    older.resolve([]);
    await Promise.all([first, second]);
    expect(await cache.get(A)).not.toBeNull();
    expect(await cache.get(B)).not.toBeNull();
    expect(allIds).toHaveBeenCalledTimes(2);
  });
});
