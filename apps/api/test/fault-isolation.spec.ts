import { Client } from 'pg';
import { asUser, createMember, TestUser } from './fixtures';
import {
  Behaviour,
  endlessBody,
  gzipBody,
  hugeBody,
  manyHeaders,
  MisbehavingReceiver,
  neverAnswers,
  nulBytes,
  overflowingHeaders,
  resetMidAnswer,
  slowAnswer,
  tricklingBody,
} from './misbehaving-receivers';
import { Sink, waitFor } from './sink';
import { ADMIN_PASSWORD, startTestApp, TestApp } from './test-app';

const MiB = 1024 * 1024;
/** How much the process (API and receivers share it) may grow during one scenario. */
const RSS_GROWTH_LIMIT = 300 * MiB;
const EXCERPT_LIMIT = 4096;

interface HttpSettings {
  timeoutMs?: number;
  maxRetries?: number;
  maxBackoffMs?: number;
  concurrency?: number;
}

/** A misbehaving receiver and the settings of the target that points at it. */
interface Fault {
  name: string;
  behaviour: Behaviour;
  http: HttpSettings;
}

interface FaultyTarget {
  name: string;
  id: string;
  concurrency: number;
  receiver: MisbehavingReceiver;
}

interface Neighbour {
  name: string;
  id: string;
  sink: Sink;
}

/**
 * One app on its own database. The admin's webhook has the faulty targets and one well-behaved
 * target (the same-webhook neighbour); a member's webhook has one well-behaved target (the
 * other-user neighbour).
 */
interface Scenario {
  app: TestApp;
  sql: Client;
  faulty: FaultyTarget[];
  sameWebhook: Neighbour;
  otherUser: Neighbour;
  faultyIngestUrl: string;
  otherUserIngestUrl: string;
  rssBefore: number;
}

/** What a well-behaved neighbour's deliveries look like: the same with or without the fault. */
interface NeighbourSummary {
  deliveries: number;
  delivered: number;
  withOneAttemptRow: number;
  receivedExactlyOnce: number;
  receivedMoreThanOnce: number;
  unexpectedEvents: number;
}

/** The faulty target's deliveries: every send is an attempt with its row, nothing left hanging. */
interface FaultySummary {
  deliveries: number;
  statuses: Record<string, number>;
  attempts: number;
  attemptRows: number;
  sends: number;
  /** Requests the receiver got beyond the attempts recorded: re-sends with an unchanged attempt_count. */
  unrecordedSends: number;
  /** Deliveries whose attempt rows do not match attempt_count. */
  rowMismatches: number;
  longestExcerpt: number;
}

