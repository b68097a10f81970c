// `node bench/run.mjs --soak`: sustained load at a fixed share of the measured capacity, delivering
// to http targets, sampling PostgreSQL's view of the tables that churn (the deliveries queue, events,
// attempts) after every slice of load, so dead tuples, autovacuum and table growth can be seen.
import console from 'node:console';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import process from 'node:process';
import { closedLoad, pacedLoad } from './load.mjs';
import { freePort, onCleanup } from './procs.mjs';
import { connectDatabase, provision, startWebhooker, waitForDelivered } from './webhooker.mjs';

const TABLES = ['deliveries', 'events', 'delivery_attempts'];

async function sample(db) {
  const { rows } = await db.query(
    `SELECT relname AS table, n_live_tup::int AS live, n_dead_tup::int AS dead,
            autovacuum_count::int AS autovacuums, autoanalyze_count::int AS autoanalyzes,
            pg_table_size(relid)::bigint AS "tableBytes", pg_indexes_size(relid)::bigint AS "indexBytes"
     FROM pg_stat_user_tables WHERE relname = ANY($1)`,
    [TABLES],
  );
  const queue = await db.query(
    `SELECT count(*)::int AS n FROM deliveries WHERE status IN ('pending', 'retrying')`,
  );
  const tables = Object.fromEntries(
    rows.map(({ table, ...rest }) => [
      table,
      { ...rest, tableBytes: Number(rest.tableBytes), indexBytes: Number(rest.indexBytes) },
    ]),
  );
  return { tables, queueDepth: queue.rows[0].n };
}

const mb = (bytes) => (bytes / 2 ** 20).toFixed(1);

function line(s) {
  const d = s.tables.deliveries;
  const e = s.tables.events;
  const a = s.tables.delivery_attempts;
  return [
    `${String(Math.round(s.atS)).padStart(4)} s`,
    `${Math.round(s.rate)}/s`.padStart(7),
    `p99 ${s.p99.toFixed(1)} ms`.padStart(12),
    `queue ${s.queueDepth}`.padStart(11),
    `deliveries ${d.live}/${d.dead} dead ${mb(d.tableBytes)}+${mb(d.indexBytes)} MB av ${d.autovacuums}`,
    `events ${e.live}/${e.dead} ${mb(e.tableBytes)}+${mb(e.indexBytes)} MB av ${e.autovacuums}`,
    `attempts ${a.live}/${a.dead} ${mb(a.tableBytes)}+${mb(a.indexBytes)} MB av ${a.autovacuums}`,
  ].join('  ');
}

/**
 * Runs the soak: webhooker (ROLE=all) with one webhook of `targets` http targets to the sink, a
 * 10 s closed-loop load to find its capacity (ingested and delivered), then `minutes` of evenly paced load at `share` of it,
 * in slices of `sliceS` seconds, sampling after each. Valid when accepted = stored = delivered.
 */
export async function soak({
  sink,
  minutes,
  share = 0.6,
  targets = 2,
  sliceS = 10,
  resultsDir,
  keep,
  webhookerEnv,
}) {
  const workDir = mkdtempSync(path.join(os.tmpdir(), 'webhooker-bench-soak-'));
  chmodSync(workDir, 0o755);
  const unregister = onCleanup(() => keep || rmSync(workDir, { recursive: true, force: true }));
  const space = { workDir, port: await freePort(), pgPort: await freePort(), webhookerEnv };
  let app;
  let db;
  try {
    app = await startWebhooker(space);
    const { entrypointUrl: url } = await provision(app.baseUrl, { sinkUrl: sink.url, targets });
    db = await connectDatabase(app.dataDir, space.pgPort);
    const settings = (
      await db.query(`SELECT name, setting FROM pg_settings WHERE name LIKE 'autovacuum%' ORDER BY name`)
    ).rows;
    // capacity: what is ingested and delivered per second, from the first request of a 10 s
    // closed-loop load to its last delivery
    const loadStartedAt = Date.now();
    const capacityLoad = await closedLoad({ url, durationMs: 10_000 });
    await waitForDelivered(db, capacityLoad.ok * targets, 120_000);
    const capacity = (capacityLoad.ok * 1000) / (Date.now() - loadStartedAt);
    const rate = Math.round(capacity * share);
    console.log(
      `soak: capacity ${Math.round(capacity)} events/s ingested and delivered to ${targets} targets ` +
        `(ingest alone ${Math.round(capacityLoad.rate)} /s); ${minutes} min at ${rate} events/s ` +
        `(${Math.round(share * 100)} %), a sample every ${sliceS} s`,
    );
    let accepted = capacityLoad.ok;
    const problems = [];
    const samples = [];
    const startedAt = Date.now();
    while (Date.now() - startedAt < minutes * 60_000) {
      const load = await pacedLoad({ url, rate, durationMs: sliceS * 1000 });
      accepted += load.ok;
      if (load.errors || load.ok !== load.sent) {
        problems.push(`${load.sent - load.ok} requests not accepted (${load.errors} errors)`);
      }
      const s = {
        atS: (Date.now() - startedAt) / 1000,
        rate: load.rate,
        p99: load.latency.p99,
        ...(await sample(db)),
      };
      samples.push(s);
      console.log(`  ${line(s)}`);
    }
    const counts = await waitForDelivered(db, accepted * targets, 120_000);
    if (counts.events !== accepted || counts.delivered !== accepted * targets) {
      problems.push(
        `events ${counts.events}, delivered ${counts.delivered} after ${accepted} accepted × ${targets} targets`,
      );
    }
    const valid = problems.length === 0;
    console.log(valid ? 'soak: ok (accepted = stored = delivered)' : `soak: VOID: ${problems.join('; ')}`);
    mkdirSync(resultsDir, { recursive: true });
    const file = path.join(resultsDir, 'soak.json');
    writeFileSync(
      file,
      `${JSON.stringify(
        {
          startedAt: new Date(startedAt).toISOString(),
          capacity,
          ingestCapacity: capacityLoad.rate,
          rate,
          targets,
          minutes,
          valid,
          problems,
          autovacuumSettings: settings,
          samples,
          peakRssBytes: app.peakRss(),
        },
        null,
        2,
      )}\n`,
    );
    console.log(`Written to ${path.relative(process.cwd(), file)}`);
    return valid ? 0 : 1;
  } finally {
    await db?.end().catch(() => {});
    await app?.stop();
    unregister();
    if (!keep) rmSync(workDir, { recursive: true, force: true });
  }
}