describe('fault isolation: misbehaving receivers hurt no neighbour and leave nothing stuck', () => {
  let scenario: Scenario | undefined;
  const servers: { stop(): Promise<void> }[] = [];

  afterEach(async () => {
    // receivers first: their held connections would otherwise keep the app's shutdown waiting
    await Promise.all(servers.splice(0).map((server) => server.stop()));
    await scenario?.sql.end();
    await scenario?.app.close();
    scenario = undefined;
  });

  async function createWebhook(user: TestUser, targets: object[]) {
    const webhook = (await user.apiKey.post('/api/v1/webhooks', { name: 'fault isolation' }).expect(201))
      .body;
    const ids: string[] = [];
    for (const target of targets) {
      ids.push(
        (await user.apiKey.post(`/api/v1/webhooks/${webhook.id}/targets`, target).expect(201)).body.id,
      );
    }
    return { entrypointId: webhook.entrypoints[0].id as string, targetIds: ids };
  }

  async function setUp(faults: Fault[], env: Record<string, string> = {}): Promise<Scenario> {
    const app = await startTestApp({
      ALLOW_PRIVATE_TARGETS: 'true',
      SWEEP_INTERVAL_MS: '200',
      // lost writes show up within the test: an unrecorded delivery is swept and sent again
      LEASE_MS: '6000',
      ...env,
    });
    const sql = new Client({ connectionString: app.databaseUrl });
    await sql.connect();
    scenario = { app, sql } as Scenario;
    const admin = await asUser(app, 'admin', ADMIN_PASSWORD);
    const member = await createMember(app, admin, 'neighbour');

    const receivers = await Promise.all(faults.map((fault) => MisbehavingReceiver.start(fault.behaviour)));
    const [sameSink, otherSink] = await Promise.all([Sink.start(), Sink.start()]);
    servers.push(...receivers, sameSink, otherSink);
    const http = (url: string, settings: HttpSettings = {}) => ({ type: 'http', http: { url, ...settings } });
    const faulty = await createWebhook(admin, [
      ...faults.map((fault, i) => ({ name: fault.name, ...http(`${receivers[i]!.url}/hook`, fault.http) })),
      { name: 'same-webhook neighbour', ...http(`${sameSink.url}/hook`, { maxRetries: 2 }) },
    ]);
    const other = await createWebhook(member, [
      { name: 'other-user neighbour', ...http(`${otherSink.url}/hook`, { maxRetries: 2 }) },
    ]);
    Object.assign(scenario, {
      faulty: faults.map((fault, i) => ({
        name: fault.name,
        id: faulty.targetIds[i]!,
        concurrency: fault.http.concurrency ?? 8,
        receiver: receivers[i]!,
      })),
      sameWebhook: { name: 'same-webhook neighbour', id: faulty.targetIds[faults.length]!, sink: sameSink },
      otherUser: { name: 'other-user neighbour', id: other.targetIds[0]!, sink: otherSink },
      faultyIngestUrl: `${app.url}/webhook/${faulty.entrypointId}`,
      otherUserIngestUrl: `${app.url}/webhook/${other.entrypointId}`,
      rssBefore: process.memoryUsage().rss,
    });
    return scenario;
  }

  /** Posts `count` small JSON events, `parallel` at a time (503 backpressure is waited out); returns their ids. */
  async function ingest(url: string, count: number, parallel = 8): Promise<string[]> {
    const ids: string[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: parallel }, async () => {
        while (next < count) {
          const n = next++;
          for (let tries = 0; ; tries++) {
            const response = await fetch(url, {
              method: 'POST',
              headers: { 'content-type': 'application/json' },
              body: JSON.stringify({ n, padding: 'p'.repeat(200) }),
            });
            if (response.status === 503 && tries < 100) {
              await response.arrayBuffer();
              const retryAfter = Number(response.headers.get('retry-after') ?? 1);
              await sleep(Math.min(1000, Math.max(50, retryAfter * 1000)));
              continue;
            }
            if (response.status !== 200) throw new Error(`ingest answered ${response.status}`);
            ids.push(((await response.json()) as { eventId: string }).eventId);
            break;
          }
        }
      }),
    );
    return ids;
  }

  async function deliveryRows(targetId: string) {
    const { rows } = await scenario!.sql.query(
      `SELECT d.event_id, d.status, d.attempt_count,
              (SELECT count(*)::int FROM delivery_attempts a WHERE a.delivery_id = d.id) AS attempt_rows,
              (SELECT coalesce(max(char_length(a.response_excerpt)), 0)::int
                 FROM delivery_attempts a WHERE a.delivery_id = d.id) AS longest_excerpt
       FROM deliveries d WHERE d.target_id = $1`,
      [targetId],
    );
    return rows as {
      event_id: string;
      status: string;
      attempt_count: number;
      attempt_rows: number;
      longest_excerpt: number;
    }[];
  }

  async function neighbourSummary(neighbour: Neighbour, eventIds: string[]): Promise<NeighbourSummary> {
    const rows = await deliveryRows(neighbour.id);
    const received = new Map<string, number>();
    for (const request of neighbour.sink.requests) {
      const id = String(request.headers['webhook-id']);
      received.set(id, (received.get(id) ?? 0) + 1);
    }
    const expected = new Set(eventIds);
    return {
      deliveries: rows.length,
      delivered: rows.filter((row) => row.status === 'delivered').length,
      withOneAttemptRow: rows.filter((row) => row.attempt_count === 1 && row.attempt_rows === 1).length,
      receivedExactlyOnce: eventIds.filter((id) => received.get(id) === 1).length,
      receivedMoreThanOnce: eventIds.filter((id) => (received.get(id) ?? 0) > 1).length,
      unexpectedEvents: [...received.keys()].filter((id) => !expected.has(id)).length,
    };
  }

  function intact(events: number): NeighbourSummary {
    return {
      deliveries: events,
      delivered: events,
      withOneAttemptRow: events,
      receivedExactlyOnce: events,
      receivedMoreThanOnce: 0,
      unexpectedEvents: 0,
    };
  }

  /** Waits (at most `timeoutMs`) for the neighbour to get every event, then reports what it got. */
  async function awaitNeighbour(
    neighbour: Neighbour,
    eventIds: string[],
    timeoutMs: number,
  ): Promise<NeighbourSummary> {
    const started = Date.now();
    const summary = await settle(
      () => neighbourSummary(neighbour, eventIds),
      (s) => isDeepEqual(s, intact(eventIds.length)),
      timeoutMs,
    );
    report(
      `${neighbour.name}: ${summary.delivered} of ${eventIds.length} delivered, ${summary.withOneAttemptRow} with one attempt row, ` +
        `${summary.receivedExactlyOnce} received exactly once, ${summary.receivedMoreThanOnce} more than once ` +
        `(waited ${Date.now() - started} ms)`,
    );
    return summary;
  }

  async function faultySummary(target: FaultyTarget): Promise<FaultySummary> {
    const rows = await deliveryRows(target.id);
    const statuses: Record<string, number> = {};
    for (const row of rows) statuses[row.status] = (statuses[row.status] ?? 0) + 1;
    return {
      deliveries: rows.length,
      statuses,
      attempts: sum(rows.map((row) => row.attempt_count)),
      attemptRows: sum(rows.map((row) => row.attempt_rows)),
      sends: target.receiver.hits.length,
      unrecordedSends: sum(
        rows.map((row) => Math.max(0, target.receiver.received(row.event_id) - row.attempt_count)),
      ),
      rowMismatches: rows.filter((row) => row.attempt_rows !== row.attempt_count).length,
      longestExcerpt: Math.max(0, ...rows.map((row) => row.longest_excerpt)),
    };
  }

  interface Accounting {
    /** Statuses every delivery of the faulty target must end in. */
    settled: string[];
    /** Sends that may still be on their way (not recorded yet): 0 unless work is still running. */
    inFlight?: number;
    /** Every delivery got at least one attempt. */
    everyAttempted?: boolean;
  }

  function unsettled(summary: FaultySummary, accounting: Accounting): number {
    return sum(
      Object.entries(summary.statuses)
        .filter(([status]) => !accounting.settled.includes(status))
        .map(([, count]) => count),
    );
  }

  function accountedFor(summary: FaultySummary, events: number, accounting: Accounting) {
    return {
      deliveries: summary.deliveries,
      unsettled: unsettled(summary, accounting),
      unattempted: accounting.everyAttempted ? Math.max(0, events - summary.attempts) : 0,
      rowMismatches: summary.rowMismatches,
      unrecordedSendsBeyondInFlight: Math.max(0, summary.unrecordedSends - (accounting.inFlight ?? 0)),
    };
  }

  const ACCOUNTED_FOR = { unsettled: 0, unattempted: 0, rowMismatches: 0, unrecordedSendsBeyondInFlight: 0 };

  /**
   * Waits (at most `timeoutMs`) until every delivery to the faulty target is settled, with each
   * send recorded as an attempt with its row, then reports what it found.
   */
  async function awaitFaulty(
    target: FaultyTarget,
    events: number,
    accounting: Accounting,
    timeoutMs: number,
  ): Promise<FaultySummary> {
    const summary = await settle(
      () => faultySummary(target),
      (s) => isDeepEqual(accountedFor(s, events, accounting), { deliveries: events, ...ACCOUNTED_FOR }),
      timeoutMs,
    );
    report(
      `${target.name}: ${JSON.stringify(summary.statuses)}, ${summary.attempts} attempts counted, ` +
        `${summary.attemptRows} attempt rows, ${summary.sends} requests received, ` +
        `${summary.unrecordedSends} unrecorded sends, longest excerpt ${summary.longestExcerpt} chars`,
    );
    return summary;
  }

  /** Nothing stuck: every delivery settled, every send an attempt with its row, excerpts capped. */
  function expectAccountedFor(summary: FaultySummary, events: number, accounting: Accounting): void {
    expect(accountedFor(summary, events, accounting)).toEqual({ deliveries: events, ...ACCOUNTED_FOR });
    expect(summary.longestExcerpt).toBeLessThanOrEqual(EXCERPT_LIMIT);
  }

  function expectMemoryBounded(): void {
    const after = process.memoryUsage().rss;
    const growth = after - scenario!.rssBefore;
    report(
      `rss ${(scenario!.rssBefore / MiB).toFixed(0)} MiB -> ${(after / MiB).toFixed(0)} MiB ` +
        `(${growth >= 0 ? '+' : ''}${(growth / MiB).toFixed(0)} MiB, limit +${RSS_GROWTH_LIMIT / MiB} MiB)`,
    );
    expect(growth).toBeLessThan(RSS_GROWTH_LIMIT);
  }

  /**
   * The common shape: `events` events to the faulty webhook and as many to the other user's,
   * ingested together; both neighbours intact, every faulty delivery settled and accounted for.
   */
  async function runFaults(
    faults: Fault[],
    expected: { settled: string[]; events?: number; timeoutMs?: number },
  ): Promise<Scenario> {
    const events = expected.events ?? 40;
    const s = await setUp(faults);
    const [faultyEvents, otherEvents] = await Promise.all([
      ingest(s.faultyIngestUrl, events),
      ingest(s.otherUserIngestUrl, events),
    ]);
    const same = await awaitNeighbour(s.sameWebhook, faultyEvents, 15_000);
    const other = await awaitNeighbour(s.otherUser, otherEvents, 5_000);
    const accounting = { settled: expected.settled, everyAttempted: true };
    const faulty: FaultySummary[] = [];
    for (const target of s.faulty) {
      faulty.push(await awaitFaulty(target, events, accounting, expected.timeoutMs ?? 10_000));
    }
    expect(same).toEqual(intact(events));
    expect(other).toEqual(intact(events));
    for (const summary of faulty) expectAccountedFor(summary, events, accounting);
    expectMemoryBounded();
    return s;
  }

  it('1. NUL bytes and a gzip-encoded body in the answer', async () => {
    const s = await runFaults(
      [
        { name: 'NUL bytes', behaviour: nulBytes, http: { maxRetries: 2, maxBackoffMs: 1000 } },
        { name: 'gzip body', behaviour: gzipBody, http: { maxRetries: 2, maxBackoffMs: 1000 } },
      ],
      { settled: ['delivered'] },
    );
    // every fourth event got a 500 first: its retry is recorded as a second attempt
    const [nul] = s.faulty;
    expect(nul!.receiver.hits.filter((hit) => hit.attempt === 2)).toHaveLength(10);
  }, 60_000);

  it('2. a huge body, an endless body and a trickling endless body', async () => {
    const s = await runFaults(
      [
        // a long timeout: only capping the read can end these attempts in time
        { name: '50 MiB body', behaviour: hugeBody(50 * MiB), http: { maxRetries: 0, timeoutMs: 60_000 } },
        { name: 'endless body', behaviour: endlessBody, http: { maxRetries: 0, timeoutMs: 60_000 } },
        // one byte every 100 ms: only the attempt's overall timeout ends it
        { name: 'trickling body', behaviour: tricklingBody(100), http: { maxRetries: 0, timeoutMs: 1000 } },
      ],
      { settled: ['delivered', 'failed'], events: 30 },
    );
    for (const target of s.faulty) {
      // the connection was dropped: no answer went out to the end
      expect(target.receiver.hits.filter((hit) => hit.finished)).toEqual([]);
    }
    const [huge] = s.faulty;
    report(
      `50 MiB body: at most ${(Math.max(...huge!.receiver.hits.map((hit) => hit.bytesWritten)) / MiB).toFixed(1)} MiB written per answer`,
    );
  }, 60_000);

  it('3. thousands of response headers and very long header values', async () => {
    const s = await runFaults(
      [
        { name: 'many headers', behaviour: manyHeaders, http: { maxRetries: 0 } },
        { name: 'overflowing headers', behaviour: overflowingHeaders, http: { maxRetries: 0 } },
      ],
      { settled: ['delivered', 'failed'] },
    );
    const [within, overflowing] = await Promise.all(s.faulty.map((target) => faultySummary(target)));
    // as much as a client reads is a normal answer; more is a failed attempt, not a crash
    expect(within!.statuses).toEqual({ delivered: 40 });
    expect(overflowing!.statuses).toEqual({ failed: 40 });
  }, 60_000);

  it('4. a slow receiver (concurrency 1, 2 s per answer) with 400 events does not starve a fast one', async () => {
    const s = await setUp(
      [{ name: 'slow receiver', behaviour: slowAnswer(2000), http: { concurrency: 1, timeoutMs: 10_000 } }],
      { MAX_QUEUED_TASKS: '200' },
    );
    const backlogEvents = await ingest(s.faultyIngestUrl, 400, 16);
    const ingested = Date.now();
    const otherEvents = await ingest(s.otherUserIngestUrl, 10);
    const other = await awaitNeighbour(s.otherUser, otherEvents, 10_000);
    const same = await awaitNeighbour(s.sameWebhook, backlogEvents, 20_000);
    const latencies = (sink: Sink) =>
      sink.requests.length === 0
        ? 'none received'
        : `last received ${Math.max(...sink.requests.map((r) => r.receivedAt)) - ingested} ms after the backlog was in`;
    report(`other-user neighbour: ${latencies(s.otherUser.sink)}`);
    report(`same-webhook neighbour: ${latencies(s.sameWebhook.sink)}`);
    // the slow receiver works through its backlog one at a time: what it got is recorded, the rest waits
    const accounting = { settled: ['delivered', 'pending'], inFlight: 1 };
    await waitFor(
      async () => ((await faultySummary(s.faulty[0]!)).statuses.delivered ?? 0) >= 2,
      10_000,
      'the slow receiver to answer twice',
    );
    const slow = await awaitFaulty(s.faulty[0]!, 400, accounting, 5_000);
    expect(other).toEqual(intact(10));
    expect(same).toEqual(intact(400));
    expectAccountedFor(slow, 400, accounting);
    expect(slow.statuses.delivered).toBeGreaterThan(0);
    expectMemoryBounded();
  }, 60_000);

  it('5. connection reset mid-answer', async () => {
    await runFaults([{ name: 'reset mid-answer', behaviour: resetMidAnswer, http: { maxRetries: 0 } }], {
      settled: ['delivered', 'failed'],
    });
  }, 60_000);

  it('6. never answers, holding the connection open', async () => {
    await runFaults(
      [{ name: 'never answers', behaviour: neverAnswers, http: { maxRetries: 0, timeoutMs: 1000 } }],
      {
        settled: ['failed'],
      },
    );
  }, 60_000);

  it('6b. never answers, with the highest concurrency a target may have (256, above DELIVERY_CONCURRENCY)', async () => {
    const s = await setUp([
      {
        name: 'never answers, concurrency 256',
        behaviour: neverAnswers,
        http: { maxRetries: 0, timeoutMs: 10_000, concurrency: 256 },
      },
    ]);
    // as many hanging attempts as the default DELIVERY_CONCURRENCY (64), then another user's events
    const faultyEvents = await ingest(s.faultyIngestUrl, 64);
    const otherEvents = await ingest(s.otherUserIngestUrl, 10);
    const other = await awaitNeighbour(s.otherUser, otherEvents, 5_000);
    const same = await awaitNeighbour(s.sameWebhook, faultyEvents, 5_000);
    // the hanging attempts take 10 s each: they may still be running, but every one ended is recorded
    const accounting = { settled: ['failed', 'pending'], inFlight: 64 };
    const faulty = await awaitFaulty(s.faulty[0]!, 64, accounting, 1_000);
    expect(other).toEqual(intact(10));
    expect(same).toEqual(intact(64));
    expectAccountedFor(faulty, 64, accounting);
    expectMemoryBounded();
  }, 60_000);

  it("7. one user's eight targets that never answer, as many attempts together as DELIVERY_CONCURRENCY, leave slots for another user", async () => {
    const s = await setUp(
      Array.from({ length: 8 }, (_, i) => ({
        name: `never answers ${i + 1}`,
        behaviour: neverAnswers,
        http: { maxRetries: 0, timeoutMs: 5_000, concurrency: 8 },
      })),
    );
    // 16 events, one at a time: 16 hanging attempts wanted by each of the 8 targets, more than the
    // default DELIVERY_CONCURRENCY (64); the user's targets together get the slots less a reserve
    const faultyEvents = await ingest(s.faultyIngestUrl, 16, 1);
    const hanging = () => sum(s.faulty.map((target) => target.receiver.hits.length));
    await waitFor(() => hanging() >= 48, 3_000, 'the hanging attempts to start');
    const otherEvents = await ingest(s.otherUserIngestUrl, 10);
    const other = await awaitNeighbour(s.otherUser, otherEvents, 3_000);
    report(`hanging attempts when the other user's events were in: ${hanging()}`);
    const same = await awaitNeighbour(s.sameWebhook, faultyEvents, 3_000);
    expect(other).toEqual(intact(10));
    expect(same).toEqual(intact(16));
    // every hanging attempt ends after 5 s, recorded as failed
    const accounting = { settled: ['failed'], everyAttempted: true };
    for (const target of s.faulty) {
      expectAccountedFor(await awaitFaulty(target, 16, accounting, 30_000), 16, accounting);
    }
    expectMemoryBounded();
  }, 60_000);
});

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function sum(values: number[]): number {
  return values.reduce((total, value) => total + value, 0);
}

function isDeepEqual(a: object, b: object): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Polls `read` until `done` holds for its value or `timeoutMs` passes; returns the last value either way. */
async function settle<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > deadline) return value;
    await sleep(100);
  }
}

function report(line: string): void {
  const test = /(\d+b?)\. /.exec(expect.getState().currentTestName ?? '')?.[1] ?? '?';
  process.stdout.write(`  [fault ${test}] ${line}\n`);
}
